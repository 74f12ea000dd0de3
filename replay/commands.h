// Factories of the mmreplay subcommands (one file each).
#ifndef MMREPLAY_REPLAY_COMMANDS_H_
#define MMREPLAY_REPLAY_COMMANDS_H_

#include <memory>

#include "replay/command.h"

namespace mmreplay::replay {

std::unique_ptr<Command> NewReplayCommand();
std::unique_ptr<Command> NewDiffCommand();
std::unique_ptr<Command> NewConvertCommand();
std::unique_ptr<Command> NewStatsCommand();
std::unique_ptr<Command> NewGenCommand();

}  // namespace mmreplay::replay

#endif  // MMREPLAY_REPLAY_COMMANDS_H_
