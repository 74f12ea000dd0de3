// The page cache as the MM rules change it (mm/filemap.c
// filemap_add_folio, __filemap_remove_folio; mm/memory.c
// unmap_mapping_range): its references and events. The xarray itself is
// PageCache (page_cache.h).
#ifndef MMREPLAY_MM_FILEMAP_H_
#define MMREPLAY_MM_FILEMAP_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "mm/mm_state.h"
#include "proto/event.pb.h"

namespace mmreplay::mm {

// filemap_add_folio(): a new folio of `order` at `index`, holding one
// page-cache reference per page. Null if memory is out.
Folio* AddToPageCache(MmState& mm, uint32_t file_id, File& file, uint64_t index,
                      uint32_t order, Reason reason, uint32_t* head);
// __filemap_remove_folio(): removes a folio from the page cache and drops
// its references; frees it if nothing else holds it. REQUIRES: nothing
// maps it (the caller unmapped it first).
void RemoveFromPageCache(MmState& mm, uint32_t head, Reason reason);
// Appends the xarray node events of `changes` for `file_id`.
void EmitNodeChanges(MmState& mm, uint32_t file_id,
                     const std::vector<PageCache::NodeChange>& changes,
                     Reason reason);
// unmap_mapping_range(): unmaps the pages [first, last] of a file from
// every process; `even_cows`: a private mapping's anonymous copies of them
// too (a truncate), else they stay (a hole punch).
void UnmapMappingRange(MmState& mm, uint32_t file_id, uint64_t first,
                       uint64_t last, bool even_cows, Reason reason);

// Verify()'s part: each page-cache entry is listed once and is a live folio
// of that file at that index and order. Adds each cached folio's page-cache
// references to `refs` (by head PFN).
[[nodiscard]] absl::Status VerifyPageCache(
    const MmState& mm, absl::Span<const Folio* const> all,
    absl::flat_hash_map<uint32_t, int64_t>* refs);

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_FILEMAP_H_
