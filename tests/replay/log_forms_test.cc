// The three forms of the event log hold the same log: every trace given on
// the command line (the golden and the captured ones) is replayed once into
// its text, its .log.zst and its .mme at the same time, and the two others
// must read back (through LogReader, which tells them apart by content) as
// the text, byte for byte, op lines included.
//
// usage: log_forms_test TRACE...
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "replay/driver.h"
#include "replay/event_log.h"
#include "replay/log_reader.h"
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

// What is wrong with `trace`'s forms, or "".
std::string Check(const std::string& trace, const std::string& dir) {
  auto reader = trace::TraceReader::Open(trace);
  if (!reader.ok()) return std::string(reader.status().message());
  auto profile = ResolveProfile(**reader, {});
  if (!profile.ok()) return std::string(profile.status().message());
  const std::string base = trace.substr(trace.rfind('/') + 1);
  const std::vector<std::pair<std::string, LogFormat>> forms = {
      {absl::StrCat(dir, "/", base, ".log"), LogFormat::kText},
      {absl::StrCat(dir, "/", base, ".log.zst"), LogFormat::kTextZstd},
      {absl::StrCat(dir, "/", base, ".mme"), LogFormat::kBinary},
  };
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
  ReplayOptions options;
  options.op_sink = &tee;
  absl::Status replayed = Replay(**reader, options, &tee, &report);
  if (!replayed.ok()) return std::string(replayed.message());
  for (size_t i = 0; i < forms.size(); ++i) {
    absl::Status s = logs[i]->Finish();
    if (s.ok()) s = outs[i]->Commit();
    if (!s.ok()) return std::string(s.message());
  }
  // The text, read back as any reader reads it.
  std::string texts[3];
  for (size_t i = 0; i < forms.size(); ++i) {
    auto log = LogReader::Open(forms[i].first);
    if (!log.ok()) return std::string(log.status().message());
    if ((*log)->format() != forms[i].second) {
      return absl::StrCat(forms[i].first, ": not read as the form written");
    }
    absl::string_view line;
    while ((*log)->Next(&line)) absl::StrAppend(&texts[i], line, "\n");
    if (!(*log)->status().ok()) return std::string((*log)->status().message());
  }
  if (texts[0].empty()) return "empty log";
  if (texts[0].find("\n# op 1: ") == std::string::npos) return "no op lines";
  for (size_t i = 1; i < forms.size(); ++i) {
    if (texts[i] != texts[0]) {
      return absl::StrCat(forms[i].first, " does not read back as ",
                          forms[0].first);
    }
  }
  return "";
}

}  // namespace
}  // namespace mmreplay::replay

int main(int argc, char** argv) {
  return mmreplay::replay::CheckEachTrace(argc, argv, mmreplay::replay::Check);
}
