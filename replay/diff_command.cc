// mmreplay diff A B: compares two event logs (or a trace's log with another).
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "replay/commands.h"
#include "replay/driver.h"
#include "replay/event_log.h"
#include "replay/log_diff.h"
#include "replay/replay_to_string.h"
#include "trace/output_file.h"
#include "trace/trace_format.h"
#include "trace/trace_reader.h"

namespace mmreplay::replay {
namespace {

class DiffCommand : public Command {
 public:
  absl::string_view name() const override { return "diff"; }
  absl::string_view summary() const override {
    return "Compare two event logs, or a trace's log with a golden log.";
  }
  absl::string_view usage() const override {
    return "A B [--profile NAME] [--context N]";
  }
  std::vector<FlagSpec> flags() const override {
    return {
        {"--profile", "", "NAME",
         "replay traces under this profile instead of their own"},
        {"--context", "", "N",
         "lines of context around the first difference (default 3)"},
    };
  }
  absl::string_view details() const override {
    return R"(A and B are event logs, or traces (.mmt, .textproto) which are replayed
first. Logs are compared op by op; comment lines (#) are ignored.

When they differ, prints the first event where they part, with its op index
and a few lines of context from both sides, then how many events of each
kind only one side has, and how many ops differ.

exit status: 0 equal, 1 different, 2 trouble.

examples:
  mmreplay diff old.log new.log
  mmreplay diff traces/golden/seed000_anon_split_at_2.textproto \
      traces/golden/seed000_anon_split_at_2.golden
  mmreplay diff --profile linux-6.1 trace.mmt trace.golden
)";
  }
  int min_positional() const override { return 2; }
  int max_positional() const override { return 2; }

  absl::StatusOr<int> Run(const Args& args) override {
    ASSIGN_OR_RETURN(uint64_t context, args.GetUint("--context", 3));
    ReplayOptions options;
    options.profile = args.Get("--profile", "");
    ASSIGN_OR_RETURN(LogLines a, Open(args.positional()[0], options));
    ASSIGN_OR_RETURN(LogLines b, Open(args.positional()[1], options));
    DiffOptions diff;
    diff.context = static_cast<int>(std::min<uint64_t>(context, 1000));
    DiffResult result = DiffLogs(a, b, diff);
    if (result.equal) return kExitOk;
    std::fputs(result.report.c_str(), stdout);
    return kExitDifferent;
  }

 private:
  static absl::StatusOr<LogLines> Open(const std::string& path,
                                       const ReplayOptions& options) {
    if (!trace::FormatForPath(path).ok()) return LogLines::FromFile(path);
    ASSIGN_OR_RETURN(std::string log, ReplayToString(path, options));
    return LogLines::FromText(path, std::move(log));
  }
};

}  // namespace

std::unique_ptr<Command> NewDiffCommand() {
  return std::make_unique<DiffCommand>();
}

}  // namespace mmreplay::replay
