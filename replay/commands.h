// Factories of the mmreplay subcommands (one file each).
#ifndef MMREPLAY_REPLAY_COMMANDS_H_
#define MMREPLAY_REPLAY_COMMANDS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "replay/command.h"
#include "replay/driver.h"
#include "replay/log_diff.h"
#include "replay/progress.h"
#include "trace/trace_writer.h"

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
// A TraceWriter that passes everything to `out` and tells `progress` of
// each op written: the progress line of `gen` and `convert` (both not
// owned).
class ProgressTraceWriter : public trace::TraceWriter {
 public:
  ProgressTraceWriter(trace::TraceWriter* out, Progress* progress)
      : out_(out), progress_(progress) {}
  absl::Status WriteHeader(const Header& header) override {
    return out_->WriteHeader(header);
  }
  absl::Status Write(const trace::TraceOp& op) override {
    progress_->Update(++ops_);
    return out_->Write(op);
  }
  using trace::TraceWriter::Write;
  // Commits `out` and ends the progress line.
  absl::Status Commit() override {
    progress_->Finish(ops_);
    return out_->Commit();
  }

 private:
  trace::TraceWriter* out_;
  Progress* progress_;
  uint64_t ops_ = 0;
};

// InvalidArgument if `output`'s name asks for a trace or a binary log: a
// log is printed as text.
absl::Status RefuseNonTextOutput(const std::string& output);

}  // namespace mmreplay::replay

#endif  // MMREPLAY_REPLAY_COMMANDS_H_
