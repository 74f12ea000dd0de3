#include "trace/counter_names.h"

namespace mmreplay::trace {
namespace {

#define MM_VM_NAME(e, name, checked) name,
#define MM_VM_CHECKED(e, name, checked) checked,
#define MM_MTHP_NAME(e, name) name,
constexpr absl::string_view kVmEventNames[] = {MM_VM_EVENTS(MM_VM_NAME)};
constexpr bool kVmEventChecked[] = {MM_VM_EVENTS(MM_VM_CHECKED)};
constexpr absl::string_view kMthpStatNames[] = {MM_MTHP_STATS(MM_MTHP_NAME)};
#undef MM_VM_NAME
#undef MM_VM_CHECKED
#undef MM_MTHP_NAME

}  // namespace

absl::string_view VmEventName(VmEvent e) {
  return kVmEventNames[static_cast<int>(e)];
}

bool VmEventChecked(VmEvent e) { return kVmEventChecked[static_cast<int>(e)]; }

absl::string_view MthpStatName(MthpStat s) {
  return kMthpStatNames[static_cast<int>(s)];
}

std::optional<VmEvent> FindVmEvent(absl::string_view name) {
  for (int i = 0; i < static_cast<int>(VmEvent::kCount); ++i) {
    if (kVmEventNames[i] == name) return static_cast<VmEvent>(i);
  }
  return std::nullopt;
}

std::optional<MthpStat> FindMthpStat(absl::string_view name) {
  for (int i = 0; i < static_cast<int>(MthpStat::kCount); ++i) {
    if (kMthpStatNames[i] == name) return static_cast<MthpStat>(i);
  }
  return std::nullopt;
}

}  // namespace mmreplay::trace
