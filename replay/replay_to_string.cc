#include "replay/replay_to_string.h"

#include "base/status_macros.h"
#include "replay/event_log.h"
#include "trace/trace_reader.h"

namespace mmreplay::replay {
namespace {

// Collects log lines in memory.
class StringSink : public mm::EventSink {
 public:
  explicit StringSink(std::string* out) : out_(out) {}
  void Emit(const mm::Event& event) override { AppendEventLines(event, out_); }

 private:
  std::string* out_;
};

}  // namespace

absl::StatusOr<std::string> ReplayToString(const std::string& trace_path,
                                           const ReplayOptions& options,
                                           ReplayReport* report) {
  ASSIGN_OR_RETURN(std::unique_ptr<trace::TraceReader> reader,
                   trace::TraceReader::Open(trace_path));
  ASSIGN_OR_RETURN(mm::Profile profile, ResolveProfile(*reader, options));
  std::string log = EventLogHeader(profile.name);
  StringSink sink(&log);
  ReplayReport local;
  RETURN_IF_ERROR(Replay(*reader, options, &sink, report ? report : &local));
  return log;
}

}  // namespace mmreplay::replay
