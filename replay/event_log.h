// EventLog: writes the model's events as stable text, one event a line
// (docs/event-log.md):
//
//   12 unmap pfn=0x200 order=9 pid=1 addr=0x7f0000001000 pages=1 level=pte
//   map=512->511 reason=madv_dontneed
//
// The first line is a comment naming the format and profile. Fields print in
// a fixed order and only when set; numbers that are addresses or PFNs print
// in hex. Nothing on a line depends on pointers, time or hash order.
//
// The same log has two more forms: the text compressed with zstd
// (.log.zst), and the binary log (.mme: EventChunks of integer columns in a
// zstd stream, replay/event_chunk.h), which `mmreplay log print` turns back
// into the text, byte for byte. All three are written streaming.
#ifndef MMREPLAY_REPLAY_EVENT_LOG_H_
#define MMREPLAY_REPLAY_EVENT_LOG_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "mm/event_sink.h"
#include "proto/event.pb.h"
#include "proto/event_log.pb.h"
#include "replay/event_chunk.h"
#include "replay/op_columns.h"
#include "trace/output_file.h"
#include "trace/trace_op.h"
#include "trace/writer_thread.h"
#include "trace/zstd_stream.h"

namespace mmreplay::replay {

// Version of the text form, in the first line of every log (and the
// binary log's LogHeader.version). 2: ops numbered by ops alone (a
// trace's expectation records not counted), op lines, split_piece and the
// partially mapped flag events; a version 1 log numbers its ops otherwise,
// so the two are not compared.
inline constexpr int kEventLogVersion = 2;

// LogHeader.magic of every binary log: tells it from a .mmt trace.
inline constexpr absl::string_view kBinaryLogMagic = "mmreplay event log";

// The three forms of a log (docs/event-log.md).
enum class LogFormat {
  kText,      // one line per event
  kTextZstd,  // the same text, zstd-compressed (.log.zst)
  kBinary,    // .mme: a zstd stream of LogRecords (proto/event_log.proto)
};

// The form a log written to `path` takes: kBinary for a name ending in
// .mme, kTextZstd for .zst, else (and for "-") kText.
LogFormat LogFormatForPath(absl::string_view path);

// Appends the line for `event` (without newline) to *out.
// REQUIRES: event.repeat() == 1.
void AppendEventLine(const mm::Event& event, std::string* out);
// Appends the lines of every event `event` stands for, each with its
// newline.
void AppendEventLines(const mm::Event& event, std::string* out);
// Whether AppendEventLine() gives `a` and `b` the same line: the fields it
// shows are equal, but for the values of the PFN fields (pfn, dst_pfn,
// parent_pfn) with skip_pfns, and of addr with skip_addr (each still set
// on both or on neither). REQUIRES: a.repeat() == b.repeat() == 1.
bool SameEventLine(const mm::Event& a, const mm::Event& b,
                   bool skip_pfns = false, bool skip_addr = false);

// The first line of a log replayed under `profile`, with its newline.
std::string EventLogHeader(absl::string_view profile);

// Appends the comment line for op `number` of `kind` with fields `args`
// (trace::TraceOp::args) and `note`, with its newline:
//   # op 3: touch { pid: 1 addr: 0x7f0000000000 ... } "one THP"
// The op's text is the trace's (trace/op_text.h); the note, if any, is
// quoted and C-escaped, so that the line stays one line.
// REQUIRES: kind is a flat op's (no expectation record).
void AppendOpLine(uint64_t number, uint32_t kind, const uint64_t* args,
                  absl::string_view note, std::string* out);

// Told of each op as a replay begins it, before the op's events: the
// sinks that write the log's op lines (replay/driver.h,
// ReplayOptions::op_sink).
class OpSink {
 public:
  virtual ~OpSink() = default;
  // Op `number` begins: ops are numbered from 1 and counted alone, without
  // a trace's expectation records, so that a trace and its captured form
  // number them the same. `op` is valid during the call only.
  virtual void BeginOp(uint64_t number, const trace::TraceOp& op) = 0;
};

// "folio_alloc" for EVENT_FOLIO_ALLOC.
absl::string_view EventKindName(EventKind kind);
// "punch_hole" for REASON_PUNCH_HOLE, as the log's reason= shows it.
absl::string_view ReasonName(Reason reason);
// "complete" for COMPACT_RESULT_COMPLETE, as the log's result= shows it.
absl::string_view CompactResultName(CompactResult result);

// Writes a log's bytes (its text, or the binary log's records) to an
// OutputFile, zstd-compressed or not, about a MiB at a time; the
// compressing and writing happen on a thread of their own
// (trace::WriterThread), while the caller makes the next MiB.
class LogStreamWriter {
 public:
  // Writes to `out` (not owned; must outlive this).
  LogStreamWriter(trace::OutputFile* out, bool zstd);

  // Where to append bytes; then call MaybeFlush().
  std::string& buffer() { return buf_; }
  // Hands the buffer to the writing thread once it holds a MiB or more;
  // returns the first write error so far.
  [[nodiscard]] absl::Status MaybeFlush() {
    return buf_.size() >= kFlushBytes ? Flush() : absl::OkStatus();
  }
  // Writes what is buffered and ends the zstd frame. REQUIRES: called
  // once, last; the OutputFile is committed by its owner.
  [[nodiscard]] absl::Status Finish();

 private:
  static constexpr size_t kFlushBytes = 1 << 20;
  absl::Status Flush() { return writer_.Submit(&buf_); }

  std::unique_ptr<trace::ZstdWriter> zstd_;
  std::string buf_;
  // Last: stopped first.
  trace::WriterThread<std::string> writer_;
};

// The log of a replay in one of its forms: its events, and its op lines
// when it is the replay's op sink too.
class EventLog : public mm::EventSink, public OpSink {
 public:
  // Writes to `out` (not owned; may be null to count events only) in
  // `format`.
  explicit EventLog(trace::OutputFile* out,
                    LogFormat format = LogFormat::kText);

  void WriteHeader(absl::string_view profile);
  void Emit(const mm::Event& event) override;
  void BeginOp(uint64_t number, const trace::TraceOp& op) override;
  // Writes what is buffered and ends the log (the zstd frame, the binary
  // log's end record); returns the first write error. REQUIRES: called
  // once, after the last event; the OutputFile is committed by its owner.
  [[nodiscard]] absl::Status Finish();

  uint64_t events() const { return events_; }

 private:
  // The binary form: appends the chunk, or `record`, as a delimited
  // LogRecord.
  void WriteChunk();
  void WriteRecord(const LogRecord& record);

  const LogFormat format_;
  // Null when counting only.
  std::unique_ptr<LogStreamWriter> writer_;
  // The binary form's chunk being made.
  ChunkEncoder encoder_;
  OpColumnsEncoder ops_;
  std::string ops_bytes_;
  uint64_t chunks_ = 0;
  uint64_t events_ = 0;
  uint64_t op_lines_ = 0;
  absl::Status status_;
};

}  // namespace mmreplay::replay

#endif  // MMREPLAY_REPLAY_EVENT_LOG_H_
