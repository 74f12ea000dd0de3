// Model: construction, processes, VMAs, the access walk, files,
// observation and invariants. The MM rules live in the files named after
// their kernel concept (see model.h).
#include "mm/model.h"

#include <algorithm>
#include <deque>

#include "absl/base/attributes.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/check.h"
#include "base/status_macros.h"
#include "mm/anon_shmem.h"
#include "mm/compaction.h"
#include "mm/errno.h"
#include "mm/fault.h"
#include "mm/filemap.h"
#include "mm/pin.h"
#include "mm/rmap.h"
#include "mm/split.h"
#include "mm/zap.h"

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

// Maps `vma` in the process, unmapping what it overlaps (MAP_FIXED).
void MapVma(MmState& mm, uint32_t pid, const Vma& vma) {
  // mmap_region(): MAP_FIXED over existing mappings unmaps them first
  // (nothing is mapped where no VMA is).
  Process& p = mm.GetProcess(pid);
  if (p.vmas.Overlaps(vma.start, vma.end)) {
    ZapRange(mm, pid, vma.start, vma.end, REASON_MUNMAP);
    p.vmas.Unmap(vma.start, vma.end);
    FreePgtables(p, vma.start, vma.end);
  }
  p.vmas.Map(vma);
}

// A write put data in the n pages from pfn of folio (or run) f: they are
// not all zeros now, and a page-cache folio is dirty.
void Written(MmState& mm, Folio& f, uint32_t pfn, uint32_t n) {
  if (f.order == 0 && f.run > 0) {
    // A whole run written at once stays a run.
    DCHECK(f.head == pfn && f.run + 1 == n);
    f.nonzero = true;
  } else {
    mm.folios.set_nonzero(f, pfn, n, true);
  }
  if (!f.test(kFolioAnon)) f.set(kFolioDirty);
}

// The MMU's walk for an access to [a, end) within the PMD of `a`: how far
// the present mappings allow it with no fault (a, if the first page
// faults). A write dirties the mappings it goes through and records its
// data (Written()) where they were clean.
// Inline in Touch, its only caller: most touches are a walk and nothing
// more, and the call cost about 30 instructions a walk.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline uint64_t Walk(MmState& mm, Process& p,
                                                  uint64_t a, uint64_t end,
                                                  bool write) {
  const uint64_t pmd_end = std::min(end, (a & ~(kPmdSize - 1)) + kPmdSize);
  Pmd* pmd = p.pt.FindPmd(a);
  if (pmd == nullptr) return a;
  switch (pmd->kind) {
    case Pmd::Kind::kFolio: {
      if (!write) return pmd_end;
      if (!pmd->writable) return a;
      if (!pmd->written) {
        Folio& f = mm.folios.At(pmd->head);
        Written(mm, f,
                pmd->head +
                    static_cast<uint32_t>((a & (kPmdSize - 1)) >> kPageShift),
                static_cast<uint32_t>((pmd_end - a) >> kPageShift));
        pmd->written = mm.folios.all_nonzero(f);
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
    const Folio* rec = mm.folios.Peek(pfn);
    const int n =
        t.Batch(i,
                std::min<int>(static_cast<int>((pmd_end - a) >> kPageShift),
                              static_cast<int>(rec->head + rec->span() - pfn)),
                /*same_bits=*/true);
    if (!mm.folios.all_nonzero(*rec)) {
      // Folios of a run written on their own leave it.
      Written(mm,
              mm.folios.CarveRunIfRun(*mm.folios.Peek(pfn), pfn,
                                      static_cast<uint32_t>(n)),
              pfn, static_cast<uint32_t>(n));
    }
    for (int k = 0; k < n; ++k) t.pte[i + k] = t.pte[i + k].Dirty();
    a += uint64_t(n) << kPageShift;
  }
  return a;
}

}  // namespace

Model::Model(const Machine& machine, const Profile& profile, const Knobs& knobs,
             EventSink* sink)
    : mm_(Zones(machine), machine.total_pages, profile, knobs, sink) {}

Model::~Model() = default;

// --- processes -------------------------------------------------------------

absl::Status Model::ProcessCreate(uint32_t pid) {
  mm_.NewProcess(pid).anon_vma = mm_.next_anon_vma++;
  return absl::OkStatus();
}

absl::Status Model::ProcessExit(uint32_t pid) {
  // exit_mmap(): unmap every VMA; then the files holding its pins close.
  ZapRange(mm_, pid, 0, UINT64_MAX, REASON_EXIT);
  ReleasePins(mm_, pid);
  mm_.EraseProcess(pid);
  ReleaseAnonShmem(mm_);
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
  if (vma.shared) ShmemZeroSetup(mm_, length, &vma);
  MapVma(mm_, pid, vma);
  ReleaseAnonShmem(mm_);  // what MAP_FIXED unmapped
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
  MapVma(mm_, pid, vma);
  ReleaseAnonShmem(mm_);
  return absl::OkStatus();
}

absl::Status Model::Munmap(uint32_t pid, uint64_t addr, uint64_t length) {
  const uint64_t end = addr + length;
  ZapRange(mm_, pid, addr, end, REASON_MUNMAP);
  Process& p = mm_.GetProcess(pid);
  p.vmas.Unmap(addr, end);
  FreePgtables(p, addr, end);
  ReleaseAnonShmem(mm_);
  return absl::OkStatus();
}

// madvise(): madvise_walk_vmas() applies the advice VMA by VMA; a hole in
// the range does not stop it, but madvise then returns -ENOMEM.
absl::Status Model::Madvise(uint32_t pid, uint64_t addr, uint64_t length,
                            Advice advice) {
  Process& p = mm_.GetProcess(pid);
  const uint64_t end = addr + length;
  const bool hole = p.vmas.MappedUpTo(addr, end) < end;
  Reason reason = REASON_UNSPECIFIED;
  switch (advice) {
    case ADVICE_HUGEPAGE:
    case ADVICE_NOHUGEPAGE: {
      bool huge = advice == ADVICE_HUGEPAGE;
      // hugepage_madvise(): sets one flag and clears the other. Splitting
      // a VMA at a boundary inside a PMD mapping splits the PMD
      // (vma_adjust_trans_huge).
      for (const Vma& v : p.vmas.Update(addr, end, [huge](Vma& v) {
             v.hugepage = huge;
             v.nohugepage = !huge;
           })) {
        SplitPmdsAtEdges(mm_, pid, v.start, v.end, REASON_UNSPECIFIED);
      }
      break;
    }
    case ADVICE_DONTNEED:
      reason = REASON_MADV_DONTNEED;
      ZapRange(mm_, pid, addr, end, reason);
      break;
    case ADVICE_FREE:
      reason = REASON_MADV_FREE;
      // madvise_free_single_vma(): only private anonymous memory; the
      // first other VMA ends the walk with -EINVAL, the VMAs before it
      // done.
      for (const Vma& v : p.vmas.Overlapping(addr, end)) {
        if (!v.anonymous() || v.shared) {
          if (v.start > addr) MadviseFree(mm_, pid, addr, v.start);
          mm_.OpFailed(pid, addr, length, kEinval, reason);
          return absl::OkStatus();
        }
      }
      MadviseFree(mm_, pid, addr, end);
      break;
    default:
      break;
  }
  if (hole) mm_.OpFailed(pid, addr, length, kEnomem, reason);
  return absl::OkStatus();
}

// mprotect(): do_mprotect_pkey() fails with -ENOMEM, changing nothing, if
// no VMA holds the start; else it changes the VMAs one after another up to
// the first hole, and then fails with -ENOMEM.
absl::Status Model::Mprotect(uint32_t pid, uint64_t addr, uint64_t length,
                             uint32_t prot) {
  Process* p = &mm_.GetProcess(pid);
  const uint64_t end = p->vmas.MappedUpTo(addr, addr + length);
  // change_protection() on each VMA whose protection changes.
  // change_pmd_range(): a PMD mapping the range covers only in part is
  // split into PTEs; the folio is not split.
  // Write permission goes from the PTEs when it goes from the VMA. When
  // the VMA allows writes, change_pte_range() (MM_CP_TRY_CHANGE_WRITABLE,
  // can_change_pte_writable) makes exclusive anonymous pages writable at
  // once; the others stay as they are, to fault.
  const bool write = (prot & PROT_BITS_WRITE) != 0;
  for (const Vma& v :
       p->vmas.Update(addr, end, [prot](Vma& v) { v.prot = prot; })) {
    SplitPmdsAtEdges(mm_, pid, v.start, v.end, REASON_MPROTECT);
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
  if (end < addr + length) {
    mm_.OpFailed(pid, addr, length, kEnomem, REASON_MPROTECT);
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
  Process& p = mm_.GetProcess(pid);
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
      uint64_t next = Walk(mm_, p, a, end, write);
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
    RETURN_IF_ERROR(HandleMmFault(mm_, p, pid, *vma, a, write));
    if (ABSL_PREDICT_FALSE(mm_.fault_oom)) {
      // VM_FAULT_OOM: the kernel's fault handler calls the OOM killer
      // (pagefault_out_of_memory). The model picks no victim: the access
      // stops at this page and the rest of the range is not touched.
      mm_.fault_oom = false;
      mm_.OpFailed(pid, a, end - a, kEnomem,
                   vma->anonymous() ? REASON_ANON_FAULT : REASON_FILE_FAULT);
      return absl::OkStatus();
    }
    if (!walk) {
      a += kPageSize;  // a read without the walk: the fault was the access
      continue;
    }
    faulted = a;
  }
  return absl::OkStatus();
}

// --- files -------------------------------------------------------------------

absl::Status Model::FileCreate(uint32_t file_id, Filesystem filesystem,
                               TmpfsHuge huge, uint32_t min_order,
                               uint32_t max_order) {
  File& f = mm_.files[file_id];
  f.filesystem = filesystem;
  f.huge = huge;
  f.min_order = min_order;
  f.max_order = max_order;
  return absl::OkStatus();
}

absl::StatusOr<Layout> Model::FileLayout(uint32_t file_id, uint64_t offset,
                                         uint64_t length) const {
  auto it = mm_.files.find(file_id);
  CHECK(it != mm_.files.end());  // the trace validator checked the id
  LayoutBuilder b;
  const PageCache& cache = it->second.cache;
  const uint64_t last = (offset + length) / kPageSize;
  // A folio that starts at or past EOF's page can only be a fallocate()d
  // one, never uptodate: mincore(), SEEK_DATA and a fault (SIGBUS) cannot
  // see it, so mmcapture records holes there, and so does the model.
  const uint64_t eof_pages = (it->second.size + kPageSize - 1) / kPageSize;
  for (uint64_t index = offset / kPageSize; index < last; ++index) {
    std::optional<PageCache::Entry> e = cache.Find(index);
    if (e.has_value() && e->index >= eof_pages) {
      b.AddHole(std::min(last, e->index + (uint64_t{1} << e->order)) - index);
      index = e->index + (uint64_t{1} << e->order) - 1;
      continue;
    }
    if (!e.has_value()) {  // holes to the next folio
      const uint64_t next =
          std::min(last, cache.NextUsed(index).value_or(last));
      b.AddHole(next - index);
      index = next - 1;
    } else {
      b.AddFolio(e->head, e->order, index - e->index);
    }
  }
  return b.Finish();
}

// --- compaction (compaction.h)
// -------------------------------------------------

absl::Status Model::Compact(CompactMode mode, uint32_t order,
                            uint32_t walker_ref_id) {
  CompactRequest(mm_, mode, order, walker_ref_id);
  return absl::OkStatus();
}

// --- observation -------------------------------------------------------------

absl::StatusOr<Layout> Model::RangeLayout(uint32_t pid, uint64_t addr,
                                          uint64_t length,
                                          uint64_t* pmd_mapped_pages) const {
  const Process& p = mm_.GetProcess(pid);
  LayoutBuilder b;
  *pmd_mapped_pages = 0;
  const uint64_t end = addr + length;
  for (uint64_t a = addr; a < end; a += kPageSize) {
    const Pmd* pmd = p.pt.FindPmd(a);
    if (pmd == nullptr) {  // holes to the next PMD that maps anything
      const uint64_t next = p.pt.NextPmd(a, end);
      b.AddHole((next - a) >> kPageShift);
      a = next - kPageSize;
      continue;
    }
    if (pmd->kind == Pmd::Kind::kFolio) {
      const Folio* f = mm_.folios.Peek(pmd->head);
      b.AddFolio(pmd->head, f->order, (a & (kPmdSize - 1)) >> kPageShift);
      ++*pmd_mapped_pages;
      continue;
    }
    if (pmd->kind == Pmd::Kind::kHugeZero) {
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
      uint32_t head = mm_.folios.HeadOf(pte.pfn());
      b.AddFolio(head, mm_.folios.Peek(head)->order, pte.pfn() - head);
    }
  }
  return b.Finish();
}

std::optional<Model::FolioFate> Model::FateOfPfn(uint32_t pfn) const {
  const uint32_t head = mm_.folios.HeadOf(pfn);
  auto it = mm_.compaction_fates.find(head);
  if (it != mm_.compaction_fates.end()) {
    return FolioFate{it->second.order_before, it->second.outcome};
  }
  return FolioFate{mm_.folios.Peek(head)->order, FOLIO_OUTCOME_STAYED};
}

std::optional<Model::FolioFate> Model::FolioFateAt(uint32_t pid,
                                                   uint64_t addr) const {
  const Process* p = mm_.FindProcess(pid);
  if (p == nullptr) return std::nullopt;
  const Pmd* pmd = p->pt.FindPmd(addr);
  if (pmd == nullptr || pmd->kind == Pmd::Kind::kHugeZero) return std::nullopt;
  if (pmd->kind == Pmd::Kind::kFolio) {
    return FateOfPfn(pmd->head + static_cast<uint32_t>(
                                     (addr & (kPmdSize - 1)) >> kPageShift));
  }
  const Pte pte = p->pt.GetPte(addr);
  if (!pte.present_page()) return std::nullopt;
  return FateOfPfn(pte.pfn());
}

std::optional<Model::FolioFate> Model::FolioFateInFile(uint32_t file_id,
                                                       uint64_t index) const {
  auto it = mm_.files.find(file_id);
  if (it == mm_.files.end()) return std::nullopt;
  std::optional<PageCache::Entry> e = it->second.cache.Find(index);
  if (!e.has_value()) return std::nullopt;
  return FateOfPfn(e->head + static_cast<uint32_t>(index - e->index));
}

bool Model::MappedWritable(uint32_t pid, uint64_t addr) const {
  const Process* found = mm_.FindProcess(pid);
  if (found == nullptr) return false;
  const Process& p = *found;
  const Pmd* pmd = p.pt.FindPmd(addr);
  if (pmd != nullptr && pmd->kind == Pmd::Kind::kFolio) return pmd->writable;
  Pte pte = p.pt.GetPte(addr);
  return pte.present_page() && pte.writable();
}

// --- invariants --------------------------------------------------------------

absl::Status Model::Verify() const {
  // Every folio, a run's one by one, in PFN order: large folios as their
  // records (which hold their tail pages' fields), order-0 ones as copies.
  // A reference count stored over another holder's (refcount.h).
  if (!mm_.refcount_violation.empty()) {
    return absl::InternalError(mm_.refcount_violation);
  }
  std::deque<Folio> run_folios;
  std::vector<const Folio*> all;
  RETURN_IF_ERROR(mm_.VerifyFolios(&all, &run_folios));
  MappingCounts mappings;
  RETURN_IF_ERROR(VerifyMappings(mm_, all, &mappings));
  // The references other than mappings: pins and speculative references,
  // and a page-cache folio's one reference per page (filemap_add_folio).
  absl::flat_hash_map<uint32_t, int64_t> held, cached;
  RETURN_IF_ERROR(VerifyPins(mm_, &held));
  RETURN_IF_ERROR(VerifyPageCache(mm_, all, &cached));
  // refcount = mappings + page-cache references + pins and speculative
  // references.
  auto count = [](const absl::flat_hash_map<uint32_t, int64_t>& m,
                  uint32_t head) {
    auto it = m.find(head);
    return it == m.end() ? int64_t{0} : it->second;
  };
  for (const Folio* f : all) {
    const int64_t m = count(mappings.maps, f->head);
    const int64_t h = count(held, f->head);
    const int64_t c = count(cached, f->head);
    if (f->refcount != m + h + c) {
      return absl::InternalError(absl::StrFormat(
          "folio 0x%x: refcount %d but %d mappings, %d page-cache references "
          "and %d other holders",
          f->head, f->refcount, m, c, h));
    }
  }
  RETURN_IF_ERROR(VerifyMmIds(mm_, all));
  return mm_.deferred.Verify(mm_.folios);
}

Model::MemoryUse Model::memory_use() const {
  MemoryUse u;
  u.live_folios = mm_.folios.size();
  u.folio_record_bytes = mm_.folios.record_bytes();
  u.large_folio_bytes = mm_.folios.large_bytes() + mm_.mm_ids.bytes();
  u.pfn_index_bytes = mm_.folios.index_bytes();
  u.buddy_bytes = mm_.buddy.bytes();
  for (const auto& [pid, p_ptr] : mm_.processes) {
    const Process& p = *p_ptr;
    u.page_table_bytes += p.pt.bytes();
  }
  for (const auto& [id, f] : mm_.files) {
    u.page_cache_bytes += f.cache.bytes() + f.cache.nodes() * 576;
  }
  return u;
}

}  // namespace mmreplay::mm
