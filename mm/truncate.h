// Hole punch and truncate (mm/truncate.c, mm/shmem.c shmem_undo_range).
#ifndef MMREPLAY_MM_TRUNCATE_H_
#define MMREPLAY_MM_TRUNCATE_H_

#include <cstdint>

#include "mm/mm_state.h"
#include "proto/event.pb.h"

namespace mmreplay::mm {

// shmem_undo_range() / truncate_inode_pages_range() over bytes [lstart,
// lend] (lend inclusive; UINT64_MAX to the end) of file file_id.
void UndoRange(MmState& mm, uint32_t file_id, uint64_t lstart, uint64_t lend,
               Reason reason);
// truncate_inode_partial_folio(): false if the folio stays whole.
bool TruncatePartialFolio(MmState& mm, uint32_t file_id, uint32_t head,
                          uint64_t lstart, uint64_t lend, Reason reason);
// truncate_inode_folio(): the folio leaves every mapping and the page cache.
void TruncateFolio(MmState& mm, uint32_t head, Reason reason);
// try_folio_split_or_unmap(): 0 or the split's negative errno.
int TryFolioSplitOrUnmap(MmState& mm, const File& file, uint32_t head,
                         uint64_t split_at, Reason reason);

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_TRUNCATE_H_
