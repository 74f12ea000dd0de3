// Replays a trace into its event log as text: whole, into a string (for the
// golden tests, whose traces are small), or as a LogReader that replays on
// a second thread as its lines are read (for `mmreplay diff` on traces of
// any length).
#ifndef MMREPLAY_REPLAY_REPLAY_TO_STRING_H_
#define MMREPLAY_REPLAY_REPLAY_TO_STRING_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "replay/driver.h"
#include "replay/log_reader.h"

namespace mmreplay::replay {

// `report`, if set, gets the replay's report (expectation mismatches when
// options.check is set).
absl::StatusOr<std::string> ReplayToString(const std::string& trace_path,
                                           const ReplayOptions& options,
                                           ReplayReport* report = nullptr);

// Opens the trace and starts its replay on a second thread; the reader
// gives the log's lines as they are made. Memory holds a few blocks of text
// (a MiB or so) whatever the trace's length: the replay waits while they
// are unread. The reader is named "<trace_path> (<profile>)"; a replay
// error ends its lines with that error as status(). Destroying the reader
// stops the replay. options.cancel is ignored (the reader sets its own).
absl::StatusOr<std::unique_ptr<LogReader>> OpenReplayedLog(
    const std::string& trace_path, const ReplayOptions& options);

}  // namespace mmreplay::replay

#endif  // MMREPLAY_REPLAY_REPLAY_TO_STRING_H_
