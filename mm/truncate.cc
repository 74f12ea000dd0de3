// Hole punch and truncate (mm/truncate.c truncate_inode_partial_folio,
// mm/shmem.c shmem_undo_range / shmem_fallocate / shmem_setattr): folios the
// range covers whole are dropped; a large folio it covers in part is zeroed
// there and split at the page holding the range start, then (if that worked
// and the folio's end is not covered) the folio now holding the page at the
// range end is split too; the pieces inside the range are then dropped.
#include "mm/truncate.h"

#include <algorithm>

#include "base/check.h"
#include "mm/filemap.h"
#include "mm/model.h"
#include "mm/rmap.h"
#include "mm/split.h"
#include "mm/zap.h"

namespace mmreplay::mm {
namespace {

constexpr uint64_t kToEnd = UINT64_MAX;

}  // namespace

// truncate_inode_folio(): unmap the folio everywhere, then take it out of
// the page cache.
void TruncateFolio(MmState& mm, uint32_t head, Reason reason) {
  Folio& f = mm.folios.At(head);
  for (const Mapping& m : RmapWalk(mm, head, f)) {
    if (m.pmd) {
      ZapRange(mm, m.pid, m.addr, m.addr + kPmdSize, reason);
    } else {
      ZapRange(mm, m.pid, m.addr, m.addr + kPageSize, reason);
    }
  }
  RemoveFromPageCache(mm, head, reason);
}

bool TruncatePartialFolio(MmState& mm, uint32_t file_id, uint32_t head,
                          uint64_t lstart, uint64_t lend, Reason reason) {
  File& file = mm.GetFile(file_id);
  Folio* f = &mm.folios.At(head);
  uint64_t pos = f->index * kPageSize;
  uint64_t size = f->pages() * kPageSize;
  uint64_t offset = lstart > pos ? lstart - pos : 0;
  uint64_t length =
      pos + size <= lend ? size - offset : lend + 1 - pos - offset;
  if (length == size) {
    TruncateFolio(mm, head, reason);
    return true;
  }
  // folio_zero_range(): the covered bytes.
  Event& z = mm.NewEvent(EVENT_ZERO_RANGE, head, f, reason);
  z.set_file_id(file_id);
  z.set_index(f->index);
  z.set_offset_bytes(offset);
  z.set_length_bytes(length);
  mm.Emit();
  if (f->order == 0) return true;
  // Before v5.7 a shmem THP was only cleared, never split: the folio stays
  // (dirty, so nothing is dropped).
  if (file.shmem() && !mm.profile.shmem_punch_split) return false;
  if (TryFolioSplitOrUnmap(mm, file, head, offset / kPageSize, reason) == 0) {
    if (!mm.profile.truncate_non_uniform_split || offset + length == size) {
      return true;
    }
    // The Zhang Yi fix: split again at the page the range ends before, if
    // a large folio of this file holds it.
    uint32_t pfn2 = head + static_cast<uint32_t>((offset + length) / kPageSize);
    Folio* f2 = mm.folios.Of(pfn2);
    if (f2 != nullptr && f2->order > 0 && f2->owner == file_id &&
        !f2->test(kFolioAnon)) {
      uint32_t head2 = mm.folios.HeadOf(pfn2);
      TryFolioSplitOrUnmap(mm, file, head2, pfn2 - head2, reason);
    }
    return true;
  }
  f = &mm.folios.At(head);
  if (f->test(kFolioDirty)) return false;
  TruncateFolio(mm, head, reason);
  return true;
}

// try_folio_split_or_unmap(): try_folio_split_to_order() to the mapping's
// minimum order, the non-uniform split at page split_at since v6.15 (a
// uniform one before); a folio that does not split is unmapped (v6.18),
// so that accesses past EOF refault and get SIGBUS, unless it is shmem's.
int TryFolioSplitOrUnmap(MmState& mm, const File& file, uint32_t head,
                         uint64_t split_at, Reason reason) {
  const bool non_uniform = mm.profile.truncate_non_uniform_split;
  const uint32_t min_order = file.min_folio_order();
  const int err =
      SplitFolio(mm, head, min_order,
                 non_uniform ? SplitKind::kNonUniform : SplitKind::kUniform,
                 non_uniform ? split_at : 0, /*caller_pins=*/0, reason);
  if (err != 0 && !file.shmem() && mm.profile.truncate_unmap_on_split_failure) {
    TryToUnmapFile(mm, head, reason);
  }
  return err;
}

void UndoRange(MmState& mm, uint32_t file_id, uint64_t lstart, uint64_t lend,
               Reason reason) {
  File& file = mm.GetFile(file_id);
  uint64_t start = (lstart + kPageSize - 1) / kPageSize;
  uint64_t end = lend == kToEnd ? kToEnd : (lend + 1) / kPageSize;
  // A punch or truncate from below fallocend to past it lowers it (as
  // shmem_undo_range() does when not undoing a failed fallocate).
  if (file.fallocend > start && file.fallocend <= end) file.fallocend = start;
  // Folios the range holds whole (find_lock_entries).
  if (start < end) {
    for (const PageCache::Entry& e : file.cache.InRange(start, end - 1)) {
      if (e.index >= start && e.index + (uint64_t{1} << e.order) <= end) {
        TruncateFolio(mm, e.head, reason);
      }
    }
  }
  // The folios holding the range's first and last byte.
  bool same_folio = (lstart / kPageSize) == (lend / kPageSize);
  std::optional<PageCache::Entry> e = file.cache.Find(lstart / kPageSize);
  if (e.has_value()) {
    uint64_t folio_end = (e->index + (uint64_t{1} << e->order)) * kPageSize;
    same_folio = lend < folio_end;
    if (file.shmem()) mm.folios.At(e->head).set(kFolioDirty);
    if (!TruncatePartialFolio(mm, file_id, e->head, lstart, lend, reason)) {
      start = e->index + (uint64_t{1} << e->order);
      if (same_folio) end = e->index;
    }
  }
  if (!same_folio && lend != kToEnd) {
    e = file.cache.Find(lend / kPageSize);
    if (e.has_value()) {
      if (file.shmem()) mm.folios.At(e->head).set(kFolioDirty);
      if (!TruncatePartialFolio(mm, file_id, e->head, lstart, lend, reason)) {
        end = e->index;
      }
    }
  }
  // What is left in range (the whole_folios loop): small folios go, large
  // ones go through truncate_inode_partial_folio again.
  uint64_t index = start;
  while (index < end) {
    std::vector<PageCache::Entry> entries = file.cache.InRange(index, end - 1);
    if (entries.empty()) break;
    bool restart = false;
    for (const PageCache::Entry& x : entries) {
      index = x.index + (uint64_t{1} << x.order);
      if (x.order == 0) {
        TruncateFolio(mm, x.head, reason);
        continue;
      }
      if (TruncatePartialFolio(mm, file_id, x.head, lstart, lend, reason)) {
        Folio* now = mm.folios.Of(x.head);
        if (now != nullptr && now->order == 0) {
          restart = true;
          break;
        }
      }
    }
    if (restart) index = start;
  }
}

// shmem_fallocate(FALLOC_FL_PUNCH_HOLE): unmap the whole pages of the
// range from every mapping, then shmem_truncate_range().
absl::Status Model::PunchHole(uint32_t file_id, uint64_t offset,
                              uint64_t length) {
  uint64_t first = (offset + kPageSize - 1) / kPageSize;
  uint64_t last_excl = (offset + length) / kPageSize;
  if (first < last_excl) {
    UnmapMappingRange(mm_, file_id, first, last_excl - 1, /*even_cows=*/false,
                      REASON_PUNCH_HOLE);
  }
  UndoRange(mm_, file_id, offset, offset + length - 1, REASON_PUNCH_HOLE);
  return absl::OkStatus();
}

// shmem_setattr(): a size not above the old one unmaps the pages past it
// (when there are any) and truncates from the new size to the end,
// shmem_truncate_range(newsize, -1). So does the same size: EOF inside a
// large folio then splits it, and the pieces past EOF go (captured:
// traces/captured/shmem_truncate_same_size). truncate_setsize() ->
// truncate_pagecache() does the same for other files. A larger size
// changes no page (simplified for non-shmem files, whose
// truncate_pagecache() also runs then).
absl::Status Model::Truncate(uint32_t file_id, uint64_t size) {
  File& file = mm_.GetFile(file_id);
  const uint64_t old = file.size;
  file.size = size;
  if (size > old) return absl::OkStatus();
  const uint64_t holebegin = (size + kPageSize - 1) / kPageSize;
  if (old > holebegin * kPageSize) {
    UnmapMappingRange(mm_, file_id, holebegin, kToEnd - 1, /*even_cows=*/true,
                      REASON_TRUNCATE);
  }
  UndoRange(mm_, file_id, size, kToEnd, REASON_TRUNCATE);
  return absl::OkStatus();
}

// close() + unlink() with nothing holding the file: the inode is evicted
// and its page cache with it (truncate_inode_pages_final). Simplified: a
// file still mapped loses its page cache too.
absl::Status Model::FileUnlink(uint32_t file_id) {
  UnmapMappingRange(mm_, file_id, 0, kToEnd - 1, /*even_cows=*/false,
                    REASON_UNLINK);
  UndoRange(mm_, file_id, 0, kToEnd, REASON_UNLINK);
  return absl::OkStatus();
}

}  // namespace mmreplay::mm
