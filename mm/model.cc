// Model: construction, events, folio allocation and freeing, processes,
// VMAs, files, observation and invariants. The MM rules live in the files
// named after their kernel concept (see model.h).
#include "mm/model.h"

#include <algorithm>
#include <deque>

#include "absl/base/attributes.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/check.h"
#include "base/status_macros.h"

namespace mmreplay::mm {
namespace {

absl::Status NotMapped(uint32_t pid, uint64_t addr) {
  return absl::FailedPreconditionError(
      absl::StrFormat("address 0x%x is not mapped in process %d", addr, pid));
}

std::vector<ZoneSpan> Zones(const Machine& m) {
  if (m.zones.empty()) return {{0, m.total_pages}};
  return m.zones;
}

}  // namespace

Model::Model(const Machine& machine, const Profile& profile, const Knobs& knobs,
             EventSink* sink)
    : profile_(profile),
      knobs_(knobs),
      sink_(sink),
      buddy_(Zones(machine)),
      folios_(machine.total_pages) {
  KnobsChanged();
}

Model::~Model() = default;

Model::Process* Model::FindProcessSlow(uint32_t pid) {
  auto it = processes_.find(pid);
  if (it == processes_.end()) return nullptr;
  process_cache_[pid % kProcessCache] = {pid, it->second.get()};
  return it->second.get();
}

Model::File* Model::FindFile(uint64_t file) {
  auto it = files_.find(file);
  return it == files_.end() ? nullptr : &it->second;
}

void Model::MapPmd(uint32_t pid, uint64_t haddr, uint32_t head, bool writable,
                   bool own_ref, Reason reason) {
  Process& p = *FindProcess(pid);
  Pmd& m = p.pt.SetHuge(haddr, Pmd::Kind::kFolio);
  m.head = head;
  m.writable = writable;
  Folio& f = folios_.At(head);
  // A new anonymous THP (a fault, a collapse) is exclusive (RMAP_EXCLUSIVE).
  m.exclusive = f.test(kFolioAnon);
  if (own_ref) {
    EmitMapping(EVENT_MAP, head, f, reason, pid, haddr, f.pages(),
                MAP_LEVEL_PMD, f.mapcount, f.mapcount + 1, f.refcount,
                f.refcount + 1);
    ++f.refcount;
  } else {
    EmitMapping(EVENT_MAP, head, f, reason, pid, haddr, f.pages(),
                MAP_LEVEL_PMD, f.mapcount, f.mapcount + 1);
  }
  AddRmapPmd(pid, f);
}

void Model::AllocFailed(uint32_t order, Reason reason) {
  event_.Clear();
  event_.set_op_index(op_index_);
  event_.set_kind(EVENT_ALLOC_FAILED);
  event_.set_order(order);
  event_.set_reason(reason);
  Emit();
}

void Model::FreeFolios(absl::Span<Folio* const> folios, Reason reason) {
  // __folio_put() for each, in order: folio_unqueue_deferred_split(), then
  // free_pages_prepare() drops NR_ANON for anonymous large folios.
  for (size_t i = 0; i < folios.size();) {
    Folio* f = folios[i];
    DCHECK(f->refcount == 0 && f->mapcount == 0);
    uint32_t n = f->span();
    if (f->order == 0) {
      // Order-0 folios (and runs of them) at consecutive PFNs: one batch
      // of events.
      for (++i; i < folios.size() && folios[i]->order == 0 &&
                folios[i]->head == f->head + n;
           ++i) {
        n += folios[i]->span();
      }
    } else {
      ++i;
      n = 1;
      if (f->test(kFolioDeferredListed)) {
        UnqueueDeferred(f->head, *f, REASON_FREE);
      }
      if (f->test(kFolioAnon)) counters_.Count(MthpStat::kNrAnon, f->order, -1);
    }
    NewEvent(EVENT_FOLIO_FREE, f->head, f, reason).set_repeat(n);
    Emit();
  }
  // free_unref_folios(): the pages go back, a run of adjacent folios at a
  // time. For a batch of several, the buddy's bits for their merges are
  // asked for first, so that their misses overlap.
  if (folios.size() > 1) {
    for (const Folio* f : folios) buddy_.PrefetchFree(f->head, f->order);
  }
  for (size_t i = 0; i < folios.size();) {
    const uint32_t first = folios[i]->head;
    uint32_t end = first;
    size_t next = i;
    for (; next < folios.size() && folios[next]->head == end; ++next) {
      end += folios[next]->span();
    }
    if (next == i + 1) {
      folios_.Destroy(*folios[i]);  // one record: no index look-up
    } else {
      folios_.DestroyRange(first, end);
    }
    buddy_.FreeRange(first, end - first);
    i = next;
  }
}

void Model::PutFolio(uint32_t head, int n, Reason reason) {
  Folio& f = folios_.At(head);
  f.refcount -= n;
  DCHECK(f.refcount >= 0);
  if (f.refcount == 0) FreeFolio(head, reason);
}

// --- processes -------------------------------------------------------------

absl::Status Model::ProcessCreate(uint32_t pid) {
  std::unique_ptr<Process>& p = processes_[pid];
  p = std::make_unique<Process>();
  p->anon_vma = next_anon_vma_++;
  return absl::OkStatus();
}

absl::Status Model::ProcessExit(uint32_t pid) {
  // exit_mmap(): unmap every VMA; then the files holding its pins close.
  ZapRange(pid, 0, UINT64_MAX, REASON_EXIT);
  ReleasePins(pid);
  processes_.erase(pid);
  process_cache_[pid % kProcessCache] = {};
  return absl::OkStatus();
}

// --- VMAs --------------------------------------------------------------------

absl::Status Model::MmapAnon(uint32_t pid, uint64_t addr, uint64_t length,
                             uint32_t prot, uint32_t flags) {
  Vma vma;
  vma.start = addr;
  vma.end = addr + length;
  vma.prot = prot;
  vma.shared = (flags & MAP_BITS_SHARED) != 0;
  vma.pgoff = addr >> kPageShift;
  MapVma(pid, vma);
  return absl::OkStatus();
}

absl::Status Model::MmapFile(uint32_t pid, uint64_t addr, uint64_t length,
                             uint32_t prot, uint32_t flags, uint32_t file_id,
                             uint64_t offset) {
  Vma vma;
  vma.start = addr;
  vma.end = addr + length;
  vma.prot = prot;
  vma.shared = (flags & MAP_BITS_SHARED) != 0;
  vma.file = file_id;
  vma.pgoff = offset >> kPageShift;
  MapVma(pid, vma);
  return absl::OkStatus();
}

void Model::MapVma(uint32_t pid, const Vma& vma) {
  // mmap_region(): MAP_FIXED over existing mappings unmaps them first
  // (nothing is mapped where no VMA is).
  Process& p = *FindProcess(pid);
  if (p.vmas.Overlaps(vma.start, vma.end)) {
    ZapRange(pid, vma.start, vma.end, REASON_MUNMAP);
    p.vmas.Unmap(vma.start, vma.end);
    FreePgtables(p, vma.start, vma.end);
  }
  p.vmas.Map(vma);
}

absl::Status Model::Munmap(uint32_t pid, uint64_t addr, uint64_t length) {
  const uint64_t end = addr + length;
  ZapRange(pid, addr, end, REASON_MUNMAP);
  Process& p = *FindProcess(pid);
  p.vmas.Unmap(addr, end);
  FreePgtables(p, addr, end);
  return absl::OkStatus();
}

absl::Status Model::Madvise(uint32_t pid, uint64_t addr, uint64_t length,
                            Advice advice) {
  Process* p = FindProcess(pid);
  uint64_t end = addr + length;
  switch (advice) {
    case ADVICE_HUGEPAGE:
    case ADVICE_NOHUGEPAGE: {
      bool huge = advice == ADVICE_HUGEPAGE;
      // hugepage_madvise(): sets one flag and clears the other. Splitting
      // a VMA at a boundary inside a PMD mapping splits the PMD
      // (vma_adjust_trans_huge).
      for (const Vma& v : p->vmas.Update(addr, end, [huge](Vma& v) {
             v.hugepage = huge;
             v.nohugepage = !huge;
           })) {
        SplitPmdsAtEdges(pid, v.start, v.end, REASON_UNSPECIFIED);
      }
      return absl::OkStatus();
    }
    case ADVICE_DONTNEED:
      ZapRange(pid, addr, end, REASON_MADV_DONTNEED);
      return absl::OkStatus();
    case ADVICE_FREE:
      // madvise_free_single_vma(): only private anonymous memory.
      for (const Vma& v : FindProcess(pid)->vmas.Overlapping(addr, end)) {
        if (!v.anonymous() || v.shared) {
          return absl::FailedPreconditionError(absl::StrFormat(
              "MADV_FREE at 0x%x in process %d: not private anonymous "
              "memory (madvise fails with EINVAL)",
              v.start, pid));
        }
      }
      MadviseFree(pid, addr, end);
      return absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

absl::Status Model::Mprotect(uint32_t pid, uint64_t addr, uint64_t length,
                             uint32_t prot) {
  Process* p = FindProcess(pid);
  for (uint64_t a = addr; a < addr + length;) {
    const Vma* v = p->vmas.Find(a);
    // mprotect() fails with ENOMEM on a hole and changes nothing.
    if (v == nullptr) return absl::OkStatus();
    a = v->end;
  }
  // change_protection() on each VMA whose protection changes.
  // change_pmd_range(): a PMD mapping the range covers only in part is
  // split into PTEs; the folio is not split.
  // Write permission goes from the PTEs when it goes from the VMA. When
  // the VMA allows writes, change_pte_range() (MM_CP_TRY_CHANGE_WRITABLE,
  // can_change_pte_writable) makes exclusive anonymous pages writable at
  // once; the others stay as they are, to fault.
  const bool write = (prot & PROT_BITS_WRITE) != 0;
  for (const Vma& v :
       p->vmas.Update(addr, addr + length, [prot](Vma& v) { v.prot = prot; })) {
    SplitPmdsAtEdges(pid, v.start, v.end, REASON_MPROTECT);
    p->pt.ForEachPmd(v.start, v.end, [&](uint64_t pmd_addr, Pmd& pmd) {
      if (pmd.kind == Pmd::Kind::kFolio) {
        pmd.writable = write && (pmd.writable || pmd.exclusive);
      } else if (pmd.kind == Pmd::Kind::kTable) {
        PteTable& t = p->pt.Table(pmd);
        const int first =
            v.start <= pmd_addr ? 0 : PageTable::PteIndex(v.start);
        const int stop = v.end >= pmd_addr + kPmdSize
                             ? kPtesPerTable
                             : PageTable::PteIndex(v.end);
        for (int i = first; i < stop; ++i) {
          Pte& pte = t.pte[i];
          if (pte.present_page()) {
            pte = pte.WithWrite(write && (pte.writable() || pte.exclusive()));
          }
        }
      }
    });
  }
  return absl::OkStatus();
}

// The CPU's access: the MMU walks the page tables first, and a present
// mapping that allows the access is used as it is, with no fault and no look
// at the VMA; a write through it sets its dirty bit and, the first time,
// puts data in the folio's page. Only a page that faults asks its VMA
// (handle_mm_fault), and the walk then looks at it again.
absl::Status Model::Touch(uint32_t pid, uint64_t addr, uint64_t length,
                          Access access) {
  Process& p = *FindProcess(pid);
  const bool write = access == ACCESS_WRITE;
  // PTEs have no read permission of their own here: where some VMA has
  // none, every read asks the VMA.
  const bool walk = write || p.vmas.unreadable() == 0;
  const uint64_t end = addr + length;
  // Where the last fault was: a fault that could map nothing (no memory, a
  // read of an unmodelled mapping) is not tried again.
  uint64_t faulted = UINT64_MAX;
  for (uint64_t a = addr; a < end;) {
    if (walk) {
      uint64_t next = Walk(p, a, end, write);
      if (next != a) {
        a = next;
        continue;
      }
    }
    if (faulted == a) {
      a += kPageSize;
      continue;
    }
    const Vma* vma = p.vmas.Find(a);
    if (vma == nullptr) return NotMapped(pid, a);
    const uint64_t vma_end = vma->end;
    const bool unmodelled = vma->anonymous() && vma->shared;
    RETURN_IF_ERROR(HandleMmFault(p, pid, *vma, a, write));
    if (unmodelled) {  // shared anonymous memory: nothing to map
      a = std::min(end, vma_end);
      continue;
    }
    if (!walk) {
      a += kPageSize;  // a read without the walk: the fault was the access
      continue;
    }
    faulted = a;
  }
  return absl::OkStatus();
}

absl::Status Model::FaultNotAllowed(uint32_t pid, uint64_t addr, bool write) {
  return absl::FailedPreconditionError(absl::StrFormat(
      "%s fault at 0x%x in process %d: the mapping does not allow it",
      write ? "write" : "read", addr, pid));
}

// Inline in Touch, its only caller: most touches are a walk and nothing
// more, and the call cost about 30 instructions a walk.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline uint64_t Model::Walk(Process& p, uint64_t a,
                                                         uint64_t end,
                                                         bool write) {
  const uint64_t pmd_end = std::min(end, (a & ~(kPmdSize - 1)) + kPmdSize);
  Pmd* pmd = p.pt.FindPmd(a);
  if (pmd == nullptr) return a;
  switch (pmd->kind) {
    case Pmd::Kind::kFolio: {
      if (!write) return pmd_end;
      if (!pmd->writable) return a;
      if (!pmd->written) {
        Folio& f = folios_.At(pmd->head);
        Written(f,
                pmd->head +
                    static_cast<uint32_t>((a & (kPmdSize - 1)) >> kPageShift),
                static_cast<uint32_t>((pmd_end - a) >> kPageShift));
        pmd->written = folios_.all_nonzero(f);
      }
      return pmd_end;
    }
    case Pmd::Kind::kHugeZero:
      return write ? a : pmd_end;
    case Pmd::Kind::kTable:
      break;
    default:
      return a;
  }
  PteTable& t = p.pt.Table(*pmd);
  while (a < pmd_end) {
    const int i = PageTable::PteIndex(a);
    const Pte pte = t.pte[i];
    if (!write) {
      // The zero page or a page: either reads.
      if (pte.none()) break;
      a += kPageSize;
      continue;
    }
    if (!pte.present_page() || !pte.writable()) break;
    if (pte.dirty()) {
      a += kPageSize;
      continue;
    }
    // A run of clean PTEs of one folio's pages (or of a run of order-0
    // folios): dirtied together, the data recorded once.
    const uint32_t pfn = pte.pfn();
    const Folio* rec = folios_.Peek(pfn);
    const int n =
        t.Batch(i,
                std::min<int>(static_cast<int>((pmd_end - a) >> kPageShift),
                              static_cast<int>(rec->head + rec->span() - pfn)),
                /*same_bits=*/true);
    if (!folios_.all_nonzero(*rec)) {
      // Folios of a run written on their own leave it.
      Written(folios_.CarveRunIfRun(*folios_.Peek(pfn), pfn,
                                    static_cast<uint32_t>(n)),
              pfn, static_cast<uint32_t>(n));
    }
    for (int k = 0; k < n; ++k) t.pte[i + k] = t.pte[i + k].Dirty();
    a += uint64_t(n) << kPageShift;
  }
  return a;
}

void Model::Written(Folio& f, uint32_t pfn, uint32_t n) {
  if (f.order == 0 && f.run > 0) {
    // A whole run written at once stays a run.
    DCHECK(f.head == pfn && f.run + 1 == n);
    f.nonzero = true;
  } else {
    folios_.set_nonzero(f, pfn, n, true);
  }
  if (!f.test(kFolioAnon)) f.set(kFolioDirty);
}

// --- files -------------------------------------------------------------------

absl::Status Model::FileCreate(uint32_t file_id, Filesystem filesystem,
                               TmpfsHuge huge, uint32_t min_order,
                               uint32_t max_order) {
  File& f = files_[file_id];
  f.filesystem = filesystem;
  f.huge = huge;
  f.min_order = min_order;
  f.max_order = max_order;
  return absl::OkStatus();
}

// split_huge_pages_in_file(): each large folio above the target order (at
// least the mapping's minimum) is split, or fails to (counted: no pre-check
// of its references here); the walk goes on from the index it found the
// folio at by as many pages as the folio had (so a folio met in its middle
// takes the walk past the next one's first pages).
absl::Status Model::SplitFileRange(uint32_t file_id, uint64_t offset,
                                   uint64_t length, uint32_t new_order,
                                   bool non_uniform, uint64_t in_folio_offset) {
  File& file = *FindFile(file_id);
  const uint64_t end = (offset + length + kPageSize - 1) / kPageSize;
  uint64_t nr_pages = 1;
  for (uint64_t index = offset / kPageSize; index < end; index += nr_pages) {
    nr_pages = 1;
    std::optional<PageCache::Entry> e = file.cache.Find(index);
    if (!e.has_value()) continue;
    Folio& f = folios_.At(e->head);
    if (f.order == 0) continue;
    nr_pages = f.pages();
    uint32_t target = std::max(new_order, file.min_folio_order());
    if (target >= f.order) continue;
    bool uniform = !non_uniform || in_folio_offset >= f.pages();
    SplitFolio(e->head, target, uniform ? 0 : in_folio_offset, uniform,
               /*caller_pins=*/0, REASON_SPLIT_REQUEST);
  }
  return absl::OkStatus();
}

absl::StatusOr<Layout> Model::FileLayout(uint32_t file_id, uint64_t offset,
                                         uint64_t length) const {
  auto it = files_.find(file_id);
  LayoutBuilder b;
  for (uint64_t index = offset / kPageSize;
       index < (offset + length) / kPageSize; ++index) {
    std::optional<PageCache::Entry> e = it->second.cache.Find(index);
    if (!e.has_value()) {
      b.AddHole();
    } else {
      b.AddFolio(e->head, e->order, index - e->index);
    }
  }
  return b.Finish();
}

// --- compaction: not modelled yet -----------------------------------------

absl::Status Model::Compact(CompactMode, uint32_t) { return absl::OkStatus(); }

// --- observation -------------------------------------------------------------

absl::StatusOr<Layout> Model::RangeLayout(uint32_t pid, uint64_t addr,
                                          uint64_t length,
                                          uint64_t* pmd_mapped_pages) const {
  const Process& p = *FindProcess(pid);
  LayoutBuilder b;
  *pmd_mapped_pages = 0;
  for (uint64_t a = addr; a < addr + length; a += kPageSize) {
    const Pmd* pmd = p.pt.FindPmd(a);
    if (pmd != nullptr && pmd->kind == Pmd::Kind::kFolio) {
      const Folio* f = folios_.Peek(pmd->head);
      b.AddFolio(pmd->head, f->order, (a & (kPmdSize - 1)) >> kPageShift);
      ++*pmd_mapped_pages;
      continue;
    }
    if (pmd != nullptr && pmd->kind == Pmd::Kind::kHugeZero) {
      b.AddZeroPage(/*huge=*/true);
      ++*pmd_mapped_pages;
      continue;
    }
    Pte pte = p.pt.GetPte(a);
    if (pte.none()) {
      b.AddHole();
    } else if (pte.zero_page()) {
      b.AddZeroPage(/*huge=*/false);
    } else {
      uint32_t head = folios_.HeadOf(pte.pfn());
      b.AddFolio(head, folios_.Peek(head)->order, pte.pfn() - head);
    }
  }
  return b.Finish();
}

bool Model::MappedWritable(uint32_t pid, uint64_t addr) const {
  const Process* found = FindProcess(pid);
  if (found == nullptr) return false;
  const Process& p = *found;
  const Pmd* pmd = p.pt.FindPmd(addr);
  if (pmd != nullptr && pmd->kind == Pmd::Kind::kFolio) return pmd->writable;
  Pte pte = p.pt.GetPte(addr);
  return pte.present_page() && pte.writable();
}

bool Model::MapsAnonPage(const Process& p, uint64_t addr) const {
  const Pte pte = p.pt.GetPte(addr);
  return pte.present_page() && folios_.Peek(pte.pfn())->test(kFolioAnon);
}

// --- invariants --------------------------------------------------------------

absl::Status Model::Verify() const {
  // Pages are conserved: free blocks plus folios make the machine.
  uint64_t in_folios = 0;
  // Every folio, a run's one by one, in PFN order: large folios as their
  // records (which hold their tail pages' fields), order-0 ones as copies.
  std::deque<Folio> run_folios;
  std::vector<const Folio*> all;
  all.reserve(folios_.size());
  folios_.ForEach([&run_folios, &all](const Folio& f) {
    if (f.order > 0) {
      all.push_back(&f);
    } else {
      run_folios.push_back(f);
      all.push_back(&run_folios.back());
    }
  });
  std::sort(all.begin(), all.end(),
            [](const Folio* a, const Folio* b) { return a->head < b->head; });
  uint64_t prev_end = 0;
  for (const Folio* fp : all) {
    const Folio& f = *fp;
    uint32_t head = f.head;
    const Folio* r = folios_.Peek(head);
    if (r == nullptr || (r->order != 0 && r->head != head) ||
        (r->order == 0 && (head < r->head || head > r->head + r->run))) {
      return absl::InternalError(
          absl::StrFormat("folio 0x%x is not where the index says", head));
    }
    if (head < prev_end || folios_.HeadOf(head + f.pages() - 1) != head) {
      return absl::InternalError(
          absl::StrFormat("folio 0x%x overlaps the one before it", head));
    }
    prev_end = head + f.pages();
    in_folios += f.pages();
    if (f.refcount <= 0) {
      return absl::InternalError(absl::StrFormat(
          "folio 0x%x is live with refcount %d", head, f.refcount));
    }
    if (f.mapcount < 0 || folios_.entire_mapcount(f) < 0) {
      return absl::InternalError(
          absl::StrFormat("folio 0x%x has a negative mapcount", head));
    }
  }
  if (in_folios + buddy_.free_pages() != buddy_.total_pages()) {
    return absl::InternalError(
        absl::StrFormat("pages not conserved: %d in folios + %d free != %d",
                        in_folios, buddy_.free_pages(), buddy_.total_pages()));
  }
  // Every mapping points into a live folio, and each folio's mapcounts and
  // references add up: refcount = mappings + pins + speculative refs, plus
  // a page-cache folio's one reference per page (filemap_add_folio).
  absl::flat_hash_map<uint32_t, int64_t> maps, pmd_maps;
  absl::flat_hash_map<uint32_t, std::vector<int32_t>> page_maps;
  // PageAnonExclusive: a writable anonymous mapping is exclusive, and an
  // exclusive page is mapped once (checked against every mapping below).
  std::vector<std::pair<uint32_t, uint32_t>> exclusive;  // (head, pfn)
  absl::Status broken;
  // Besides, an anonymous page is mapped only in a private VMA with an
  // anon_vma, at the address its index says (what the rmap walk and the
  // reuse rule take it to be); a private mapping never maps a page-cache
  // page writable.
  auto check_exclusive = [&](const Process& p, uint32_t pid, uint64_t addr,
                             const Folio& f, uint32_t head, uint32_t pfn,
                             bool writable, bool excl) {
    bool anon = f.test(kFolioAnon);
    const Vma* vma = p.vmas.Find(addr);
    if (broken.ok() && vma == nullptr) {
      broken = absl::InternalError(absl::StrFormat(
          "process %d: page 0x%x is mapped at 0x%x, where no VMA is", pid, pfn,
          addr));
    } else if (broken.ok() && anon &&
               (vma->shared || !vma->anon_vma ||
                (f.index + (pfn - f.head)) << kPageShift != addr)) {
      broken = absl::InternalError(absl::StrFormat(
          "process %d: anon page 0x%x (index 0x%x) is mapped at 0x%x, in a "
          "VMA %s",
          pid, pfn, f.index + (pfn - f.head), addr,
          vma->shared      ? "that is shared"
          : !vma->anon_vma ? "without an anon_vma"
                           : "at another address"));
    } else if (broken.ok() && !anon && writable && !vma->shared) {
      broken = absl::InternalError(absl::StrFormat(
          "process %d: file page 0x%x is mapped writable at 0x%x, in a "
          "private VMA",
          pid, pfn, addr));
    } else if (broken.ok() && excl && !anon) {
      broken = absl::InternalError(absl::StrFormat(
          "process %d: the mapping at 0x%x is exclusive, of file page 0x%x",
          pid, addr, pfn));
    } else if (broken.ok() && anon && writable && !excl) {
      broken = absl::InternalError(absl::StrFormat(
          "process %d: the mapping at 0x%x of anon page 0x%x is writable, "
          "not exclusive",
          pid, addr, pfn));
    }
    if (excl) exclusive.push_back({head, pfn});
  };
  // The zero pages are mapped only in private anonymous memory, the huge
  // one in a VMA with an anon_vma (do_huge_pmd_anonymous_page prepares it
  // first).
  auto check_zero = [&](const Process& p, uint32_t pid, uint64_t addr,
                        bool huge) {
    const Vma* vma = p.vmas.Find(addr);
    if (broken.ok() && (vma == nullptr || !vma->anonymous() || vma->shared ||
                        (huge && !vma->anon_vma))) {
      broken = absl::InternalError(absl::StrFormat(
          "process %d: the %szero page is mapped at 0x%x, outside private "
          "anonymous memory%s",
          pid, huge ? "huge " : "", addr, huge ? " with an anon_vma" : ""));
    }
  };
  for (const auto& [pid, p_ptr] : processes_) {
    const Process& p = *p_ptr;
    p.pt.ForEachPmd(
        0, PageTable::kUserEnd, [&](uint64_t pmd_addr, const Pmd& pmd) {
          if (!broken.ok()) return;
          if (pmd.kind == Pmd::Kind::kFolio) {
            const Folio* f = folios_.Peek(pmd.head);
            if (f == nullptr || f->order == 0 || f->head != pmd.head) {
              broken = absl::InternalError(absl::StrFormat(
                  "process %d: PMD at 0x%x maps 0x%x, no folio head", pid,
                  pmd_addr, pmd.head));
              return;
            }
            ++maps[pmd.head];
            ++pmd_maps[pmd.head];
            check_exclusive(p, pid, pmd_addr, *f, pmd.head, pmd.head,
                            pmd.writable, pmd.exclusive);
          } else if (pmd.kind == Pmd::Kind::kHugeZero) {
            check_zero(p, pid, pmd_addr, /*huge=*/true);
          } else if (pmd.kind == Pmd::Kind::kTable) {
            const PteTable& t = p.pt.Table(pmd);
            int used = 0;
            for (int i = 0; i < kPtesPerTable; ++i) {
              Pte pte = t.pte[i];
              if (!pte.none()) ++used;
              if (pte.zero_page()) {
                check_zero(p, pid, pmd_addr + (uint64_t(i) << kPageShift),
                           /*huge=*/false);
              }
              if (!pte.present_page()) continue;
              const Folio* f = folios_.Peek(pte.pfn());
              if (f == nullptr) {
                broken = absl::InternalError(absl::StrFormat(
                    "process %d: PTE at 0x%x maps free page 0x%x", pid,
                    pmd_addr + (uint64_t(i) << kPageShift), pte.pfn()));
                return;
              }
              uint32_t head = folios_.HeadOf(pte.pfn());
              check_exclusive(p, pid, pmd_addr + (uint64_t(i) << kPageShift),
                              *f, head, pte.pfn(), pte.writable(),
                              pte.exclusive());
              ++maps[head];
              std::vector<int32_t>& pm = page_maps[head];
              if (pm.empty()) pm.resize(f->pages());
              ++pm[pte.pfn() - head];
            }
            if (used != t.used) {
              broken = absl::InternalError(absl::StrFormat(
                  "process %d: PTE table at 0x%x counts %d entries, holds %d",
                  pid, pmd_addr, t.used, used));
            }
          }
        });
    if (!broken.ok()) return broken;
  }
  for (const auto& [head, pfn] : exclusive) {
    auto it = page_maps.find(head);
    int64_t ptes = it == page_maps.end() ? 0 : it->second[pfn - head];
    if (ptes + (pmd_maps.contains(head) ? pmd_maps.at(head) : 0) != 1) {
      return absl::InternalError(absl::StrFormat(
          "page 0x%x is exclusive but mapped %d times", pfn,
          ptes + (pmd_maps.contains(head) ? pmd_maps.at(head) : 0)));
    }
  }
  absl::flat_hash_map<uint32_t, int64_t> held;
  for (const auto* holders : {&pins_, &refs_}) {
    for (const auto& [id, h] : *holders) {
      for (uint32_t pfn : h.pfns) {
        const Folio* f = folios_.Peek(pfn);
        if (f == nullptr) {
          return absl::InternalError(absl::StrFormat(
              "reference %d holds page 0x%x, which is free", id, pfn));
        }
        held[folios_.HeadOf(pfn)] +=
            h.foll_pin && f->order == 0 ? kGupPinCountingBias : 1;
      }
    }
  }
  // The page cache's folios (file, first index, order), each checked below
  // to be a live folio of that file at that index.
  struct Cached {
    uint64_t file, index;
    uint32_t order;
  };
  absl::flat_hash_map<uint32_t, Cached> cached;
  for (const auto& [id, file] : files_) {
    for (const PageCache::Entry& e : file.cache.InRange(0, UINT64_MAX)) {
      auto [it, added] =
          cached.try_emplace(e.head, Cached{id, e.index, e.order});
      if (!added) {
        return absl::InternalError(absl::StrFormat(
            "folio 0x%x is in the page cache twice: file %d index %d and file "
            "%d index %d",
            e.head, it->second.file, it->second.index, id, e.index));
      }
    }
  }
  size_t cached_found = 0;
  for (const Folio* fp : all) {
    const Folio& f = *fp;
    uint32_t head = f.head;
    int64_t m = maps.contains(head) ? maps.at(head) : 0;
    int64_t pm = pmd_maps.contains(head) ? pmd_maps.at(head) : 0;
    int64_t h = held.contains(head) ? held.at(head) : 0;
    int64_t c = 0;
    if (auto it = cached.find(head); it != cached.end()) {
      const Cached& e = it->second;
      if (f.test(kFolioAnon) || f.owner != e.file || f.index != e.index ||
          f.order != e.order) {
        return absl::InternalError(absl::StrFormat(
            "folio 0x%x is in file %d's page cache at %d (order %d), not its "
            "own (%s, owner %d, index %d, order %d)",
            head, e.file, e.index, e.order,
            f.test(kFolioAnon) ? "anon" : "file", f.owner, f.index, f.order));
      }
      c = f.pages();
      ++cached_found;
    }
    if (f.mapcount != m || folios_.entire_mapcount(f) != pm) {
      return absl::InternalError(absl::StrFormat(
          "folio 0x%x: mapcount %d (entire %d) but %d mappings (%d PMD)", head,
          f.mapcount, folios_.entire_mapcount(f), m, pm));
    }
    if (f.refcount != m + h + c) {
      return absl::InternalError(absl::StrFormat(
          "folio 0x%x: refcount %d but %d mappings, %d page-cache references "
          "and %d other holders",
          head, f.refcount, m, c, h));
    }
    auto it = page_maps.find(head);
    int mapped_pages = 0;
    uint32_t nonzero = 0;
    for (uint32_t i = 0; i < f.pages(); ++i) {
      int want = it == page_maps.end() ? 0 : it->second[i];
      int got = f.order == 0 ? f.mapcount : folios_.page_mapcount(f, head + i);
      if (got != want) {
        return absl::InternalError(
            absl::StrFormat("page 0x%x: PTE mapcount %d but %d PTEs map it",
                            head + i, got, want));
      }
      mapped_pages += want > 0;
      nonzero += folios_.nonzero(f, head + i);
    }
    if (folios_.nr_pages_mapped(f) != mapped_pages) {
      return absl::InternalError(absl::StrFormat(
          "folio 0x%x: nr_pages_mapped %d but %d pages have PTEs", head,
          folios_.nr_pages_mapped(f), mapped_pages));
    }
    if (f.order > 0 && folios_.Large(f).nonzero_pages != nonzero) {
      return absl::InternalError(
          absl::StrFormat("folio 0x%x: %d non-zero pages counted, %d found",
                          head, folios_.Large(f).nonzero_pages, nonzero));
    }
  }
  if (cached_found != cached.size()) {
    return absl::InternalError(
        absl::StrFormat("the page cache holds %d folios, %d of them live",
                        cached.size(), cached_found));
  }
  RETURN_IF_ERROR(VerifyMmIds(all));
  // The deferred split queue links only listed folios, both ways.
  uint64_t n = 0;
  uint32_t prev = kNoFolio;
  for (uint32_t h = deferred_head_; h != kNoFolio;) {
    const Folio* f = folios_.Peek(h);
    if (f == nullptr || f->head != h || f->order < 2 ||
        !f->test(kFolioDeferredListed) ||
        folios_.Large(*f).deferred_prev != prev) {
      return absl::InternalError(
          absl::StrFormat("deferred split queue broken at 0x%x", h));
    }
    prev = h;
    h = folios_.Large(*f).deferred_next;
    if (++n > deferred_len_) break;
  }
  if (n != deferred_len_ || prev != deferred_tail_) {
    return absl::InternalError(absl::StrFormat(
        "deferred split queue holds %d folios, its length says %d", n,
        deferred_len_));
  }
  return absl::OkStatus();
}

Model::MemoryUse Model::memory_use() const {
  MemoryUse u;
  u.live_folios = folios_.size();
  u.folio_record_bytes = folios_.record_bytes();
  u.large_folio_bytes = folios_.large_bytes() + mm_ids_.bytes();
  u.pfn_index_bytes = folios_.index_bytes();
  u.buddy_bytes = buddy_.bytes();
  for (const auto& [pid, p_ptr] : processes_) {
    const Process& p = *p_ptr;
    u.page_table_bytes += p.pt.bytes();
  }
  for (const auto& [id, f] : files_) {
    u.page_cache_bytes += f.cache.bytes() + f.cache.nodes() * 576;
  }
  return u;
}

}  // namespace mmreplay::mm
