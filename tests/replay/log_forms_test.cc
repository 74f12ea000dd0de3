// The three forms of the event log hold the same log: every trace given on
// the command line (the golden and the captured ones) is replayed once into
// its text, its .log.zst and its .mme at the same time, and the two others
// must read back (through LogReader, which tells them apart by content) as
// the text, byte for byte, op lines included. And diff, which reads a
// binary log's events without making their text, reports on the trace
// replayed under another profile just as it does on the text logs.
//
// usage: log_forms_test TRACE...
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "replay/driver.h"
#include "replay/event_log.h"
#include "replay/log_diff.h"
#include "replay/log_reader.h"
#include "replay/replay_to_string.h"
#include "tests/replay/each_trace_main.h"
#include "trace/output_file.h"
#include "trace/trace_reader.h"

namespace mmreplay::replay {
namespace {

// Hands every event and op to each log.
class TeeSink : public mm::EventSink, public OpSink {
 public:
  explicit TeeSink(std::vector<EventLog*> logs) : logs_(std::move(logs)) {}
  void Emit(const mm::Event& event) override {
    for (EventLog* log : logs_) log->Emit(event);
  }
  void BeginOp(uint64_t number, const trace::TraceOp& op) override {
    for (EventLog* log : logs_) log->BeginOp(number, op);
  }

 private:
  std::vector<EventLog*> logs_;
};

// Replays `trace` under `profile` (empty: its own) into each of `forms`
// at once; what went wrong, or "".
std::string ReplayInto(
    const std::string& trace, const std::string& profile_name,
    const std::vector<std::pair<std::string, LogFormat>>& forms) {
  auto reader = trace::TraceReader::Open(trace);
  if (!reader.ok()) return std::string(reader.status().message());
  ReplayOptions options;
  options.profile = profile_name;
  auto profile = ResolveProfile(**reader, options);
  if (!profile.ok()) return std::string(profile.status().message());
  std::vector<std::unique_ptr<trace::OutputFile>> outs;
  std::vector<std::unique_ptr<EventLog>> logs;
  std::vector<EventLog*> sinks;
  for (const auto& [path, format] : forms) {
    auto out = trace::OutputFile::Create(path);
    if (!out.ok()) return std::string(out.status().message());
    outs.push_back(std::move(*out));
    logs.push_back(std::make_unique<EventLog>(outs.back().get(), format));
    logs.back()->WriteHeader(profile->name);
    sinks.push_back(logs.back().get());
  }
  TeeSink tee(sinks);
  ReplayReport report;
  options.op_sink = &tee;
  absl::Status replayed = Replay(**reader, options, &tee, &report);
  if (!replayed.ok()) return std::string(replayed.message());
  for (size_t i = 0; i < forms.size(); ++i) {
    absl::Status s = logs[i]->Finish();
    if (s.ok()) s = outs[i]->Commit();
    if (!s.ok()) return std::string(s.message());
  }
  return "";
}

// A log to diff: a file, or `trace` replayed on the fly under `profile`
// (OpenReplayedLog(), as `mmreplay diff TRACE ...` reads it) when `path`
// is "replay:<profile>" (empty: the trace's own).
struct Log {
  std::string path;
  // The name the report gives it here, so that reports compare: the text
  // log's.
  std::string as;
};

absl::StatusOr<std::unique_ptr<LogReader>> OpenLog(const std::string& trace,
                                                   const Log& log) {
  if (!absl::StartsWith(log.path, "replay:")) return LogReader::Open(log.path);
  ReplayOptions options;
  options.profile = log.path.substr(7);
  return OpenReplayedLog(trace, options);
}

// The report of `mmreplay diff a b` with `options`, each log named as its
// text log; or what went wrong, after "error: ".
std::string DiffReport(const std::string& trace, const Log& a, const Log& b,
                       const DiffOptions& options) {
  auto la = OpenLog(trace, a);
  if (!la.ok()) return absl::StrCat("error: ", la.status().message());
  auto lb = OpenLog(trace, b);
  if (!lb.ok()) return absl::StrCat("error: ", lb.status().message());
  absl::StatusOr<DiffResult> r = DiffLogs(**la, **lb, options);
  if (!r.ok()) return absl::StrCat("error: ", r.status().message());
  return absl::StrCat(r->equal ? "equal" : "differ", ", ", r->ops, " ops\n",
                      absl::StrReplaceAll(r->report, {{(*la)->name(), a.as},
                                                      {(*lb)->name(), b.as}}));
}

// The text of a log, as Next() gives it.
std::string TextOf(LogReader& log) {
  std::string text;
  absl::string_view line;
  while (log.Next(&line)) absl::StrAppend(&text, line, "\n");
  if (!log.status().ok()) {
    absl::StrAppend(&text, "error: ", log.status().message());
  }
  return text;
}

// What is wrong with `trace`'s forms, or "".
std::string Check(const std::string& trace, const std::string& dir) {
  const std::string base =
      absl::StrCat(dir, "/", trace.substr(trace.rfind('/') + 1));
  const std::vector<std::pair<std::string, LogFormat>> forms = {
      {base + ".log", LogFormat::kText},
      {base + ".log.zst", LogFormat::kTextZstd},
      {base + ".mme", LogFormat::kBinary},
  };
  std::string wrong = ReplayInto(trace, "", forms);
  if (!wrong.empty()) return wrong;
  // The text, read back as any reader reads it.
  std::string texts[3];
  for (size_t i = 0; i < forms.size(); ++i) {
    auto log = LogReader::Open(forms[i].first);
    if (!log.ok()) return std::string(log.status().message());
    if ((*log)->format() != forms[i].second) {
      return absl::StrCat(forms[i].first, ": not read as the form written");
    }
    texts[i] = TextOf(**log);
    if (!(*log)->status().ok()) return std::string((*log)->status().message());
  }
  if (texts[0].empty()) return "empty log";
  // The trace replayed as diff reads it, beside its reader: the same text.
  auto replayed = OpenLog(trace, {"replay:", ""});
  if (!replayed.ok()) return std::string(replayed.status().message());
  if (TextOf(**replayed) != texts[0]) {
    return "the trace replayed on the fly does not read as its text log";
  }
  if (texts[0].find("\n# op 1: ") == std::string::npos) return "no op lines";
  for (size_t i = 1; i < forms.size(); ++i) {
    if (texts[i] != texts[0]) {
      return absl::StrCat(forms[i].first, " does not read back as ",
                          forms[0].first);
    }
  }
  // diff reads a binary log's events as events, never as text: its report
  // on the trace replayed under another profile (whose allocations drift)
  // is the text logs' whatever the forms compared, with and without
  // --ignore pfn.
  const std::string other = base + ".other";
  wrong = ReplayInto(trace, "linux-6.12",
                     {{other + ".log", LogFormat::kText},
                      {other + ".mme", LogFormat::kBinary}});
  if (!wrong.empty()) return wrong;
  std::vector<DiffOptions> options(6);
  options[1].ignore_pfn = true;
  options[2].ignore_pfn = options[2].ignore_addr = true;
  options[3].ignore_pfn = true;
  options[3].context = 0;
  options[4].ignore_pfn = true;
  options[4].max_ops = 1;
  options[4].context = 50;
  options[5].ignore_addr = true;
  // Each log as a file of either form, or replayed on the fly.
  const Log a_log{base + ".log", base + ".log"},
      a_mme{base + ".mme", base + ".log"}, a_replay{"replay:", base + ".log"},
      b_log{other + ".log", other + ".log"},
      b_mme{other + ".mme", other + ".log"},
      b_replay{"replay:linux-6.12", other + ".log"};
  for (size_t i = 0; i < options.size(); ++i) {
    const std::string want = DiffReport(trace, a_log, b_log, options[i]);
    if (absl::StartsWith(want, "error: ")) return want;
    std::vector<std::pair<Log, Log>> pairs = {
        {a_mme, b_mme}, {a_log, b_mme}, {a_mme, b_log}};
    // A trace replayed on the fly (slower to set up): under the plain
    // options and --ignore pfn.
    if (i <= 1) {
      pairs.insert(
          pairs.end(),
          {{a_replay, b_replay}, {a_replay, b_mme}, {a_log, b_replay}});
    }
    for (const auto& [a, b] : pairs) {
      const std::string got = DiffReport(trace, a, b, options[i]);
      if (got != want) {
        return absl::StrCat("diff ", a.path, " ", b.path, " (options ", i,
                            ") does not report as the text logs:\n", got,
                            "\nwhere the text logs give:\n", want);
      }
    }
    // A log equals itself, in any two forms.
    for (const Log& a :
         i <= 1 ? std::vector<Log>{a_mme, a_replay} : std::vector<Log>{a_mme}) {
      if (!absl::StartsWith(DiffReport(trace, a, a_log, options[i]), "equal")) {
        return absl::StrCat(a.path, " and ", a_log.path, " differ (options ", i,
                            ")");
      }
    }
  }
  return "";
}

}  // namespace
}  // namespace mmreplay::replay

int main(int argc, char** argv) {
  return mmreplay::replay::CheckEachTrace(argc, argv, mmreplay::replay::Check);
}
