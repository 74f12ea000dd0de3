// Anonymous page faults (mm/memory.c, mm/huge_memory.c): the PMD THP path
// (do_huge_pmd_anonymous_page), the huge zero folio on reads, the PTE path
// with mTHP orders (do_anonymous_page, alloc_anon_folio), the zero page, and
// write-protect faults (do_wp_page, do_huge_pmd_wp_page). A fault maps the
// page (zeroed when new, a copy on write); the contents the access writes are
// the caller's (Touch, Pin) to record.
#include "mm/fault.h"

#include "absl/base/attributes.h"
#include "absl/strings/str_format.h"
#include "base/check.h"
#include "mm/deferred_split.h"
#include "mm/rmap.h"
#include "mm/shmem.h"
#include "mm/zap.h"

namespace mmreplay::mm {
namespace {

bool BlockFits(const Vma& vma, uint64_t addr, uint32_t order) {
  uint64_t size = uint64_t{kPageSize} << order;
  uint64_t start = addr & ~(size - 1);
  return start >= vma.start && start + size <= vma.end;
}

// highest_order() (include/linux/huge_mm.h): the highest order of a mask.
// REQUIRES: orders != 0.
int HighestOrder(uint32_t orders) { return 31 - __builtin_clz(orders); }

}  // namespace

// thp_vma_allowable_orders() for an anonymous VMA at fault time.
uint32_t AnonAllowedOrders(const MmState& mm, const Vma& vma) {
  if (vma.nohugepage) return 0;
  bool global_always = mm.knobs.enabled == KNOB_VALUE_ALWAYS;
  bool global_enabled = mm.knobs.enabled != KNOB_VALUE_NEVER;
  uint32_t mask = mm.anon_orders_always;
  if (vma.hugepage) mask |= mm.anon_orders_madvise;
  if (global_always || (vma.hugepage && global_enabled)) {
    mask |= mm.anon_orders_inherit;
  }
  mask &= ~3u;  // orders 0 and 1 are never THP
  if (!mm.profile.anon_mthp) mask &= 1u << kPmdOrder;
  return mask;
}

// handle_pte_fault() for an anonymous VMA. Inline in AnonFault, its only
// caller: the call cost about 35 instructions a fault.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void PteFault(MmState& mm, Process& p,
                                                  uint32_t pid, const Vma& vma,
                                                  uint64_t addr, bool write) {
  PteTable& t = p.pt.TableFor(addr);
  const int index = PageTable::PteIndex(addr);
  Pte pte = t.pte[index];
  if (pte.present_page()) {
    if (!write) return;
    if (!pte.writable()) WriteProtectFault(mm, p, pid, vma, addr);
    return;
  }
  if (pte.zero_page()) {
    if (write) WriteProtectFault(mm, p, pid, vma, addr);
    return;
  }
  // do_anonymous_page(): a read maps the shared zero page; a write
  // prepares the anon_vma first.
  if (!write) {
    t.pte[index] = Pte::ZeroPage();
    ++t.used;
    return;
  }
  if (!vma.anon_vma) p.vmas.SetAnonVma(addr);
  // alloc_anon_folio(): the orders the VMA allows below PMD size whose
  // aligned block fits the VMA; of those, the highest whose PTEs are all
  // none (a zero-page PTE counts as populated) and every lower one, tried
  // from the top.
  uint32_t orders = AnonAllowedOrders(mm, vma) & ((1u << kPmdOrder) - 1);
  for (uint32_t m = orders; m != 0; m &= m - 1) {
    const auto o = static_cast<uint32_t>(__builtin_ctz(m));
    if (!BlockFits(vma, addr, o)) orders &= ~(1u << o);
  }
  while (orders != 0) {
    const int o = HighestOrder(orders);
    if (t.NoneRun(index & ~((1 << o) - 1), 1 << o) == 1 << o) break;
    orders &= ~(1u << o);
  }
  uint32_t head = 0;
  Folio* f = nullptr;
  uint32_t order = 0;
  while (orders != 0 && f == nullptr) {
    const int o = HighestOrder(orders);
    orders &= ~(1u << o);
    f = mm.AllocFolio(static_cast<uint32_t>(o), REASON_ANON_FAULT, &head);
    if (f == nullptr) {
      mm.counters.Count(MthpStat::kAnonFaultFallback, static_cast<uint32_t>(o));
    } else {
      order = static_cast<uint32_t>(o);
    }
  }
  if (f == nullptr) f = mm.AllocFolio(0, REASON_ANON_FAULT, &head);
  if (f == nullptr) {  // VM_FAULT_OOM: the model maps nothing.
    mm.fault_oom = true;
    return;
  }
  int nr = 1 << order;
  int first = index & ~(nr - 1);
  uint64_t start = addr & ~((uint64_t{kPageSize} << order) - 1);
  f->set(kFolioAnon);
  f->owner = p.anon_vma;
  f->index = AnonIndex(p, start);
  // folio_ref_add(nr - 1): one reference per PTE.
  f->refcount = nr;
  AddRmapPtes(mm, pid, head, *f, head, nr);
  bool w = (vma.prot & PROT_BITS_WRITE) != 0;
  for (int i = 0; i < nr; ++i) {
    t.pte[first + i] =
        Pte::Page(head + static_cast<uint32_t>(i), w).WithExclusive(true);
  }
  t.used += nr;
  mm.EmitMapping(EVENT_MAP, head, *f, REASON_ANON_FAULT, pid, start, nr,
                 MAP_LEVEL_PTE, 0, nr, 1, nr);
  mm.counters.Count(MthpStat::kAnonFaultAlloc, order);
  mm.counters.Count(MthpStat::kNrAnon, order);
}

absl::Status AnonFault(MmState& mm, Process& p, uint32_t pid, const Vma& vma,
                       uint64_t addr, bool write) {
  Pmd* pmd = p.pt.FindPmd(addr);
  if (pmd == nullptr && (AnonAllowedOrders(mm, vma) >> kPmdOrder & 1) &&
      BlockFits(vma, addr, kPmdOrder)) {
    if (PmdFault(mm, p, pid, vma, addr, write, /*huge_zero_wp=*/false)) {
      return absl::OkStatus();
    }
    pmd = p.pt.FindPmd(addr);
  }
  if (pmd != nullptr && pmd->kind == Pmd::Kind::kHugeZero) {
    if (!write) return absl::OkStatus();
    // A new THP replaces the huge zero folio: do_huge_zero_wp_pmd(), and
    // before v5.8 do_huge_pmd_wp_page() where the VMA may have a THP.
    // Otherwise, or with none to be had, the PMD is split to zero-page PTEs
    // and the page copied at the PTE level.
    if (mm.profile.huge_zero_wp_thp &&
        (mm.profile.thp_cow_split_pmd ||
         (AnonAllowedOrders(mm, vma) >> kPmdOrder & 1))) {
      p.pt.ClearPmd(addr);
      if (PmdFault(mm, p, pid, vma, addr, /*write=*/true,
                   /*huge_zero_wp=*/true)) {
        return absl::OkStatus();
      }
      p.pt.SetHuge(addr, Pmd::Kind::kHugeZero);
    } else if (mm.profile.huge_zero_wp_thp) {
      mm.counters.Count(VmEvent::kThpFaultFallback);  // 5.4: no THP allowed
    }
    SplitPmd(mm, pid, addr & ~(kPmdSize - 1), REASON_ANON_FAULT);
    pmd = p.pt.FindPmd(addr);
  }
  if (pmd != nullptr && pmd->kind == Pmd::Kind::kFolio) {
    if (!write || pmd->writable) return absl::OkStatus();
    // do_huge_pmd_wp_page(): reuse an exclusive THP (PageAnonExclusive, or
    // the PMD's the only reference; before v5.9 no page mapped twice), else
    // split the PMD and copy at the PTE level.
    const Folio& f = mm.folios.At(pmd->head);
    const bool reuse =
        mm.profile.anon_cow_reuse == Profile::AnonCowReuse::kByMapcount
            ? NoPageMappedTwice(mm, f)
            : f.refcount == 1;
    if (pmd->exclusive || reuse) {
      pmd->writable = (vma.prot & PROT_BITS_WRITE) != 0;  // maybe_pmd_mkwrite
      pmd->exclusive = true;
      return absl::OkStatus();
    }
    if (!mm.profile.thp_cow_split_pmd &&
        CopyHugePmd(mm, p, pid, vma, addr & ~(kPmdSize - 1))) {
      return absl::OkStatus();
    }
    SplitPmd(mm, pid, addr & ~(kPmdSize - 1), REASON_COW);
  }
  PteFault(mm, p, pid, vma, addr, write);
  return absl::OkStatus();
}

// do_huge_pmd_wp_page() before v5.8: the shared THP mapped at haddr is
// copied whole for this process, into a new THP mapped by the PMD where the
// VMA allows one and one can be had, else into 512 small pages mapped by
// PTEs (do_huge_pmd_wp_page_fallback); this mapping of the old one goes.
// False, having changed nothing, when not even the small pages can be had
// (VM_FAULT_OOM: the caller splits the PMD and copies the page).
bool CopyHugePmd(MmState& mm, Process& p, uint32_t pid, const Vma& vma,
                 uint64_t haddr) {
  const uint32_t old_head = p.pt.FindPmd(haddr)->head;
  const bool w = (vma.prot & PROT_BITS_WRITE) != 0;
  uint32_t head = 0;
  Folio* nf = nullptr;
  if (AnonAllowedOrders(mm, vma) >> kPmdOrder & 1) {
    nf = mm.AllocFolio(kPmdOrder, REASON_COW, &head);
  }
  std::vector<uint32_t> pages;  // the fallback's small folios
  if (nf == nullptr) {
    mm.counters.Count(VmEvent::kThpFaultFallback);
    for (int i = 0; i < kPtesPerTable; ++i) {
      uint32_t h;
      if (mm.AllocFolio(0, REASON_COW, &h) == nullptr) break;
      pages.push_back(h);
    }
    if (pages.size() < kPtesPerTable) {
      for (uint32_t h : pages) mm.PutFolio(h, 1, REASON_COW);
      return false;
    }
  } else {
    mm.counters.Count(VmEvent::kThpFaultAlloc);
    mm.counters.Count(MthpStat::kNrAnon, kPmdOrder);
  }
  // The contents, page by page.
  const Folio& old = mm.folios.At(old_head);
  for (uint32_t i = 0; i < kPtesPerTable; ++i) {
    const bool data = mm.folios.nonzero(old, old_head + i);
    if (nf != nullptr) {
      mm.folios.set_nonzero(mm.folios.At(head), head + i, 1, data);
    } else {
      mm.folios.SetPageNonzero(pages[i], data);
    }
  }
  // The old THP leaves this page table.
  {
    Folio& f = mm.folios.At(old_head);
    mm.EmitMapping(EVENT_UNMAP, old_head, f, REASON_COW, pid, haddr, f.pages(),
                   MAP_LEVEL_PMD, f.mapcount, f.mapcount - 1, f.refcount,
                   f.refcount - 1);
    RemoveRmapPmd(mm, pid, old_head, f);
    p.pt.ClearPmd(haddr);
    mm.PutFolio(old_head, 1, REASON_COW);
  }
  if (nf != nullptr) {
    nf = &mm.folios.At(head);
    nf->set(kFolioAnon);
    nf->owner = p.anon_vma;
    nf->index = AnonIndex(p, haddr);
    MapPmd(mm, pid, haddr, head, w, /*own_ref=*/false, REASON_COW);
    return true;
  }
  PteTable& t = p.pt.TableFor(haddr);
  for (uint32_t i = 0; i < kPtesPerTable; ++i) {
    const uint32_t h = pages[i];
    const uint64_t a = haddr + (uint64_t(i) << kPageShift);
    Folio& f = mm.folios.At(h);
    f.set(kFolioAnon);
    f.owner = p.anon_vma;
    f.index = AnonIndex(p, a);
    AddRmapPtes(mm, pid, h, f, h, 1);
    // maybe_mkwrite(pte_mkdirty()), clean where the data is zeros (as in
    // WriteProtectFault).
    const Pte pte = Pte::Page(h, w).WithExclusive(true);
    t.pte[i] = mm.folios.PageNonzero(h) ? pte.Dirty() : pte;
    mm.EmitMapping(EVENT_MAP, h, f, REASON_COW, pid, a, 1, MAP_LEVEL_PTE, 0, 1);
  }
  t.used += kPtesPerTable;
  return true;
}

// do_huge_pmd_anonymous_page(): true when the fault was handled at the PMD.
bool PmdFault(MmState& mm, Process& p, uint32_t pid, const Vma& vma,
              uint64_t addr, bool write, bool huge_zero_wp) {
  if (!vma.anon_vma) p.vmas.SetAnonVma(addr);  // vmf_anon_prepare()
  uint64_t haddr = addr & ~(kPmdSize - 1);
  if (!write && mm.knobs.use_zero_page) {
    p.pt.SetHuge(haddr, Pmd::Kind::kHugeZero);
    return true;
  }
  uint32_t head;
  Folio* f = mm.AllocFolio(kPmdOrder, REASON_ANON_FAULT, &head);
  if (f == nullptr) {
    mm.counters.Count(VmEvent::kThpFaultFallback);
    mm.counters.Count(MthpStat::kAnonFaultFallback, kPmdOrder);
    return false;
  }
  // map_anon_folio_pmd(): the allocation's reference is the PMD's.
  f->set(kFolioAnon);
  f->owner = p.anon_vma;
  f->index = AnonIndex(p, haddr);
  MapPmd(mm, pid, haddr, head, (vma.prot & PROT_BITS_WRITE) != 0,
         /*own_ref=*/false, REASON_ANON_FAULT);
  f = &mm.folios.At(head);
  mm.counters.Count(VmEvent::kThpFaultAlloc);
  mm.counters.Count(MthpStat::kAnonFaultAlloc, kPmdOrder);
  mm.counters.Count(MthpStat::kNrAnon, kPmdOrder);
  if (mm.profile.thp_underused_shrinker &&
      (!huge_zero_wp || mm.profile.huge_zero_wp_thp_queued)) {
    DeferredSplitFolio(mm, head, *f, /*partially_mapped=*/false);
  }
  return true;
}

// wp_can_reuse_anon_folio(): may a write fault in `p` keep the page of
// folio f it maps read-only (and not exclusive)? By the profile's rule
// (Profile::AnonCowReuse): no page of f mapped twice (before v5.9); f's
// only reference is this mapping (v5.9+, and for small folios ever since);
// never a large folio's (v6.9 to v6.14); from v6.15
// (__wp_can_reuse_large_anon_folio, 1da190f4d0a6) a large folio's when more
// than one of its pages is mapped, its "maybe mapped shared" bit is clear
// (mm_id.h: then p, which maps the page, maps all of it) and every
// reference is a mapping.
bool CanReuseAnonFolio(const MmState& mm, const Folio& f) {
  using Rule = Profile::AnonCowReuse;
  // A page-cache page (a private file mapping's) is always copied.
  if (!f.test(kFolioAnon)) return false;
  if (mm.profile.anon_cow_reuse == Rule::kByMapcount)
    return NoPageMappedTwice(mm, f);
  if (f.order == 0 || mm.profile.anon_cow_reuse == Rule::kByRefcount) {
    return f.refcount == 1;
  }
  if (mm.profile.anon_cow_reuse == Rule::kSmallOnly) return false;
  if (f.mapcount <= 1 || f.test(kFolioMaybeMappedShared)) return false;
  return f.refcount == f.mapcount;
}

// page_trans_huge_mapcount() <= 1: each page of f is mapped at most once
// (by a PMD or by a PTE).
bool NoPageMappedTwice(const MmState& mm, const Folio& f) {
  if (f.order == 0) return f.mapcount <= 1;
  for (uint32_t i = 0; i < f.pages(); ++i) {
    if (mm.folios.precise_page_mapcount(f, f.head + i) > 1) return false;
  }
  return true;
}

// do_wp_page(): a write to the zero page, to a read-only anonymous page, or
// (from CowFileFault) where a private file mapping has nothing or a
// page-cache page mapped.
// A page the process may keep (PageAnonExclusive, or wp_can_reuse_anon_folio)
// is reused (wp_page_reuse: this PTE made writable, the page exclusive);
// otherwise (wp_page_copy) the page is copied into a new order-0 folio.
// Nothing is split. (PageAnonExclusive came in v5.19; under the older
// rule an exclusive page, mapped once since fork shares every mapped page
// of a folio, is one kByMapcount reuses too.)
void WriteProtectFault(MmState& mm, Process& p, uint32_t pid, const Vma& vma,
                       uint64_t addr, uint32_t source_pfn) {
  Pte pte = p.pt.GetPte(addr);
  bool w = (vma.prot & PROT_BITS_WRITE) != 0;
  if (pte.present_page() &&
      (pte.exclusive() ||
       CanReuseAnonFolio(mm, mm.folios.At(mm.folios.HeadOf(pte.pfn()))))) {
    p.pt.SetPte(addr, pte.WithWrite(w).WithExclusive(true));
    return;
  }
  if (!vma.anon_vma) p.vmas.SetAnonVma(addr);  // wp_page_copy()
  // __wp_page_copy_user(): the copy holds what the page held (the zero
  // page, nothing).
  if (pte.present_page()) source_pfn = pte.pfn();
  const bool data = source_pfn != kNoPfn && mm.folios.PageNonzero(source_pfn);
  uint32_t head;
  Folio* f = mm.AllocFolio(0, REASON_COW, &head);
  if (f == nullptr) {  // VM_FAULT_OOM
    mm.fault_oom = true;
    return;
  }
  f->set(kFolioAnon);
  f->owner = p.anon_vma;
  f->index = AnonIndex(p, addr);
  if (pte.present_page()) {
    uint32_t old_head = mm.folios.HeadOf(pte.pfn());
    Folio& old = mm.folios.At(old_head);
    mm.EmitMapping(EVENT_UNMAP, old_head, old, REASON_COW, pid, addr, 1,
                   MAP_LEVEL_PTE, old.mapcount, old.mapcount - 1, old.refcount,
                   old.refcount - 1);
    RemoveRmapPtes(mm, pid, old_head, old, pte.pfn(), 1);
    mm.PutFolio(old_head, 1, REASON_COW);
  }
  mm.folios.SetPageNonzero(head, data);
  f = &mm.folios.At(head);
  AddRmapPtes(mm, pid, head, *f, head, 1);
  // maybe_mkwrite(pte_mkdirty()); the model's dirty bit says the data is
  // recorded, so a copy of zeros stays clean for the write to come.
  const Pte copy = Pte::Page(head, w).WithExclusive(true);
  p.pt.SetPte(addr, data ? copy.Dirty() : copy);
  mm.EmitMapping(EVENT_MAP, head, *f, REASON_COW, pid, addr, 1, MAP_LEVEL_PTE,
                 0, 1);
}

absl::Status FaultNotAllowed(uint32_t pid, uint64_t addr, bool write) {
  return absl::FailedPreconditionError(absl::StrFormat(
      "%s fault at 0x%x in process %d: the mapping does not allow it",
      write ? "write" : "read", addr, pid));
}

// do_set_pmd() / map_anon_folio_pmd().
void MapPmd(MmState& mm, uint32_t pid, uint64_t haddr, uint32_t head,
            bool writable, bool own_ref, Reason reason) {
  Process& p = mm.GetProcess(pid);
  Pmd& m = p.pt.SetHuge(haddr, Pmd::Kind::kFolio);
  m.head = head;
  m.writable = writable;
  Folio& f = mm.folios.At(head);
  // A new anonymous THP (a fault, a collapse) is exclusive (RMAP_EXCLUSIVE).
  m.exclusive = f.test(kFolioAnon);
  if (own_ref) {
    mm.EmitMapping(EVENT_MAP, head, f, reason, pid, haddr, f.pages(),
                   MAP_LEVEL_PMD, f.mapcount, f.mapcount + 1, f.refcount,
                   f.refcount + 1);
    ++f.refcount;
  } else {
    mm.EmitMapping(EVENT_MAP, head, f, reason, pid, haddr, f.pages(),
                   MAP_LEVEL_PMD, f.mapcount, f.mapcount + 1);
  }
  AddRmapPmd(mm, pid, f);
}

}  // namespace mmreplay::mm
