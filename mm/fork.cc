// fork() (kernel/fork.c dup_mmap, mm/memory.c copy_page_range,
// copy_huge_pmd): the child gets the parent's VMAs, and its page tables map
// the same anonymous folios, write-protected in both, each mapping with its
// reference; a later write copies (fault.cc).
//
// Simplified: pinned pages are shared like the others (the kernel copies a
// page that may be pinned, folio_try_dup_anon_rmap failing).
#include <algorithm>

#include "base/check.h"
#include "mm/model.h"
#include "mm/rmap.h"

namespace mmreplay::mm {

absl::Status Model::ProcessFork(uint32_t parent_pid, uint32_t child_pid) {
  std::unique_ptr<Process>& slot = processes_[child_pid];
  slot = std::make_unique<Process>();
  Process& child = *slot;
  Process& src = *FindProcess(parent_pid);
  child.vmas = src.vmas;
  child.anon_vma = src.anon_vma;
  src.pt.ForEachPmd(0, PageTable::kUserEnd, [&](uint64_t pmd_addr, Pmd& pmd) {
    if (pmd.kind == Pmd::Kind::kHugeZero) {
      child.pt.SetHuge(pmd_addr, Pmd::Kind::kHugeZero);
      return;
    }
    if (pmd.kind == Pmd::Kind::kFolio) {
      Folio& f = folios_.At(pmd.head);
      pmd.writable = false;
      Pmd& c = child.pt.SetHuge(pmd_addr, Pmd::Kind::kFolio);
      c.head = pmd.head;
      c.writable = false;
      EmitMapping(EVENT_MAP, pmd.head, f, REASON_FORK, child_pid, pmd_addr,
                  f.pages(), MAP_LEVEL_PMD, f.mapcount, f.mapcount + 1,
                  f.refcount, f.refcount + 1);
      AddRmapPmd(f);
      ++f.refcount;
      return;
    }
    PteTable& t = src.pt.Table(pmd);
    for (int i = 0; i < kPtesPerTable;) {
      Pte pte = t.pte[i];
      uint64_t addr = pmd_addr + (uint64_t(i) << kPageShift);
      if (pte.zero_page()) child.pt.SetPte(addr, pte);
      if (!pte.present_page()) {
        ++i;
        continue;
      }
      uint32_t pfn = pte.pfn();
      uint32_t head = folios_.HeadOf(pfn);
      Folio& f = folios_.At(head);
      int nr = 1;
      int max = std::min<int>(kPtesPerTable - i,
                              static_cast<int>(head + f.pages() - pfn));
      while (nr < max && t.pte[i + nr].present_page() &&
             t.pte[i + nr].pfn() == pfn + static_cast<uint32_t>(nr)) {
        ++nr;
      }
      EmitMapping(EVENT_MAP, head, f, REASON_FORK, child_pid, addr, nr,
                  MAP_LEVEL_PTE, f.mapcount, f.mapcount + nr, f.refcount,
                  f.refcount + nr);
      for (int k = 0; k < nr; ++k) {
        t.pte[i + k] = t.pte[i + k].WithWrite(false);
        child.pt.SetPte(addr + (uint64_t(k) << kPageShift), t.pte[i + k]);
      }
      AddRmapPtes(head, f, pfn, nr);
      f.refcount += nr;
      i += nr;
    }
  });
  return absl::OkStatus();
}

}  // namespace mmreplay::mm
