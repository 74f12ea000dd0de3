// Replays a trace and returns its whole event log as text: for `mmreplay
// diff` on traces and for the golden tests.
#ifndef MMREPLAY_REPLAY_REPLAY_TO_STRING_H_
#define MMREPLAY_REPLAY_REPLAY_TO_STRING_H_

#include <string>

#include "absl/status/statusor.h"
#include "replay/driver.h"

namespace mmreplay::replay {

absl::StatusOr<std::string> ReplayToString(const std::string& trace_path,
                                           const ReplayOptions& options);

}  // namespace mmreplay::replay

#endif  // MMREPLAY_REPLAY_REPLAY_TO_STRING_H_
