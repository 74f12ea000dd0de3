// mmreplay compare TRACE --profile-a A --profile-b B [--set-a/-b S=V,...]
// [--ignore pfn,addr] [--json]: one trace replayed two ways, side by side.
#include <cstdio>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "proto/summary.pb.h"
#include "replay/commands.h"
#include "replay/driver.h"
#include "replay/log_diff.h"
#include "replay/replay_to_string.h"
#include "replay/summary.h"
#include "trace/trace_reader.h"

namespace mmreplay::replay {
namespace {

// Replays `path` under `options`, counting only; its summary.
absl::StatusOr<Summary> Summarize(const std::string& path,
                                  const ReplayOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<trace::TraceReader> reader,
                   trace::TraceReader::Open(path));
  ASSIGN_OR_RETURN(mm::Profile profile, ResolveProfile(*reader, options));
  SummarySink sink(nullptr);
  ReplayReport report;
  mm::Counters counters;
  RETURN_IF_ERROR(Replay(*reader, options, &sink, &report, nullptr, &counters));
  return sink.Finish(profile.name, report, counters);
}

// A summary as named numbers, in the order of the table: "ops",
// "splits non_uniform split_request 9", "counters thp_split_pmd", ...
std::vector<std::pair<std::string, double>> Rows(const Summary& s) {
  std::vector<std::pair<std::string, double>> rows;
  auto add = [&rows](std::string name, double v) {
    rows.emplace_back(std::move(name), v);
  };
  add("ops", static_cast<double>(s.ops()));
  add("events", static_cast<double>(s.events()));
  for (const Count& c : s.ops_by_kind())
    add(absl::StrCat("ops ", c.name()), c.count());
  for (const Count& c : s.events_by_kind()) {
    add(absl::StrCat("events ", c.name()), c.count());
  }
  for (const OrderCount& c : s.folios_allocated()) {
    add(absl::StrCat("folios allocated order ", c.order()), c.count());
  }
  for (const OrderCount& c : s.folios_at_end()) {
    add(absl::StrCat("folios at end order ", c.order()), c.count());
    add(absl::StrCat("bytes at end order ", c.order()), c.bytes());
  }
  for (const SplitCount& c : s.splits()) {
    const std::string key =
        absl::StrCat(c.type(), " ", c.reason(), " order ", c.order());
    add(absl::StrCat("splits ", key), c.count());
    add(absl::StrCat("split pieces ", key), c.pieces());
  }
  for (const Count& c : s.split_failures()) {
    add(absl::StrCat("failed splits ", c.name()), c.count());
  }
  add("pmd splits", s.pmd_splits());
  add("deferred adds", s.deferred().adds());
  add("deferred removes", s.deferred().removes());
  add("deferred max length", s.deferred().max_length());
  add("xarray nodes allocated", s.xa_nodes_allocated());
  add("xarray nodes freed", s.xa_nodes_freed());
  for (const Count& c : s.bytes_freed()) {
    add(absl::StrCat("bytes freed ", c.name()), c.count());
  }
  for (const Count& c : s.collapses()) {
    add(absl::StrCat("collapses ", c.name()), c.count());
  }
  for (const Count& c : s.compactions()) {
    add(absl::StrCat("compaction runs ", c.name()), c.count());
  }
  add("migrations", s.migrations());
  add("migrations failed", s.migrations_failed());
  for (const Count& c : s.ops_failed()) {
    add(absl::StrCat("ops failed ", c.name()), c.count());
  }
  for (const KernelCounter& c : s.counters()) {
    add(c.order() == 0
            ? absl::StrCat("counter ", c.name())
            : absl::StrCat("counter ", c.name(), "[", c.order(), "]"),
        static_cast<double>(c.value()));
  }
  return rows;
}

// The two summaries side by side: A's rows in order, then those only B has;
// a row missing on one side is 0 there.
std::string SideBySide(const Summary& a, const Summary& b) {
  std::vector<std::pair<std::string, double>> rows_a = Rows(a),
                                              rows_b = Rows(b);
  absl::btree_map<std::string, double> in_b(rows_b.begin(), rows_b.end());
  absl::btree_map<std::string, double> in_a(rows_a.begin(), rows_a.end());
  for (const auto& [name, v] : rows_b) {
    if (!in_a.contains(name)) rows_a.emplace_back(name, 0);
  }
  std::string out =
      absl::StrFormat("%-44s %14s %14s %14s %8s\n", "", "A", "B", "B-A", "B/A");
  for (const auto& [name, va] : rows_a) {
    const double vb = in_b.contains(name) ? in_b.at(name) : 0;
    const std::string ratio = va != 0 ? absl::StrFormat("%.3f", vb / va) : "-";
    absl::StrAppend(&out, absl::StrFormat("%-44s %14.0f %14.0f %+14.0f %8s\n",
                                          name, va, vb, vb - va, ratio));
  }
  return out;
}

class CompareCommand : public Command {
 public:
  absl::string_view name() const override { return "compare"; }
  absl::string_view summary() const override {
    return "Replay one trace two ways and put what happened side by side.";
  }
  absl::string_view usage() const override {
    return "TRACE [--profile-a A] [--profile-b B] [--set-a S=V,...] "
           "[--set-b S=V,...] [--ignore pfn,addr] [--json]";
  }
  std::vector<FlagSpec> flags() const override {
    return {
        {"--profile", "", "NAME", "replay both sides under this profile"},
        {"--profile-a", "", "NAME", "replay side A under this profile"},
        {"--profile-b", "", "NAME", "replay side B under this profile"},
        {"--set", "", "S=V,...",
         "set behaviour switches for both sides (docs/profiles.md)"},
        {"--set-a", "", "S=V,...", "set switches for side A"},
        {"--set-b", "", "S=V,...", "set switches for side B"},
        {"--ignore", "", "pfn,addr",
         "find the first differing op as diff --ignore does"},
        {"--json", "", "",
         "print one JSON object (proto/summary.proto, "
         "Comparison) instead of the table"},
    };
  }
  absl::string_view details() const override {
    return R"(TRACE is replayed as side A (--profile-a, --set-a) and as side B
(--profile-b, --set-b), both at once, one per core, and their summaries
(replay --summary, docs/summary.md) are printed side by side with the
difference B-A and the ratio B/A; then the first op whose events differ, as
diff shows it (the two sides are replayed again for that, streamed).

exit status: 0 the two event logs are equal, 1 they differ, 2 trouble.

examples:
  mmreplay compare --set-b batched_rmap_zap=off trace.mmt
  mmreplay compare --profile-a linux-6.1 --profile-b linux-6.18 --ignore pfn trace.mmt
  mmreplay compare --profile-a seed003-split-all --profile-b linux-6.18 --json trace.mmt
)";
  }
  int min_positional() const override { return 1; }
  int max_positional() const override { return 1; }

  absl::StatusOr<int> Run(const Args& args) override {
    const std::string& path = args.positional()[0];
    DiffOptions diff;
    diff.max_ops = 1;
    RETURN_IF_ERROR(ParseIgnore(args, &diff));
    const ReplayOptions side[2] = {SideReplayOptions(args, 0),
                                   SideReplayOptions(args, 1)};
    absl::StatusOr<Summary> b_summary;
    std::thread b_thread([&] { b_summary = Summarize(path, side[1]); });
    absl::StatusOr<Summary> a_summary = Summarize(path, side[0]);
    b_thread.join();
    RETURN_IF_ERROR(a_summary.status());
    RETURN_IF_ERROR(b_summary.status());
    ASSIGN_OR_RETURN(std::unique_ptr<LogReader> a,
                     OpenReplayedLog(path, side[0]));
    ASSIGN_OR_RETURN(std::unique_ptr<LogReader> b,
                     OpenReplayedLog(path, side[1]));
    ASSIGN_OR_RETURN(DiffResult first, DiffLogs(*a, *b, diff));

    Comparison c;
    c.set_trace(path);
    *c.mutable_a() = *std::move(a_summary);
    *c.mutable_b() = *std::move(b_summary);
    c.set_equal(first.equal);
    c.set_first_difference(first.report);
    std::string out;
    if (args.Has("--json")) {
      ASSIGN_OR_RETURN(out, ToJson(c));
    } else {
      out = absl::StrCat(
          "A: ", c.a().profile(), "\nB: ", c.b().profile(), "\n\n",
          SideBySide(c.a(), c.b()), "\n",
          first.equal ? "the two event logs are equal\n" : first.report);
    }
    std::fputs(out.c_str(), stdout);
    return first.equal ? kExitOk : kExitDifferent;
  }
};

}  // namespace

std::unique_ptr<Command> NewCompareCommand() {
  return std::make_unique<CompareCommand>();
}

}  // namespace mmreplay::replay
