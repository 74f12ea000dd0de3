// Replays a trace and returns its whole event log as text: for `mmreplay
// diff` on traces and for the golden tests.
#ifndef MMREPLAY_REPLAY_REPLAY_TO_STRING_H_
#define MMREPLAY_REPLAY_REPLAY_TO_STRING_H_

#include <string>

#include "absl/status/statusor.h"
#include "replay/driver.h"

namespace mmreplay::replay {

// `report`, if set, gets the replay's report (expectation mismatches when
// options.check is set).
absl::StatusOr<std::string> ReplayToString(const std::string& trace_path,
                                           const ReplayOptions& options,
                                           ReplayReport* report = nullptr);

}  // namespace mmreplay::replay

#endif  // MMREPLAY_REPLAY_REPLAY_TO_STRING_H_
