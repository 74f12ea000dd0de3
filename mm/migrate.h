// Migration of one folio to a new PFN (mm/migrate.c): what
// migrate_folio_unmap() and migrate_folio_move() do to the folio's state,
// for compaction (compaction.h), which picks the target.
#ifndef MMREPLAY_MM_MIGRATE_H_
#define MMREPLAY_MM_MIGRATE_H_

#include <cstdint>

#include "mm/folio.h"

namespace mmreplay::mm {

struct MmState;

// __migrate_folio()'s check after unmapping: the folio's references are
// its mappings and, in the page cache, one per page (the isolation
// reference the model does not count); anything more (a pin, a
// speculative reference) makes the migration fail with -EAGAIN.
bool MigrationRefsOk(const MmState& mm, const Folio& f);

// Moves folio `src` (order <= 8: PTE-mapped or not mapped) to the free
// block at `dst` of its order, which no folio holds: try_to_migrate()
// (an anonymous PTE-mapped folio is seen partially mapped on the way and
// queued), move_to_new_folio() (page-cache entry, contents, flags;
// __folio_migrate_mapping() takes src off the deferred split queue),
// the requeue of dst (profile: migrate_requeue_dst_deferred),
// remove_migration_ptes() (every PTE now maps dst's page, with its bits),
// and the last put of src, whose pages go back to the buddy allocator.
// REQUIRES: MigrationRefsOk(src).
void MigrateFolio(MmState& mm, uint32_t src, uint32_t dst);

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_MIGRATE_H_
