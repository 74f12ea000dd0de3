#include "mm/profile.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

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

// The yes-or-no switches, by name.
struct BoolSwitch {
  absl::string_view name;
  bool Profile::*field;
};
constexpr BoolSwitch kBoolSwitches[] = {
    {"anon_mthp", &Profile::anon_mthp},
    {"deferred_split_any_order", &Profile::deferred_split_any_order},
    {"batched_rmap_zap", &Profile::batched_rmap_zap},
    {"thp_underused_shrinker", &Profile::thp_underused_shrinker},
    {"truncate_non_uniform_split", &Profile::truncate_non_uniform_split},
    {"thp_cow_split_pmd", &Profile::thp_cow_split_pmd},
    {"huge_zero_wp_thp", &Profile::huge_zero_wp_thp},
    {"madv_free_keeps_covered_folios",
     &Profile::madv_free_keeps_covered_folios},
    {"huge_zero_wp_thp_queued", &Profile::huge_zero_wp_thp_queued},
    {"collapse_read_only_ptes", &Profile::collapse_read_only_ptes},
    {"fork_cow_pinned", &Profile::fork_cow_pinned},
    {"truncate_unmap_on_split_failure",
     &Profile::truncate_unmap_on_split_failure},
    {"shmem_punch_split", &Profile::shmem_punch_split},
    {"migrate_requeue_dst_deferred", &Profile::migrate_requeue_dst_deferred},
    {"compaction_free_set_count", &Profile::compaction_free_set_count},
};

// A switch with named values: the values in order, and where to store one.
template <typename Enum>
struct EnumSwitch {
  absl::string_view name;
  std::vector<std::pair<absl::string_view, Enum>> values;
  Enum Profile::*field;
};

const EnumSwitch<Profile::AnonCowReuse>& CowReuseSwitch() {
  using R = Profile::AnonCowReuse;
  static const auto* s = new EnumSwitch<R>{"anon_cow_reuse",
                                           {{"mapcount", R::kByMapcount},
                                            {"refcount", R::kByRefcount},
                                            {"small", R::kSmallOnly},
                                            {"large", R::kLargeMappedAlone}},
                                           &Profile::anon_cow_reuse};
  return *s;
}

const EnumSwitch<Profile::CompactLargeFolios>& CompactSwitch() {
  using C = Profile::CompactLargeFolios;
  static const auto* s = new EnumSwitch<C>{"compact_large_folios",
                                           {{"skip", C::kSkip},
                                            {"split_all", C::kSplitAll},
                                            {"split_free", C::kSplitFree}},
                                           &Profile::compact_large_folios};
  return *s;
}

template <typename Enum>
absl::Status SetEnum(const EnumSwitch<Enum>& s, absl::string_view value,
                     Profile* profile) {
  std::vector<absl::string_view> names;
  for (const auto& [name, v] : s.values) {
    if (name == value) {
      profile->*s.field = v;
      return absl::OkStatus();
    }
    names.push_back(name);
  }
  return absl::InvalidArgumentError(absl::StrCat("switch '", s.name, "' takes ",
                                                 absl::StrJoin(names, ", "),
                                                 ", not '", value, "'"));
}

absl::Status ApplySwitch(absl::string_view name, absl::string_view value,
                         Profile* profile) {
  for (const BoolSwitch& s : kBoolSwitches) {
    if (s.name != name) continue;
    if (value != "on" && value != "off") {
      return absl::InvalidArgumentError(absl::StrCat(
          "switch '", name, "' takes on or off, not '", value, "'"));
    }
    profile->*s.field = value == "on";
    return absl::OkStatus();
  }
  if (name == CowReuseSwitch().name) {
    return SetEnum(CowReuseSwitch(), value, profile);
  }
  if (name == CompactSwitch().name) {
    return SetEnum(CompactSwitch(), value, profile);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown switch '", name,
                   "' (known: ", absl::StrJoin(SwitchNames(), ", "), ")"));
}

}  // namespace

absl::Status ApplySwitches(absl::string_view list, Profile* profile) {
  if (list.empty()) return absl::OkStatus();
  for (absl::string_view item : absl::StrSplit(list, ',')) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(item, absl::MaxSplits('=', 1));
    if (kv.first.empty() || item.find('=') == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", item, "': a switch is set as <switch>=<value> (on, off)"));
    }
    absl::Status set = ApplySwitch(kv.first, kv.second, profile);
    if (!set.ok()) return set;
    absl::StrAppend(&profile->name, "+", item);
  }
  return absl::OkStatus();
}

std::vector<std::string> SwitchNames() {
  std::vector<std::string> names;
  for (const BoolSwitch& s : kBoolSwitches) names.emplace_back(s.name);
  names.emplace_back(CowReuseSwitch().name);
  names.emplace_back(CompactSwitch().name);
  return names;
}

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
