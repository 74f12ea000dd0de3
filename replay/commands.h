// Factories of the mmreplay subcommands (one file each).
#ifndef MMREPLAY_REPLAY_COMMANDS_H_
#define MMREPLAY_REPLAY_COMMANDS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "replay/command.h"
#include "replay/driver.h"
#include "replay/log_diff.h"

namespace mmreplay::replay {

std::unique_ptr<Command> NewReplayCommand();
std::unique_ptr<Command> NewDiffCommand();
std::unique_ptr<Command> NewConvertCommand();
std::unique_ptr<Command> NewStatsCommand();
std::unique_ptr<Command> NewGenCommand();
std::unique_ptr<Command> NewLogCommand();
std::unique_ptr<Command> NewCompareCommand();

// The replay options of side 0 (A) or 1 (B) of `diff` or `compare`:
// --profile-a/-b (else --profile), --set with --set-a/-b.
ReplayOptions SideReplayOptions(const Args& args, int side);
// --ignore pfn,addr of `diff` and `compare` into *diff.
absl::Status ParseIgnore(const Args& args, DiffOptions* diff);

// Writes the text of the event log `input` (any form) to `output` ("-" for
// stdout; compressed for a name ending in .zst), whole or not at all: for
// `log print` and `convert`.
absl::Status PrintLog(const std::string& input, const std::string& output);

}  // namespace mmreplay::replay

#endif  // MMREPLAY_REPLAY_COMMANDS_H_
