#include "mm/profile.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mmreplay::mm {
namespace {

// Each preset is the kernel release's own behaviour (not later stable
// backports). docs/profiles.md has the table and the commits.
std::vector<Profile> Presets() {
  Profile v5_4;
  v5_4.name = "linux-5.4";
  v5_4.anon_mthp = false;
  v5_4.batched_rmap_zap = false;
  v5_4.deferred_split_any_order = false;
  v5_4.thp_underused_shrinker = false;
  v5_4.truncate_non_uniform_split = false;
  v5_4.truncate_unmap_on_split_failure = false;
  v5_4.shmem_punch_split = false;
  v5_4.compact_large_folios = Profile::CompactLargeFolios::kSkip;
  v5_4.migrate_requeue_dst_deferred = false;
  v5_4.anon_cow_reuse = Profile::AnonCowReuse::kByMapcount;
  v5_4.fork_cow_pinned = false;
  v5_4.thp_cow_split_pmd = false;
  v5_4.collapse_read_only_ptes = false;
  v5_4.madv_free_keeps_covered_folios = false;
  v5_4.huge_zero_wp_thp_queued = false;

  Profile v6_1 = v5_4;
  v6_1.name = "linux-6.1";
  v6_1.shmem_punch_split = true;                             // v5.7
  v6_1.thp_cow_split_pmd = true;                             // v5.8
  v6_1.huge_zero_wp_thp = false;                             // v5.8
  v6_1.fork_cow_pinned = true;                               // v5.9
  v6_1.anon_cow_reuse = Profile::AnonCowReuse::kByRefcount;  // v5.9, v5.18

  Profile v6_6 = v6_1;
  v6_6.name = "linux-6.6";

  Profile v6_12 = v6_6;
  v6_12.name = "linux-6.12";
  v6_12.anon_mthp = true;                                                // v6.8
  v6_12.deferred_split_any_order = true;                                 // v6.8
  v6_12.compact_large_folios = Profile::CompactLargeFolios::kSplitFree;  // v6.9
  v6_12.batched_rmap_zap = true;                             // v6.9 + v6.10
  v6_12.anon_cow_reuse = Profile::AnonCowReuse::kSmallOnly;  // v6.9
  v6_12.madv_free_keeps_covered_folios = true;               // v6.10
  v6_12.thp_underused_shrinker = true;                       // v6.12

  Profile v6_15 = v6_12;
  v6_15.name = "linux-6.15";
  v6_15.huge_zero_wp_thp = true;                                    // v6.13
  v6_15.truncate_non_uniform_split = true;                          // v6.15
  v6_15.anon_cow_reuse = Profile::AnonCowReuse::kLargeMappedAlone;  // v6.15

  Profile v6_18 = v6_15;
  v6_18.name = "linux-6.18";
  v6_18.truncate_unmap_on_split_failure = true;  // v6.18
  v6_18.collapse_read_only_ptes = true;          // v6.18
  v6_18.huge_zero_wp_thp_queued = true;          // v6.18
  // A stable backport, but what the live 6.18.44 shows (docs/profiles.md).
  v6_18.migrate_requeue_dst_deferred = true;

  // Seed 003's series, for comparing on one trace: its first patch alone
  // (every isolated large folio split), and the reviewed v3 with its
  // compaction_free() that resets the count.
  Profile split_all = v6_18;
  split_all.name = "seed003-split-all";
  split_all.compact_large_folios = Profile::CompactLargeFolios::kSplitAll;
  Profile v3 = v6_18;
  v3.name = "seed003-v3";
  v3.compaction_free_set_count = true;

  return {v5_4, v6_1, v6_6, v6_12, v6_15, v6_18, split_all, v3};
}

}  // namespace

absl::StatusOr<Profile> ProfileByName(absl::string_view name) {
  for (const Profile& p : Presets()) {
    if (p.name == name) return p;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown profile '", name,
                   "' (known: ", absl::StrJoin(ProfileNames(), ", "), ")"));
}

std::vector<std::string> ProfileNames() {
  std::vector<std::string> names;
  for (const Profile& p : Presets()) names.push_back(p.name);
  return names;
}

}  // namespace mmreplay::mm
