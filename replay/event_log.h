// EventLog: writes the model's events as stable text, one event a line
// (docs/event-log.md):
//
//   12 unmap pfn=0x200 order=9 pid=1 addr=0x7f0000001000 pages=1 level=pte
//   map=512->511 reason=madv_dontneed
//
// The first line is a comment naming the format and profile. Fields print in
// a fixed order and only when set; numbers that are addresses or PFNs print
// in hex. Nothing on a line depends on pointers, time or hash order.
#ifndef MMREPLAY_REPLAY_EVENT_LOG_H_
#define MMREPLAY_REPLAY_EVENT_LOG_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "mm/event_sink.h"
#include "proto/event.pb.h"
#include "trace/output_file.h"

namespace mmreplay::replay {

// Version of the text form, in the first line of every log.
inline constexpr int kEventLogVersion = 1;

// Appends the line for `event` (without newline) to *out.
// REQUIRES: event.repeat() == 1.
void AppendEventLine(const mm::Event& event, std::string* out);
// Appends the lines of every event `event` stands for, each with its
// newline.
void AppendEventLines(const mm::Event& event, std::string* out);

// The first line of a log replayed under `profile`, with its newline.
std::string EventLogHeader(absl::string_view profile);

// "folio_alloc" for EVENT_FOLIO_ALLOC.
absl::string_view EventKindName(EventKind kind);
// "punch_hole" for REASON_PUNCH_HOLE, as the log's reason= shows it.
absl::string_view ReasonName(Reason reason);
// "complete" for COMPACT_RESULT_COMPLETE, as the log's result= shows it.
absl::string_view CompactResultName(CompactResult result);

class EventLog : public mm::EventSink {
 public:
  // Writes to `out` (not owned; may be null to count events only).
  explicit EventLog(trace::OutputFile* out) : out_(out) {}

  void WriteHeader(absl::string_view profile);
  void Emit(const mm::Event& event) override;
  // Writes what is buffered; returns the first write error.
  [[nodiscard]] absl::Status Flush();

  uint64_t events() const { return events_; }

 private:
  trace::OutputFile* out_;
  std::string buf_;
  uint64_t events_ = 0;
  absl::Status status_;
};

}  // namespace mmreplay::replay

#endif  // MMREPLAY_REPLAY_EVENT_LOG_H_
