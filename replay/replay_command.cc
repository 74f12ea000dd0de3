// mmreplay replay TRACE [-o LOG] [--check] [--profile NAME] [--set S=V,...]
// [--verify]
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "replay/commands.h"
#include "replay/driver.h"
#include "replay/event_log.h"
#include "replay/summary.h"
#include "trace/output_file.h"
#include "trace/trace_reader.h"

namespace mmreplay::replay {
namespace {

class ReplayCommand : public Command {
 public:
  absl::string_view name() const override { return "replay"; }
  absl::string_view summary() const override {
    return "Replay a trace through the MM model and write its event log.";
  }
  absl::string_view usage() const override {
    return "TRACE [-o LOG] [--check] [--profile NAME] [--set S=V,...] "
           "[--verify] [--summary[=json]] [--no-op-lines] [-q]";
  }
  std::vector<FlagSpec> flags() const override {
    return {
        {"--output", "-o", "LOG",
         "write the event log to LOG (default: stdout); LOG.mme is binary, "
         "LOG.zst compressed text"},
        {"--check", "", "",
         "compare the trace's expectation records with the model"},
        {"--profile", "", "NAME",
         "replay under this kernel profile instead of the trace's"},
        {"--set", "", "S=V,...",
         "set behaviour switches over the profile's (on, off)"},
        {"--verify", "", "", "check the model's invariants after every op"},
        {"--no-op-lines", "", "",
         "leave out the '# op N: ...' line before each op's events"},
        {"--quiet", "-q", "", "no progress line on stderr"},
        {"--summary", "", "FORMAT",
         "after the replay, print what happened in numbers to stdout: a "
         "table, or with =json a JSON object (docs/summary.md)",
         "table"},
    };
  }
  absl::string_view details() const override {
    return R"(TRACE is a .mmt or .textproto file (traces/FORMAT.md). The event log has
one event a line (docs/event-log.md); it is written whole or not at all.
Each op's events follow a comment line naming the op as the trace has it,
with its note:
  # op 3: touch { pid: 1 addr: 0x7f0000000000 length_bytes: 0x200000 access: ACCESS_WRITE } "one THP"
  3 folio_alloc pfn=0x0 order=9 ref=1 reason=anon_fault
Ops are numbered from 1, a trace's expectation records not counted, so a
trace and its captured form (the same ops with expectations between them)
number them alike. diff ignores these lines; --no-op-lines leaves them out.
LOG's name picks its form: text (the default), text compressed with zstd
(a name ending in .zst, e.g. x.log.zst) or the binary log (.mme: about a
byte or two per event; `mmreplay log print x.mme` gives its text, byte for
byte). Every command that reads logs takes all three.

With --check, each expectation record (a folio layout or counter values the
live kernel showed) is compared with the model at that point of the trace.
Every mismatch is printed to stderr with its record number and both the
expected and the modelled values. Expectations marked unstable are skipped.

--verify checks, after every op, that pages are conserved, folios do not
overlap, every mapping points into a live folio and every refcount and
mapcount adds up, and that no reference count was set over another
holder's (docs/model.md, Invariants); the first breach ends the
replay with exit status 2. A build without -c opt (Bazel's default) checks
them always, many times slower; ./mmreplay builds with -c opt.

Profiles: linux-5.4, linux-6.1, linux-6.6, linux-6.12, linux-6.15, linux-6.18,
seed003-split-all, seed003-v3 (docs/profiles.md). --set changes single
switches of the profile, comma-separated: batched_rmap_zap=off (on or off),
anon_cow_reuse=small (mapcount, refcount, small, large),
compact_large_folios=skip (skip, split_all, split_free); the log's header
names them after the profile (linux-6.18+batched_rmap_zap=off).

--summary counts what the replay did: ops by kind, folios allocated and
left at the end by order, splits by type, reason and order with the folios
they made, failed splits, PMD splits, the deferred split queue (adds,
removes, longest), xarray nodes, memory freed by reason, collapses by
result, compaction runs and migrations, ops the kernel refused, and every
kernel counter the model keeps. The event log is then written only where
-o names a file.

On a terminal, a long replay shows its progress on stderr (ops, ops/s,
elapsed), one line rewritten in place; -q turns it off. Nothing is shown
when stderr is a file or a pipe.

exit status: 0 replayed (and every expectation met), 1 an expectation was not
met, 2 trouble (usage, bad trace, I/O).

examples:
  mmreplay replay traces/golden/seed000_anon_split_at_2.textproto
  mmreplay replay --check traces/captured/anon_pmd_dontneed_1_1.textproto
  mmreplay replay --profile linux-6.1 trace.mmt -o old.log
  mmreplay replay --set batched_rmap_zap=off trace.mmt -o unbatched.mme
)";
  }
  int min_positional() const override { return 1; }
  int max_positional() const override { return 1; }

  absl::StatusOr<int> Run(const Args& args) override {
    const std::string& path = args.positional()[0];
    RETURN_IF_ERROR(RefuseOutputOverInput(path, args.Get("--output", "-")));
    ASSIGN_OR_RETURN(std::unique_ptr<trace::TraceReader> reader,
                     trace::TraceReader::Open(path));
    ReplayOptions options;
    options.profile = args.Get("--profile", "");
    options.set = args.Get("--set", "");
    options.check = args.Has("--check");
    options.verify = args.Has("--verify");
    ASSIGN_OR_RETURN(mm::Profile profile, ResolveProfile(*reader, options));
    const std::string summary = args.Get("--summary", "");
    if (!summary.empty() && summary != "table" && summary != "json") {
      return absl::InvalidArgumentError(
          absl::StrCat("--summary: must be table or json, not ", summary));
    }
    // With --summary, stdout holds the summary: the log goes only to a file.
    const bool log_wanted = summary.empty() || args.Has("--output");
    const std::string output = args.Get("--output", "-");
    std::unique_ptr<trace::OutputFile> out;
    if (log_wanted) {
      ASSIGN_OR_RETURN(out, trace::OutputFile::Create(output));
    }
    EventLog log(out.get(), LogFormatForPath(output));
    log.WriteHeader(profile.name);
    SummarySink counted(&log);
    ReplayReport report;
    mm::Counters counters;
    Progress progress("replay", Progress::Wanted(args.Has("--quiet")));
    options.progress = &progress;
    if (!args.Has("--no-op-lines")) options.op_sink = &log;
    RETURN_IF_ERROR(
        Replay(*reader, options,
               summary.empty() ? static_cast<mm::EventSink*>(&log) : &counted,
               &report, nullptr, &counters));
    progress.Finish(report.ops);
    RETURN_IF_ERROR(log.Finish());
    if (out != nullptr) RETURN_IF_ERROR(out->Commit());
    if (!summary.empty()) {
      Summary s = counted.Finish(profile.name, report, counters);
      std::string text;
      if (summary == "json") {
        ASSIGN_OR_RETURN(text, ToJson(s));
      } else {
        text = SummaryTable(s);
      }
      std::fputs(text.c_str(), stdout);
    }
    if (!options.check) return kExitOk;
    for (const std::string& m : report.mismatches) {
      std::fprintf(stderr, "mmreplay: replay: %s: %s\n", path.c_str(),
                   m.c_str());
    }
    std::fprintf(stderr,
                 "mmreplay: replay: %s: %llu expectations checked, %zu not "
                 "met, %llu unstable skipped\n",
                 path.c_str(), static_cast<unsigned long long>(report.checked),
                 report.mismatches.size(),
                 static_cast<unsigned long long>(report.unstable));
    return report.mismatches.empty() ? kExitOk : kExitDifferent;
  }
};

}  // namespace

std::unique_ptr<Command> NewReplayCommand() {
  return std::make_unique<ReplayCommand>();
}

}  // namespace mmreplay::replay
