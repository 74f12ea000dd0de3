// TraceReader: streams a trace (.mmt or .textproto) record by record, with
// memory bounded by one record (an OpBatch of at most a few thousand ops),
// checking each record with TraceValidator as it goes.
//
// Every error names the file, the record and its byte offset:
//   "traces/a.mmt: record 17 (byte 4096): touch.pid: unknown process 7"
// Record 0 is the header; ops count from 1. Byte offsets are into the
// decompressed stream for .mmt (the start of the OpBatch holding the op) and
// into the file for .textproto (the start of the op's entry).
//
// Usage:
//   ASSIGN_OR_RETURN(std::unique_ptr<TraceReader> r, TraceReader::Open(path));
//   while (const TraceOp* op = r->Next()) { ... }
//   RETURN_IF_ERROR(r->status());
#ifndef MMREPLAY_TRACE_TRACE_READER_H_
#define MMREPLAY_TRACE_TRACE_READER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/trace.pb.h"
#include "trace/trace_op.h"
#include "trace/trace_validator.h"

namespace mmreplay::trace {

// `text` with its control characters (a newline, a terminal's escape) shown
// as \xNN: an error that quotes a file's own bytes stays one line that
// cannot drive the terminal.
std::string ShowControlChars(absl::string_view text);

// The error for bad content at a record:
// "<path>: record <n> (byte <offset>): <what>", `what` through
// ShowControlChars().
absl::Status RecordError(absl::string_view path, uint64_t record,
                         uint64_t byte_offset, absl::string_view what);

class TraceReader {
 public:
  // Opens `path`, choosing the format by its extension, and reads and checks
  // the header. Errors: NotFound (no such file), InvalidArgument (bad
  // content; the message is as above).
  static absl::StatusOr<std::unique_ptr<TraceReader>> Open(
      const std::string& path);

  virtual ~TraceReader() = default;

  const Header& header() const { return header_; }
  const std::string& path() const { return path_; }

  // The next op, checked; null at the end of the trace or on an error (then
  // status() says which). The op is valid until the next call.
  const TraceOp* Next();

  // OK unless reading failed.
  const absl::Status& status() const { return status_; }

 protected:
  explicit TraceReader(std::string path) : path_(std::move(path)) {}

  // Reads the header into header_ and sets *byte_offset to where it starts.
  // Called once, by Open(); errors come from Fail().
  virtual absl::Status ReadHeader(uint64_t* byte_offset) = 0;
  // Reads the next op into *op (unchecked; record and byte_offset set).
  // Returns false at a clean end, or after Fail().
  virtual bool ReadOp(TraceOp* op) = 0;

  // Sets status() to "<path>: record <n> (byte <offset>): <what>" (once) and
  // returns it.
  const absl::Status& Fail(uint64_t record, uint64_t byte_offset,
                           absl::string_view what);

  Header header_;
  // The record being read: 0 until the header is read.
  uint64_t next_record_ = 0;

 private:
  std::string path_;
  absl::Status status_;
  TraceValidator validator_;
  TraceOp op_;
};

}  // namespace mmreplay::trace

#endif  // MMREPLAY_TRACE_TRACE_READER_H_
