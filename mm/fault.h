// Page faults (mm/memory.c handle_mm_fault, do_anonymous_page,
// do_wp_page; mm/huge_memory.c do_huge_pmd_anonymous_page,
// do_huge_pmd_wp_page, do_huge_zero_wp_pmd): anonymous faults; the file
// faults are shmem.h's.
#ifndef MMREPLAY_MM_FAULT_H_
#define MMREPLAY_MM_FAULT_H_

#include <cstdint>

#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "mm/mm_state.h"
#include "mm/shmem.h"
#include "proto/event.pb.h"

namespace mmreplay::mm {

// handle_mm_fault() for one page of an anonymous private VMA. It maps the
// page; what the access then writes is the caller's to record
// (FolioTable::set_nonzero).
[[nodiscard]] absl::Status AnonFault(MmState& mm, Process& p, uint32_t pid,
                                     const Vma& vma, uint64_t addr, bool write);
// do_huge_pmd_anonymous_page(): false if the fault falls back to PTEs.
// `huge_zero_wp`: the write fault replaces the huge zero folio
// (do_huge_zero_wp_pmd).
bool PmdFault(MmState& mm, Process& p, uint32_t pid, const Vma& vma,
              uint64_t addr, bool write, bool huge_zero_wp);
// do_huge_pmd_wp_page(): a write to a read-only THP PMD.
bool CopyHugePmd(MmState& mm, Process& p, uint32_t pid, const Vma& vma,
                 uint64_t haddr);
// do_wp_page(): a write to a read-only PTE. `source_pfn`: where nothing is
// mapped (do_cow_fault), the page-cache page the copy is made from.
void WriteProtectFault(MmState& mm, Process& p, uint32_t pid, const Vma& vma,
                       uint64_t addr, uint32_t source_pfn = kNoPfn);
// wp_can_reuse_anon_folio().
bool CanReuseAnonFolio(const MmState& mm, const Folio& f);
bool NoPageMappedTwice(const MmState& mm, const Folio& f);
// The orders thp_vma_allowable_orders() allows an anonymous VMA.
uint32_t AnonAllowedOrders(const MmState& mm, const Vma& vma);

// do_set_pmd() / map_anon_folio_pmd(): maps folio `head` by the PMD at
// `haddr` in `pid`. REQUIRES: the PMD entry there is empty and the folio
// is PMD-sized. `own_ref`: the mapping takes a new reference (a
// page-cache folio); else the caller's (a new anonymous folio) becomes it.
void MapPmd(MmState& mm, uint32_t pid, uint64_t haddr, uint32_t head,
            bool writable, bool own_ref, Reason reason);

// The access check before handle_mm_fault() (sanitize_fault_flags and the
// VMA check): FailedPrecondition, a SIGSEGV the trace cannot have.
absl::Status FaultNotAllowed(uint32_t pid, uint64_t addr, bool write);

// handle_mm_fault() for the page at addr of vma, with its access check.
// Inline: most touches that fault come through here.
[[nodiscard]] inline absl::Status HandleMmFault(MmState& mm, Process& p,
                                                uint32_t pid, const Vma& vma,
                                                uint64_t addr, bool write) {
  const uint32_t need = write ? PROT_BITS_WRITE : PROT_BITS_READ;
  if (ABSL_PREDICT_FALSE((vma.prot & need) == 0)) {
    return FaultNotAllowed(pid, addr, write);
  }
  // __handle_mm_fault() -> pmd_alloc / pte_alloc: a fault where no page
  // table covers addr needs a page for one (a THP deposits one too). The
  // model keeps page tables outside its buddy allocator, so it charges them
  // here: none is to be had once they equal the free pages (VM_FAULT_OOM).
  // This bounds what zero-page reads of a huge range can make.
  if (ABSL_PREDICT_FALSE(mm.pte_tables >= mm.buddy.free_pages()) &&
      p.pt.FindPmd(addr) == nullptr) {
    mm.fault_oom = true;
    return absl::OkStatus();
  }
  // MAP_SHARED anonymous memory maps its unnamed shmem file (anon_shmem.h).
  if (!vma.anonymous()) return FileFault(mm, p, pid, vma, addr, write);
  return AnonFault(mm, p, pid, vma, addr, write);
}

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_FAULT_H_
