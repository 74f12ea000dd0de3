// mmreplay diff A B: compares two event logs (or a trace's log with another,
// or one trace's logs under two profiles).
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "replay/commands.h"
#include "replay/driver.h"
#include "replay/log_diff.h"
#include "replay/log_reader.h"
#include "replay/progress.h"
#include "replay/replay_to_string.h"
#include "trace/trace_format.h"

namespace mmreplay::replay {
namespace {

class DiffCommand : public Command {
 public:
  absl::string_view name() const override { return "diff"; }
  absl::string_view summary() const override {
    return "Compare two event logs, a trace's log with a golden log, or a "
           "trace under two profiles.";
  }
  absl::string_view usage() const override {
    return "A B | --profile-a P --profile-b Q TRACE [--ignore pfn,addr] "
           "[--max N] [--context N] [--set S=V,...] [-q]";
  }
  std::vector<FlagSpec> flags() const override {
    return {
        {"--profile", "", "NAME",
         "replay traces under this profile instead of their own"},
        {"--profile-a", "", "NAME", "replay side A under this profile"},
        {"--profile-b", "", "NAME", "replay side B under this profile"},
        {"--set", "", "S=V,...",
         "set behaviour switches for both replays (docs/profiles.md)"},
        {"--set-a", "", "S=V,...", "set switches for side A's replay"},
        {"--set-b", "", "S=V,...", "set switches for side B's replay"},
        {"--ignore", "", "pfn,addr",
         "compare folios by identity, not PFN (pfn), or without virtual "
         "addresses (addr)"},
        {"--max", "", "N", "differing ops shown in full (default 10)"},
        {"--context", "", "N",
         "lines of context around each difference (default 3)"},
        {"--quiet", "-q", "", "no progress line on stderr"},
    };
  }
  absl::string_view details() const override {
    return R"(A and B are event logs in any form (text, .log.zst or .mme: told apart by
their content), or traces (.mmt, .textproto), which are replayed as they
are compared. With one TRACE, it is replayed twice, as side A under
--profile-a and --set-a and as side B under --profile-b and --set-b, so
that two kernels, or one behaviour switched alone, can be compared:
  mmreplay diff --set-b batched_rmap_zap=off TRACE
Both logs are streamed: memory does not grow with their length.

Logs are compared op by op; comment lines (#), the op lines among them,
are ignored: only events are compared. Each op whose
events differ is printed (up to --max of them) with its events from the
first difference on, those only one side has marked - or +, and context
from both sides; then one line sums up: the ops compared and differing,
and the events only one side has, by kind.

--ignore pfn compares folios by identity rather than by physical frame
number: each is named after the op that allocated it and its place among
that op's allocations (@12.1), and a split's pieces after their parent
(@12.1+4), so that two allocators that hand out other PFNs still align.
--ignore addr leaves virtual addresses out.

On a terminal, a long comparison shows its progress on stderr (ops
compared, ops/s, elapsed); -q turns it off, and a file or a pipe gets none.

exit status: 0 equal, 1 different, 2 trouble.

examples:
  mmreplay diff old.log new.mme
  mmreplay diff traces/golden/seed000_anon_split_at_2.textproto \
      traces/golden/seed000_anon_split_at_2.golden
  mmreplay diff --profile-a linux-6.1 --profile-b linux-6.18 --ignore pfn trace.mmt
  mmreplay diff --set-a batched_rmap_zap=on --set-b batched_rmap_zap=off trace.mmt
)";
  }
  int min_positional() const override { return 1; }
  int max_positional() const override { return 2; }

  absl::StatusOr<int> Run(const Args& args) override {
    ASSIGN_OR_RETURN(uint64_t context, args.GetUint("--context", 3));
    ASSIGN_OR_RETURN(uint64_t max_ops, args.GetUint("--max", 10));
    DiffOptions diff;
    diff.context = static_cast<int>(std::min<uint64_t>(context, 1000));
    diff.max_ops = max_ops;
    RETURN_IF_ERROR(ParseIgnore(args, &diff));
    const std::vector<std::string>& paths = args.positional();
    const bool per_side = args.Has("--profile-a") || args.Has("--profile-b") ||
                          args.Has("--set-a") || args.Has("--set-b");
    if (paths.size() == 1 && !per_side) {
      return absl::InvalidArgumentError(
          "one argument is a trace to replay twice: give --profile-a, "
          "--profile-b, --set-a or --set-b");
    }
    const ReplayOptions side[2] = {SideReplayOptions(args, 0),
                                   SideReplayOptions(args, 1)};
    ASSIGN_OR_RETURN(std::unique_ptr<LogReader> a, Open(paths[0], side[0]));
    ASSIGN_OR_RETURN(std::unique_ptr<LogReader> b,
                     Open(paths.size() == 2 ? paths[1] : paths[0], side[1]));
    Progress progress("diff", Progress::Wanted(args.Has("--quiet")));
    diff.progress = &progress;
    ASSIGN_OR_RETURN(DiffResult result, DiffLogs(*a, *b, diff));
    progress.Finish(result.ops);
    if (result.equal) return kExitOk;
    std::fputs(result.report.c_str(), stdout);
    return kExitDifferent;
  }

 private:
  static absl::StatusOr<std::unique_ptr<LogReader>> Open(
      const std::string& path, const ReplayOptions& options) {
    if (trace::FormatForPath(path).ok()) {
      return OpenReplayedLog(path, options);
    }
    return LogReader::Open(path);
  }
};

}  // namespace

absl::Status ParseIgnore(const Args& args, DiffOptions* diff) {
  for (absl::string_view what :
       absl::StrSplit(args.Get("--ignore", ""), ',', absl::SkipEmpty())) {
    if (what == "pfn") {
      diff->ignore_pfn = true;
    } else if (what == "addr") {
      diff->ignore_addr = true;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--ignore: expected pfn or addr, got '", what, "'"));
    }
  }
  return absl::OkStatus();
}

ReplayOptions SideReplayOptions(const Args& args, int side) {
  const std::string ab = side == 0 ? "-a" : "-b";
  ReplayOptions options;
  options.profile =
      args.Get(absl::StrCat("--profile", ab), args.Get("--profile", ""));
  std::vector<std::string> set;
  for (const std::string& s :
       {args.Get("--set", ""), args.Get(absl::StrCat("--set", ab), "")}) {
    if (!s.empty()) set.push_back(s);
  }
  options.set = absl::StrJoin(set, ",");
  return options;
}

std::unique_ptr<Command> NewDiffCommand() {
  return std::make_unique<DiffCommand>();
}

}  // namespace mmreplay::replay
