// mm::Profile: the behaviour switches that differ between kernel versions,
// and presets named after the kernels they mirror. Each switch names the
// seed (../shared/seeds) or commit it comes from; docs/profiles.md lists
// them with what each changes.
#ifndef MMREPLAY_MM_PROFILE_H_
#define MMREPLAY_MM_PROFILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mmreplay::mm {

struct Profile {
  // The preset this profile came from.
  std::string name;

  // Anonymous multi-size THP (hugepages-<N>kB/enabled below PMD size):
  // v6.8, "mm: thp: support allocation of anonymous multi-size THP".
  bool anon_mthp = true;

  // zap_pte_range() removes a run of PTEs of one large folio with one rmap
  // call, and a folio whose last mappings go in one batch is freed, never
  // queued (seed 001's idea; it landed as v6.9 10ebac4f95e7 "mm/memory:
  // optimize unmap/zap with PTE-mapped THP" and v6.10 7491f3f34891
  // "mm/rmap: do not add fully unmapped large folio to deferred split
  // list"). Without it, each PTE is removed alone and a fully zapped large
  // folio passes through the deferred split queue.
  bool batched_rmap_zap = true;

  // Any large anon folio may be queued for deferred split (seed 001, "mm:
  // Allow deferred splitting of arbitrary large anon folios"); without it,
  // only PMD-sized ones.
  bool deferred_split_any_order = true;

  // A PMD fault queues the new THP as possibly underused, and the shrinker
  // splits a queued folio that is not partially mapped only when more of
  // its pages are zero than max_ptes_none allows (v6.12, dafff3f4c850 "mm:
  // split underused THPs"); the partially mapped flag and
  // nr_anon_partially_mapped come with it.
  bool thp_underused_shrinker = true;

  // How a write fault on a read-only anonymous page that is not exclusive
  // decides to reuse it rather than copy it (do_wp_page,
  // do_huge_pmd_wp_page).
  enum class AnonCowReuse : uint8_t {
    // reuse_swap_page(): when no page of the folio is mapped twice
    // (page_trans_huge_mapcount() <= 1), whatever else holds it; until
    // v5.9 for PTEs (09854ba94c6a "mm: do_wp_page() simplification") and
    // v5.18 for PMDs (3bff7e3f1f16 "mm/huge_memory: streamline COW logic
    // in do_huge_pmd_wp_page()"; no preset mirrors the kernels between).
    kByMapcount,
    // When the folio's only reference is this mapping (refcount 1), a
    // large folio too: its last mapped page keeps it whole. Until v6.9.
    kByRefcount,
    // As kByRefcount for small folios and PMD-mapped THPs; a PTE-mapped
    // page of a large folio is always copied (v6.9 to v6.14: cd197c3a2040
    // "mm: prohibit the last subpage from reusing the entire large folio").
    kSmallOnly,
    // A small folio as kByRefcount; a page of a large folio when more than
    // one of its pages is mapped, every reference is a mapping and every
    // mapping is the writer's (v6.15, 1da190f4d0a6 "mm: Copy-on-Write
    // (COW) reuse support for PTE-mapped THP"). A THP mapped by its PMD
    // as kByRefcount.
    kLargeMappedAlone,
  };
  AnonCowReuse anon_cow_reuse = AnonCowReuse::kLargeMappedAlone;
  // A write fault on a PMD-mapped THP that cannot be reused splits the PMD
  // and copies only the page written (v5.8, 3917c80280c9 "thp: change CoW
  // semantics for anon-THP"); otherwise (do_huge_pmd_wp_page before it) the
  // whole THP is copied into a new one, or, where the VMA may have none or
  // none can be had, into 512 small pages (do_huge_pmd_wp_page_fallback).
  bool thp_cow_split_pmd = true;
  // A write to the huge zero folio faults in a new THP (v6.13, "mm:
  // allocate THP on hugezeropage wp-fault"; and before v5.8, where the VMA
  // may have a THP); otherwise (v5.8, 3917c80280c9) its PMD is split to
  // zero-page PTEs and the page written is copied.
  bool huge_zero_wp_thp = true;
  // The THP such a write faults in goes on the deferred split queue as
  // possibly underused, as a faulted THP does (v6.18, "mm/huge_memory: add
  // pmd folio to ds_queue in do_huge_zero_wp_pmd()", which fixes
  // 1ced09e0331f); from v6.13 until then it did not.
  bool huge_zero_wp_thp_queued = true;
  // MADV_FREE leaves whole a PTE-mapped large folio the range covers whole
  // and passes over one it cannot split (v6.10, "mm/madvise: optimize
  // lazyfreeing with mTHP in madvise_free"); before, madvise_free_pte_range
  // split every PTE-mapped large folio it met, and one that may be shared
  // (its first page mapped more than once) or fails to split ended the walk
  // of that page table.
  bool madv_free_keeps_covered_folios = true;
  // MADV_COLLAPSE and khugepaged collapse a block none of whose PTEs is
  // writable (after a fork, or mprotect): on the live 6.18.44 kernel both do
  // (SCAN_PAGE_RO went in 6.18); before, such a block fails with EINVAL.
  bool collapse_read_only_ptes = true;
  // fork copies for the child the exclusive pages of a folio that may be
  // pinned, splitting a PMD mapping first (v5.9, 70e806e4e645 "mm: Do early
  // cow for pinned pages during fork() for ptes" and d042035eaf5f "mm/thp:
  // Split huge pmds/puds if they're pinned when fork()"); otherwise pinned
  // pages are shared like the others.
  bool fork_cow_pinned = true;

  // Truncate and hole punch split a partly covered large folio with the
  // non-uniform split (folio_split, seeds 000/002, v6.15); otherwise with a
  // uniform split to the mapping's minimum order.
  bool truncate_non_uniform_split = true;

  // A failed split on truncate unmaps a non-shmem folio (v6.18, fa04f5b60fda
  // "mm/truncate: unmap large folio on split failure").
  bool truncate_unmap_on_split_failure = true;

  // A partial hole punch of a shmem THP splits it (the behaviour seed 004
  // asked for: v5.7 71725ed10c40 "mm: huge tmpfs: try to split_huge_page()
  // when punching hole"); otherwise it only clears the covered pages.
  bool shmem_punch_split = true;

  // What compaction does with a large folio the migrate scanner meets
  // (seed 003, the ">0 order folio memory compaction" series).
  enum class CompactLargeFolios : uint8_t {
    // Passes over it, as every compound page (before v6.9).
    kSkip,
    // Isolates it and, finding no target (compaction_alloc refuses large
    // folios), splits it to order 0 and migrates the pieces: the series'
    // first patch, ee6f62fd34f0 "mm/compaction: enable compacting >0 order
    // folios." (seed 003's patch 1/3; never released alone).
    kSplitAll,
    // Migrates it whole into the smallest isolated free block of at least
    // its order, split buddy-style (v6.9: 733aea0b3a7b "mm/compaction: add
    // support for >0 order folio memory compaction.", 73318e2cafe5
    // "mm/compaction: optimize >0 order folio compaction with free page
    // split."); splits it when none fits.
    kSplitFree,
  };
  CompactLargeFolios compact_large_folios = CompactLargeFolios::kSplitFree;
  // migrate_folio_move() requeues the destination of a folio that was on
  // the deferred split queue, with its partially mapped flag (a2e0c0668a34
  // "mm: migrate: requeue destination folio on deferred split queue",
  // 2026, Cc stable; in 6.18.38 and what 6.18.44 measures); otherwise the
  // moved folio leaves the queue.
  bool migrate_requeue_dst_deferred = true;
  // compaction_free() resets the destination's count with
  // folio_set_count(dst, 0) instead of folio_put_testzero(): the reviewed
  // v3 patch of seed 003 (2024-02-02, never merged). The model reports the
  // reset as a refcount violation when another holder exists.
  bool compaction_free_set_count = false;
};

// The preset named `name` ("linux-6.18", ...), or InvalidArgument naming the
// presets.
absl::StatusOr<Profile> ProfileByName(absl::string_view name);

// Preset names, oldest kernel first.
std::vector<std::string> ProfileNames();

// Sets the switches `list` names, comma-separated, each as
// "<switch>=<value>" with the names of docs/profiles.md: a yes-or-no switch
// takes on or off ("batched_rmap_zap=off"), anon_cow_reuse takes mapcount,
// refcount, small or large, compact_large_folios skip, split_all or
// split_free. Each is appended to profile->name
// ("linux-6.18+batched_rmap_zap=off"), so a log says what it was replayed
// under. InvalidArgument names an unknown switch or value; an empty list
// changes nothing.
absl::Status ApplySwitches(absl::string_view list, Profile* profile);

// The switch names ApplySwitches() knows: the yes-or-no ones, then
// anon_cow_reuse and compact_large_folios.
std::vector<std::string> SwitchNames();

// The preset a trace without a profile name gets.
inline constexpr absl::string_view kDefaultProfile = "linux-6.18";

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_PROFILE_H_
