// LogReader: reads an event log in any of its three forms, told apart by
// their first bytes, never by their names: the text (its first line is
// "# mmreplay event log v2 ..."), the text compressed with zstd, and the
// binary log (.mme: a zstd stream whose first record is a LogHeader). It
// gives the lines of the text form, byte for byte, one at a time: memory
// holds one line or one chunk of events, whatever the log's size.
//
// Anything else is refused with one line naming the file and what is
// wrong: an empty file, a trace, text that is not a log, a log cut short
// (a zstd frame or the binary log's end record missing, a last line
// without its newline), or corrupt records:
//   "b.log: not an event log: it is a trace (.mmt)"
//   "x.mme: record 3 (byte 8210): corrupt event chunk: ..."
//   "x.log: line 17: not an event line: ..."
#ifndef MMREPLAY_REPLAY_LOG_READER_H_
#define MMREPLAY_REPLAY_LOG_READER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "mm/event.h"
#include "replay/event_log.h"

namespace mmreplay::replay {

class LogReader;

// What SkipEqualChunks() skipped.
struct SkippedChunks {
  // Records skipped on each side (the header among them).
  uint64_t records = 0;
  // Ops with events in them, and the last of those (0: none).
  uint64_t ops = 0;
  uint64_t last_op = 0;
};

// Where two binary logs begin with the same records, byte for byte, their
// lines are the same: reads those records on both sides as Next() would
// (each checked, once: b's are a's bytes; the lines and line numbers
// counted) without making their lines, but for the records before the
// first that differs that hold keep_rows event rows (so keep_rows events:
// the context before a difference stays for Next()) and that one. Does
// nothing unless both are binary logs and neither has been read from. `events`,
// if set, is given the events of each record skipped (a run as one mm::Event:
// repeat()), the same on both sides, in a vector it may keep (swapping another
// in: the reader reuses whatever it is left). Errors: what reading either would
// give (status()).
using SkippedEvents = std::function<void(std::vector<mm::Event>&)>;
absl::StatusOr<SkippedChunks> SkipEqualChunks(
    LogReader& a, LogReader& b, uint64_t keep_rows,
    const SkippedEvents& events = nullptr);

class LogReader {
 public:
  // Opens `path` ("-" for stdin) and reads enough to know its form.
  // Errors: NotFound (no such file), InvalidArgument (not an event log).
  static absl::StatusOr<std::unique_ptr<LogReader>> Open(
      const std::string& path);
  // Reads a text log held in memory, checked as a file's would be.
  static std::unique_ptr<LogReader> FromText(std::string name,
                                             std::string text);

  virtual ~LogReader() = default;

  // The name errors and reports give the log (its path).
  const std::string& name() const { return name_; }
  LogFormat format() const { return format_; }

  // The next line of the text form without its newline, comment lines
  // included; valid until the next call. False at the end of the log or on
  // an error (then status() says which).
  bool Next(absl::string_view* line) {
    if (!status_.ok() || !ReadLine(line)) return false;
    ++line_number_;
    return true;
  }
  // Next() for the tools that compare events (diff): an event line of a
  // binary log comes as its event, in *event (repeat 1) with *is_event
  // true, and is never made into text; any other line, and every line of
  // a text log, comes as Next() gives it (*is_event false), but that a
  // binary log's op lines, comments, come as their "#" alone, never made.
  // A log is read with Next() or with NextEvent(), not both.
  bool NextEvent(absl::string_view* line, mm::Event* event, bool* is_event) {
    if (!status_.ok() || !ReadEvent(line, event, is_event)) return false;
    ++line_number_;
    return true;
  }
  // For NextEvent()'s callers that compare runs of events whole (diff):
  // where the next line is the event `*nth` (from 0) of a run held as one
  // row (a binary log's chunk holds runs: mm::Event::repeat()), that row,
  // valid until the next call that reads; false where it is not (a text
  // log, an op line next, a record still to read, the end).
  bool PeekRow(const mm::Event** row, uint32_t* nth) {
    return status_.ok() && PeekEventRow(row, nth);
  }
  // Consumes the next n events of the row PeekRow() gave, as n calls of
  // NextEvent() would, without giving them. REQUIRES: n <= row->repeat() -
  // *nth.
  void SkipEvents(uint32_t n) {
    SkipRowEvents(n);
    line_number_ += n;
  }
  // The 1-based number of the line Next() gave last.
  uint64_t line_number() const { return line_number_; }
  // OK unless reading failed.
  const absl::Status& status() const { return status_; }

 protected:
  LogReader(std::string name, LogFormat format)
      : name_(std::move(name)), format_(format) {}
  // Reads the next line; false at the end, or after Fail().
  virtual bool ReadLine(absl::string_view* line) = 0;

  // Reads the next line for NextEvent(): an event line as its event where
  // the log holds events.
  virtual bool ReadEvent(absl::string_view* line, mm::Event* event,
                         bool* is_event) {
    (void)event;
    *is_event = false;
    return ReadLine(line);
  }

  // For PeekRow() and SkipEvents(), binary logs only (the others: false).
  virtual bool PeekEventRow(const mm::Event** row, uint32_t* nth) {
    (void)row;
    (void)nth;
    return false;
  }
  virtual void SkipRowEvents(uint32_t n) { (void)n; }

  // For SkipEqualChunks(), binary logs only (the others: false). The bytes
  // of the record `i` records ahead (0: the next), read ahead and kept;
  // false at the end of the log or on a read error (left for Next() to
  // meet).
  virtual bool PeekRecord(size_t i, absl::string_view* bytes) {
    (void)i;
    (void)bytes;
    return false;
  }
  // Reads the next record as Next() would and consumes its lines unmade;
  // adds the ops with events in it (after *last_op) to *ops, and sets
  // *last_op; gives `events` (if set) the record's events. False on an
  // error (status() says which).
  virtual bool SkipRecord(uint64_t* ops, uint64_t* last_op,
                          const SkippedEvents& events) {
    (void)ops;
    (void)last_op;
    (void)events;
    return false;
  }
  // Consumes the next record, which is the same, byte for byte, as the
  // one `other` (a log of the same form, read as far as this one) has just
  // skipped: this log then stands where `other` does, unchecked again.
  // False on an error (status() says which).
  virtual bool SkipRecordLike(const LogReader& other) {
    (void)other;
    return false;
  }
  // Counts n lines as read (SkipRecord()'s).
  void SkipLines(uint64_t n) { line_number_ += n; }
  // Sets status() to "<name>: <what>" (once); returns false.
  bool Fail(absl::string_view what);
  // Sets status() to `status` as it is (once); returns false.
  bool Fail(const absl::Status& status) {
    if (status_.ok()) status_ = status;
    return false;
  }

 private:
  friend absl::StatusOr<SkippedChunks> SkipEqualChunks(
      LogReader& a, LogReader& b, uint64_t keep_rows,
      const SkippedEvents& events);
  // Whether nothing has been read (no line given, no record skipped).
  bool fresh() const { return line_number_ == 0; }

  std::string name_;
  LogFormat format_;
  uint64_t line_number_ = 0;
  absl::Status status_;
};

}  // namespace mmreplay::replay

#endif  // MMREPLAY_REPLAY_LOG_READER_H_
