#include "mm/profile.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mmreplay::mm {
namespace {

std::vector<Profile> Presets() {
  Profile v6_18;
  v6_18.name = "linux-6.18";

  Profile v6_15 = v6_18;
  v6_15.name = "linux-6.15";
  v6_15.truncate_unmap_on_split_failure = false;

  Profile v6_6 = v6_15;
  v6_6.name = "linux-6.6";
  v6_6.thp_underused_shrinker = false;
  v6_6.anon_mthp = false;
  v6_6.truncate_non_uniform_split = false;
  v6_6.compact_large_folios = false;

  Profile v6_1 = v6_6;
  v6_1.name = "linux-6.1";
  v6_1.batched_rmap_zap = false;
  v6_1.deferred_split_any_order = false;

  return {v6_1, v6_6, v6_15, v6_18};
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
