// fork() (kernel/fork.c dup_mmap, mm/memory.c copy_page_range,
// copy_huge_pmd): the child gets the parent's VMAs; in its private
// anonymous ones, the child's page tables map the same anonymous folios,
// write-protected in both, each mapping with its reference, and a later
// write copies (fault.cc). A page that may be pinned for DMA is copied for
// the child at once instead (copy_present_page). A shared page is no longer
// exclusive (folio_try_dup_anon_rmap_*). A private file mapping's
// page-cache pages are shared read-only the same way, once it has copies;
// a shared file mapping's page tables are not copied: the child faults its
// pages in.
#include "mm/fork.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "base/check.h"
#include "base/status_macros.h"
#include "mm/errno.h"
#include "mm/model.h"
#include "mm/rmap.h"
#include "mm/zap.h"

namespace mmreplay::mm {

absl::Status Model::ProcessFork(uint32_t parent_pid, uint32_t child_pid) {
  Process& child = mm_.NewProcess(child_pid);
  Process& src = mm_.GetProcess(parent_pid);
  child.vmas = src.vmas;
  child.anon_vma = src.anon_vma;
  child.moved_anon = src.moved_anon;
  bool out_of_memory = false;
  for (const Vma& vma : src.vmas.all()) {
    // vma_needs_copy(): only a VMA with an anon_vma (it has had anonymous
    // pages) has its page tables copied; the child of a shared file
    // mapping, or of private memory only read, faults its pages in.
    if (vma.shared || !vma.anon_vma) continue;
    src.pt.ForEachPmd(vma.start, vma.end, [&](uint64_t pmd_addr, Pmd& pmd) {
      if (!out_of_memory) {
        out_of_memory = !CopyPmd(mm_, src, parent_pid, child, child_pid, vma,
                                 pmd_addr, pmd);
      }
    });
  }
  if (out_of_memory) {
    // dup_mmap() fails and the child's mm is torn down: fork fails.
    // fork() returns -ENOMEM. The child's pid stays known to the model,
    // with nothing mapped, so that a trace's later op on it is an error of
    // the trace (the validator cannot know the fork failed), not a crash.
    RETURN_IF_ERROR(ProcessExit(child_pid));
    RETURN_IF_ERROR(ProcessCreate(child_pid));
    mm_.OpFailed(parent_pid, 0, 0, kEnomem, REASON_FORK);
  }
  return absl::OkStatus();
}

// copy_pmd_range() for one PMD entry of vma: copy_huge_pmd(), or
// copy_pte_range() over the PTEs of the table within vma. False when a page
// that had to be copied could not be (-ENOMEM).
bool CopyPmd(MmState& mm, Process& src, uint32_t parent_pid, Process& child,
             uint32_t child_pid, const Vma& vma, uint64_t pmd_addr, Pmd& pmd) {
  if (pmd.kind == Pmd::Kind::kHugeZero) {
    child.pt.SetHuge(pmd_addr, Pmd::Kind::kHugeZero);
    return true;
  }
  // copy_huge_pmd(): a PMD mapping of a page-cache folio is left to the
  // child's faults.
  if (pmd.kind == Pmd::Kind::kFolio && !vma.anonymous()) return true;
  if (pmd.kind == Pmd::Kind::kFolio && pmd.exclusive &&
      NeedsCowForDma(mm, src, mm.folios.At(pmd.head))) {
    // folio_try_dup_anon_rmap_pmd() fails: split the PMD and copy at the
    // PTE level.
    SplitPmd(mm, parent_pid, pmd_addr, REASON_FORK);
  }
  if (pmd.kind == Pmd::Kind::kFolio) {
    Folio& f = mm.folios.At(pmd.head);
    pmd.writable = false;
    pmd.exclusive = false;
    Pmd& c = child.pt.SetHuge(pmd_addr, Pmd::Kind::kFolio);
    c.head = pmd.head;
    c.writable = false;
    mm.EmitMapping(EVENT_MAP, pmd.head, f, REASON_FORK, child_pid, pmd_addr,
                   f.pages(), MAP_LEVEL_PMD, f.mapcount, f.mapcount + 1,
                   f.refcount, f.refcount + 1);
    AddRmapPmd(mm, child_pid, f);
    ++f.refcount;
    return true;
  }
  PteTable& t = src.pt.Table(pmd);
  const int end = static_cast<int>(
      (std::min(vma.end, pmd_addr + kPmdSize) - pmd_addr) >> kPageShift);
  for (int i = static_cast<int>((std::max(vma.start, pmd_addr) - pmd_addr) >>
                                kPageShift);
       i < end;) {
    Pte pte = t.pte[i];
    uint64_t addr = pmd_addr + (uint64_t(i) << kPageShift);
    if (pte.zero_page()) child.pt.SetPte(addr, pte);
    if (!pte.present_page()) {
      ++i;
      continue;
    }
    uint32_t pfn = pte.pfn();
    uint32_t head = mm.folios.HeadOf(pfn);
    Folio& f = mm.folios.At(head);
    // folio_try_dup_anon_rmap_pte() fails for an exclusive page that may
    // be pinned: the child gets a copy, the parent keeps its mapping.
    const bool cow_for_dma = NeedsCowForDma(mm, src, f);
    if (cow_for_dma && pte.exclusive()) {
      if (!CopyPageForFork(mm, child, child_pid, addr, pfn,
                           (vma.prot & PROT_BITS_WRITE) != 0)) {
        return false;
      }
      ++i;
      continue;
    }
    int nr = 1;
    int max =
        cow_for_dma
            ? 1
            : std::min<int>(end - i, static_cast<int>(head + f.pages() - pfn));
    while (nr < max && t.pte[i + nr].present_page() &&
           t.pte[i + nr].pfn() == pfn + static_cast<uint32_t>(nr)) {
      ++nr;
    }
    mm.EmitMapping(EVENT_MAP, head, f, REASON_FORK, child_pid, addr, nr,
                   MAP_LEVEL_PTE, f.mapcount, f.mapcount + nr, f.refcount,
                   f.refcount + nr);
    for (int k = 0; k < nr; ++k) {
      t.pte[i + k] = t.pte[i + k].WithWrite(false).WithExclusive(false);
      child.pt.SetPte(addr + (uint64_t(k) << kPageShift), t.pte[i + k]);
    }
    AddRmapPtes(mm, child_pid, head, f, pfn, nr);
    f.refcount += nr;
    i += nr;
  }
  return true;
}

// folio_needs_cow_for_dma(): the source process has pinned something
// (MMF_HAS_PINNED) and folio_maybe_dma_pinned(f): a large folio with a
// _pincount, a small one with GUP_PIN_COUNTING_BIAS references or more.
bool NeedsCowForDma(const MmState& mm, const Process& src, const Folio& f) {
  if (!mm.profile.fork_cow_pinned || !src.has_pinned || !f.test(kFolioAnon)) {
    return false;
  }
  if (f.order > 0) return mm.folios.Large(f).pincount > 0;
  return f.refcount >= kGupPinCountingBias;
}

bool CopyPageForFork(MmState& mm, Process& child, uint32_t child_pid,
                     uint64_t addr, uint32_t pfn, bool writable) {
  const bool nonzero = mm.folios.PageNonzero(pfn);
  uint32_t head;
  Folio* f = mm.AllocFolio(0, REASON_FORK, &head);
  if (f == nullptr) return false;  // the kernel's fork fails: ENOMEM
  f->set(kFolioAnon);
  f->owner = child.anon_vma;
  f->index = AnonIndex(child, addr);
  mm.folios.SetPageNonzero(head, nonzero);
  f = &mm.folios.At(head);
  AddRmapPtes(mm, child_pid, head, *f, head, 1);
  // maybe_mkwrite(pte_mkdirty()): the copy is the child's own, writable
  // where the VMA is. (The model's dirty bit also says the page's data is
  // recorded, so a copy of a page of zeros is left clean: a write through
  // it then records its data.)
  Pte pte = Pte::Page(head, writable).WithExclusive(true);
  child.pt.SetPte(addr, nonzero ? pte.Dirty() : pte);
  mm.EmitMapping(EVENT_MAP, head, *f, REASON_FORK, child_pid, addr, 1,
                 MAP_LEVEL_PTE, 0, 1);
  return true;
}

}  // namespace mmreplay::mm
