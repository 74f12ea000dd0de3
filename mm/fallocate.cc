// fallocate() of a tmpfs file, modes 0 and FALLOC_FL_KEEP_SIZE
// (mm/shmem.c shmem_fallocate, shmem_get_folio with SGP_FALLOC): every page
// of the range that has no folio gets one, sized as a write ending at the
// range's end would size it (shmem_allowable_huge_orders with write_end),
// without data; mode 0 then extends i_size to the range's end. Hole
// punches (FALLOC_FL_PUNCH_HOLE) are truncate.cc's.
#include <algorithm>
#include <optional>
#include <vector>

#include "base/check.h"
#include "mm/errno.h"
#include "mm/filemap.h"
#include "mm/model.h"
#include "mm/shmem.h"
#include "mm/truncate.h"

namespace mmreplay::mm {

absl::Status Model::Fallocate(uint32_t file_id, uint64_t offset,
                              uint64_t length, bool keep_size) {
  File& file = mm_.GetFile(file_id);
  CHECK(file.shmem());  // the trace validator allows tmpfs files only
  const uint64_t write_end = offset + length;
  const uint64_t start = offset >> kPageShift;
  const uint64_t end = (write_end + kPageSize - 1) >> kPageShift;
  // info->fallocend: a split keeps the pieces below it, also past EOF.
  const uint64_t undo_fallocend = file.fallocend;
  file.fallocend = std::max(file.fallocend, end);
  std::vector<uint32_t> added;
  for (uint64_t index = start; index < end;) {
    std::optional<PageCache::Entry> e = file.cache.Find(index);
    if (!e.has_value()) {
      // shmem_get_folio(inode, index, offset + len, SGP_FALLOC). The
      // shrinklist test of shmem_alloc_and_add_folio sees i_size as it is
      // before the fallocate (mode 0 extends it at the end).
      if (ShmemAllocAndAddFolio(
              mm_, file_id, file, index,
              ShmemOrder(mm_, file, index, write_end, nullptr, 0),
              REASON_FALLOCATE) == nullptr) {
        // -ENOMEM: shmem_undo_range(unfalloc) drops the folios this call
        // added (not uptodate), fallocend goes back, the size stays.
        // Simplified: the kernel drops every folio of the range that is
        // not uptodate, also those an earlier fallocate() left.
        file.fallocend = undo_fallocend;
        for (uint32_t head : added) TruncateFolio(mm_, head, REASON_FALLOCATE);
        Event& ev = mm_.NewEvent(EVENT_OP_FAILED, REASON_FALLOCATE);
        ev.set_file_id(file_id);
        ev.set_err(kEnomem);
        mm_.Emit();
        return absl::OkStatus();
      }
      e = file.cache.Find(index);
      added.push_back(e->head);
    }
    // folio_mark_dirty(): a fallocated folio is dirty, not uptodate.
    mm_.folios.At(e->head).set(kFolioDirty);
    index = e->index + (uint64_t{1} << e->order);
  }
  if (!keep_size && write_end > file.size) file.size = write_end;
  return absl::OkStatus();
}

}  // namespace mmreplay::mm
