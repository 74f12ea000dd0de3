#include "replay/log_reader.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <deque>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/check.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "proto/event.pb.h"
#include "proto/event_log.pb.h"
#include "proto/trace.pb.h"
#include "replay/event_chunk.h"
#include "replay/event_log_reader.h"
#include "replay/op_columns.h"
#include "trace/trace_format.h"
#include "trace/trace_reader.h"
#include "trace/zstd_stream.h"

namespace mmreplay::replay {
namespace {

using trace::StreamInput;

// A line longer than this is not a log's: no event line comes near it.
constexpr size_t kMaxLineBytes = 1 << 20;
// How many bytes Open() looks at to tell the forms apart.
constexpr size_t kSniffBytes = 4096;
constexpr absl::string_view kTextMagic = "# mmreplay event log v";

// Why the first line of text is not a log's header, or "" if it is one
// this build reads.
std::string BadHeader(absl::string_view line) {
  if (!absl::StartsWith(line, kTextMagic)) {
    return absl::StrCat("not an event log: it does not start with '",
                        kTextMagic, kEventLogVersion, "'");
  }
  absl::string_view version = line.substr(kTextMagic.size());
  version = version.substr(0, version.find(' '));
  if (version != absl::StrCat(kEventLogVersion)) {
    return absl::StrCat("event log version ", version,
                        " (this build reads version ", kEventLogVersion, ")");
  }
  return "";
}

// Why `line` (not the first) is neither a comment nor an event line, or "".
// An event line is "<op> <kind>[ <fields>]": digits, a space, a lower-case
// kind name.
std::string BadLine(absl::string_view line) {
  if (absl::StartsWith(line, "#")) return "";
  size_t i = 0;
  while (i < line.size() && i < 20 && absl::ascii_isdigit(line[i])) ++i;
  size_t kind = i + 1;
  size_t j = kind;
  while (j < line.size() && (absl::ascii_islower(line[j]) || line[j] == '_')) {
    ++j;
  }
  if (i == 0 || kind > line.size() || line[i] != ' ' || j == kind ||
      (j < line.size() && line[j] != ' ')) {
    return "not an event line: it must be '<op> <kind> <fields>'";
  }
  for (char c : line) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return "not an event line: it holds a control character";
    }
  }
  return "";
}

// Text, from a file (compressed or not) or from memory.
class TextLogReader : public LogReader {
 public:
  TextLogReader(std::string name, std::unique_ptr<StreamInput> input)
      : LogReader(std::move(name), input->compressed() ? LogFormat::kTextZstd
                                                       : LogFormat::kText),
        input_(std::move(input)) {}
  TextLogReader(std::string name, std::string text)
      : LogReader(std::move(name), LogFormat::kText), text_(std::move(text)) {}

 protected:
  bool ReadLine(absl::string_view* line) override {
    const uint64_t number = line_number() + 1;
    if (!(input_ != nullptr ? FromInput(line) : FromText(line))) return false;
    std::string bad = number == 1 ? BadHeader(*line) : BadLine(*line);
    if (bad.empty()) return true;
    return Fail(number == 1 ? bad : absl::StrCat("line ", number, ": ", bad));
  }

 private:
  bool FromText(absl::string_view* line) {
    if (pos_ == text_.size()) {
      if (pos_ == 0) return Fail("empty: not an event log");
      return false;
    }
    size_t eol = text_.find('\n', pos_);
    if (eol == std::string::npos) return Truncated();
    *line = absl::string_view(text_).substr(pos_, eol - pos_);
    pos_ = eol + 1;
    return true;
  }

  bool FromInput(absl::string_view* line) {
    StreamInput& in = *input_;
    in.Skip(skip_);
    skip_ = 0;
    size_t searched = 0;
    for (;;) {
      const char* begin = in.data();
      const void* eol =
          memchr(begin + searched, '\n', in.available() - searched);
      if (eol != nullptr) {
        size_t n = static_cast<const char*>(eol) - begin;
        *line = absl::string_view(begin, n);
        skip_ = n + 1;
        return true;
      }
      searched = in.available();
      if (searched > kMaxLineBytes) {
        return Fail(absl::StrCat("line ", line_number() + 1, ": longer than ",
                                 kMaxLineBytes, " bytes: not an event log"));
      }
      if (!in.Fill(searched + 1)) {
        return Fail(absl::StrCat("line ", line_number() + 1, ": ", in.error()));
      }
      if (in.available() == searched) break;
    }
    if (in.truncated()) {
      return Fail(absl::StrCat("line ", line_number() + 1,
                               ": truncated zstd frame: the file ends inside "
                               "a compressed frame"));
    }
    if (searched > 0) return Truncated();
    if (line_number() == 0) return Fail("empty: not an event log");
    return false;
  }

  bool Truncated() {
    return Fail(absl::StrCat("line ", line_number() + 1,
                             ": truncated: the last line has no newline"));
  }

  std::unique_ptr<StreamInput> input_;
  // Bytes of the line given last, to skip before the next.
  size_t skip_ = 0;
  std::string text_;
  size_t pos_ = 0;
};

// The binary log: a LogHeader, EventChunks, a LogEnd (proto/event_log.proto).
class BinaryLogReader : public EventLogReader {
 public:
  BinaryLogReader(std::string name, std::unique_ptr<StreamInput> input)
      : EventLogReader(std::move(name), LogFormat::kBinary),
        input_(std::move(input)) {}

 protected:
  // The header's line comes first; an op's line comes before the events
  // of that op; the op lines left when a chunk's events are done come
  // before the next chunk's.
  bool CommentDue() const override {
    return header_read_ ||
           (next_op_ < ops_.size() &&
            (next_ == events_.size() ||
             ops_.numbers[next_op_] <= events_[next_].op_index()));
  }

  absl::string_view TakeComment() override {
    if (header_read_) {
      header_read_ = false;
      return line_;
    }
    // Read by events, an op's line is its comment mark alone.
    const size_t op = next_op_++;
    if (by_events()) return "#";
    return ops_.line(op);
  }

  bool NextBlock() override { return !ended_ && ReadRecord(); }

 private:
  bool FailAt(absl::string_view what) {
    return Fail(absl::StrCat("record ", record_, " (byte ", record_offset_,
                             "): ", what));
  }

  // Reads the next record: the header (its line into line_), a chunk (into
  // events_), or the end (checked, and the stream must end there).
  // With lines false (a record skipped), the op lines are not made.
  bool ReadRecord(bool lines = true) {
    absl::string_view body;
    record_ = records_++;
    switch (NextFramed(&body)) {
      case StreamInput::Framed::kError:
        return FailAt(input_->error());
      case StreamInput::Framed::kEnd:
        return Fail(absl::StrCat("truncated: the log ends after ", record_,
                                 " records without its end record"));
      case StreamInput::Framed::kRecord:
        break;
    }
    if (!record_msg_.ParseFromArray(body.data(),
                                    static_cast<int>(body.size()))) {
      return FailAt("corrupt record: not a valid LogRecord message");
    }
    if (record_ == 0) {
      if (!record_msg_.has_header()) {
        return FailAt("missing header: the first record must be a header");
      }
      const LogHeader& h = record_msg_.header();
      if (h.version() != static_cast<uint32_t>(kEventLogVersion)) {
        return FailAt(absl::StrCat("event log version ", h.version(),
                                   " (this build reads version ",
                                   kEventLogVersion, ")"));
      }
      if (h.magic() != kBinaryLogMagic) {
        return FailAt("not an event log: the header's magic is wrong");
      }
      for (char c : h.profile()) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          return FailAt("corrupt header: a control character in the profile");
        }
      }
      line_ = EventLogHeader(h.profile());
      line_.pop_back();  // the newline
      header_read_ = true;
      return true;
    }
    switch (record_msg_.record_case()) {
      case LogRecord::kHeader:
        return FailAt("duplicate header");
      case LogRecord::kChunk: {
        absl::Status decoded = DecodeChunk(record_msg_.chunk(), &events_);
        if (decoded.ok()) {
          decoded = DecodeOpColumns(record_msg_.chunk().ops(), &ops_,
                                    lines && !by_events());
        }
        if (!decoded.ok()) return FailAt(decoded.message());
        if (ops_.size() > 0 &&
            record_msg_.chunk().ops().first_op() != ops_seen_ + 1) {
          return FailAt(absl::StrCat("corrupt op columns: the first op is ",
                                     record_msg_.chunk().ops().first_op(),
                                     ", not ", ops_seen_ + 1));
        }
        next_ = 0;
        nth_ = 0;
        next_op_ = 0;
        for (const mm::Event& e : events_) events_seen_ += e.repeat();
        ops_seen_ += ops_.size();
        ++chunks_;
        return true;
      }
      case LogRecord::kEnd:
        return End(record_msg_.end());
      default:
        return FailAt("corrupt record: it holds no header, chunk or end");
    }
  }

  bool End(const LogEnd& end) {
    if (end.events() != events_seen_ || end.chunks() != chunks_) {
      return FailAt(absl::StrCat(
          "the end record counts ", end.events(), " events in ", end.chunks(),
          " chunks, but the log holds ", events_seen_, " in ", chunks_));
    }
    if (end.ops() != ops_seen_) {
      return FailAt(absl::StrCat("the end record counts ", end.ops(),
                                 " op lines, but the log holds ", ops_seen_));
    }
    absl::string_view more;
    record_ = records_++;
    switch (NextFramed(&more)) {
      case StreamInput::Framed::kEnd:
        ended_ = true;
        return false;
      case StreamInput::Framed::kError:
        return FailAt(input_->error());
      case StreamInput::Framed::kRecord:
        break;
    }
    return FailAt("data after the end record");
  }

  bool PeekRecord(size_t i, absl::string_view* bytes) override {
    while (peeked_.size() <= i) {
      if (!peeked_.empty() &&
          peeked_.back().framed != StreamInput::Framed::kRecord) {
        return false;
      }
      Peeked p;
      p.body = std::move(spare_body_);  // its buffer reused
      absl::string_view body;
      p.framed = input_->NextRecord(trace::kMaxRecordBytes, &body, &p.offset);
      if (p.framed == StreamInput::Framed::kError) p.offset = input_->offset();
      p.body.assign(body.data(), body.size());
      peeked_.push_back(std::move(p));
    }
    if (peeked_[i].framed != StreamInput::Framed::kRecord) return false;
    *bytes = peeked_[i].body;
    return true;
  }

  bool SkipRecord(uint64_t* ops, uint64_t* last_op,
                  const SkippedEvents& events) override {
    DCHECK(next_ == events_.size() && next_op_ == ops_.size() && !header_read_);
    if (!status().ok() || ended_ || !ReadRecord(/*lines=*/false)) return false;
    uint64_t lines = 0;
    if (header_read_) {
      header_read_ = false;
      lines = 1;
    } else {
      lines = ops_.size();
      for (const mm::Event& e : events_) {
        lines += e.repeat();
        if (e.op_index() != *last_op) {
          ++*ops;
          *last_op = e.op_index();
        }
      }
      if (events) events(events_);
      events_.clear();
      next_ = 0;
      next_op_ = ops_.size();
    }
    SkipLines(lines);
    return true;
  }

  bool SkipRecordLike(const LogReader& other) override {
    const auto& o = static_cast<const BinaryLogReader&>(other);
    absl::string_view body;
    if (NextFramed(&body) != StreamInput::Framed::kRecord) {
      return FailAt("the record compared is gone");
    }
    record_ = o.record_;
    records_ = o.records_;
    ops_seen_ = o.ops_seen_;
    events_seen_ = o.events_seen_;
    chunks_ = o.chunks_;
    events_.clear();
    ops_ = OpLines();
    next_ = next_op_ = 0;
    nth_ = 0;
    return true;
  }

  // The next record: one PeekRecord() read ahead, else from the stream;
  // *body views it until the next call. Sets record_offset_.
  StreamInput::Framed NextFramed(absl::string_view* body) {
    if (peeked_.empty()) {
      const StreamInput::Framed framed =
          input_->NextRecord(trace::kMaxRecordBytes, body, &record_offset_);
      if (framed == StreamInput::Framed::kError) {
        record_offset_ = input_->offset();
      }
      return framed;
    }
    spare_body_ = std::move(current_.body);
    current_ = std::move(peeked_.front());
    peeked_.pop_front();
    record_offset_ = current_.offset;
    *body = current_.body;
    return current_.framed;
  }

  struct Peeked {
    StreamInput::Framed framed = StreamInput::Framed::kEnd;
    std::string body;
    uint64_t offset = 0;
  };
  std::deque<Peeked> peeked_;
  Peeked current_;
  // The buffer of a record read, for the next one peeked.
  std::string spare_body_;

  std::unique_ptr<StreamInput> input_;
  LogRecord record_msg_;
  // The record being read (the header is 0), and how many were begun.
  uint64_t record_ = 0;
  uint64_t records_ = 0;
  uint64_t record_offset_ = 0;
  bool header_read_ = false;
  OpLines ops_;
  size_t next_op_ = 0;
  uint64_t ops_seen_ = 0;
  uint64_t events_seen_ = 0;
  uint64_t chunks_ = 0;
  bool ended_ = false;
  // The header's line.
  std::string line_;
};

// What a zstd stream that is not a log holds, for the error.
std::string WhatZstdHolds(StreamInput& in) {
  absl::string_view body;
  uint64_t offset = 0;
  Record record;
  if (in.NextRecord(trace::kMaxRecordBytes, &body, &offset) ==
          StreamInput::Framed::kRecord &&
      record.ParseFromArray(body.data(), static_cast<int>(body.size())) &&
      record.has_header() && record.header().format_version() > 0) {
    return "not an event log: it is a trace (.mmt)";
  }
  return "not an event log: zstd data that is neither a binary log nor "
         "compressed text";
}

absl::Status NotALog(const std::string& path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

}  // namespace

bool LogReader::Fail(absl::string_view what) {
  // The file's own bytes may be quoted: the error stays one line.
  if (status_.ok()) {
    status_ = absl::InvalidArgumentError(
        absl::StrCat(name_, ": ", trace::ShowControlChars(what)));
  }
  return false;
}

absl::StatusOr<std::unique_ptr<LogReader>> LogReader::Open(
    const std::string& path) {
  FILE* file = path == "-" ? stdin : fopen(path.c_str(), "rb");
  if (file == nullptr) {
    std::string why = strerror(errno);
    if (errno == ENOENT)
      return absl::NotFoundError(absl::StrCat(path, ": ", why));
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", why));
  }
  // fopen() opens a directory for reading; its first read fails.
  struct stat st;
  if (fstat(fileno(file), &st) == 0 && S_ISDIR(st.st_mode)) {
    fclose(file);
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", strerror(EISDIR)));
  }
  auto input =
      std::make_unique<StreamInput>(file, StreamInput::Compression::kDetect);
  if (!input->Fill(kSniffBytes)) return NotALog(path, input->error());
  absl::string_view head(input->data(), input->available());
  if (head.empty()) {
    if (input->truncated()) {
      return NotALog(path,
                     "truncated zstd frame: the file ends inside a "
                     "compressed frame");
    }
    return NotALog(path, input->compressed() ? "empty zstd stream: not an "
                                               "event log"
                                             : "empty: not an event log");
  }
  if (absl::StartsWith(head, kTextMagic)) {
    return std::unique_ptr<LogReader>(
        new TextLogReader(path, std::move(input)));
  }
  // A binary log starts: the record's length, LogRecord.header's tag and
  // length, LogHeader.magic's tag and length, then the magic.
  if (input->compressed() &&
      absl::StrContains(head.substr(0, 8 + kBinaryLogMagic.size()),
                        kBinaryLogMagic)) {
    return std::unique_ptr<LogReader>(
        new BinaryLogReader(path, std::move(input)));
  }
  if (input->compressed()) return NotALog(path, WhatZstdHolds(*input));
  if (absl::StrContains(head, "header {")) {
    return NotALog(path, "not an event log: it is a trace (.textproto)");
  }
  return NotALog(path, BadHeader(head.substr(0, head.find('\n'))));
}

std::unique_ptr<LogReader> LogReader::FromText(std::string name,
                                               std::string text) {
  return std::make_unique<TextLogReader>(std::move(name), std::move(text));
}

namespace {

// The event rows of the binary log's record `body`: the length of its
// chunk's kind column, a byte a row (every kind is below 128). 0 for a
// header or an end record, or for bytes that do not parse (a record
// Next() will refuse).
uint64_t EventRowsOf(absl::string_view body) {
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream in(
      reinterpret_cast<const uint8_t*>(body.data()),
      static_cast<int>(body.size()));
  uint32_t length = 0;
  if (in.ReadTag() !=
          WireFormatLite::MakeTag(LogRecord::kChunkFieldNumber,
                                  WireFormatLite::WIRETYPE_LENGTH_DELIMITED) ||
      !in.ReadVarint32(&length)) {
    return 0;
  }
  in.PushLimit(static_cast<int>(length));
  uint64_t rows = 0;
  while (const uint32_t tag = in.ReadTag()) {
    if (WireFormatLite::GetTagFieldNumber(tag) !=
        EventChunk::kKindFieldNumber) {
      if (!WireFormatLite::SkipField(&in, tag)) return 0;
      continue;
    }
    if (WireFormatLite::GetTagWireType(tag) ==
        WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      if (!in.ReadVarint32(&length)) return 0;
      rows += length;
      if (!in.Skip(static_cast<int>(length))) return 0;
    } else {
      uint32_t kind;
      if (!in.ReadVarint32(&kind)) return 0;
      ++rows;
    }
  }
  return rows;
}

// Records looked ahead at most for the rows a skip must leave.
constexpr size_t kMaxLookahead = 64;

}  // namespace

absl::StatusOr<SkippedChunks> SkipEqualChunks(LogReader& a, LogReader& b,
                                              uint64_t keep_rows,
                                              const SkippedEvents& events) {
  SkippedChunks skipped;
  if (a.format() != LogFormat::kBinary || b.format() != LogFormat::kBinary ||
      !a.fresh() || !b.fresh()) {
    return skipped;
  }
  keep_rows = std::max<uint64_t>(keep_rows, 1);
  // A record is skipped when the records after it that are the same on
  // both sides hold keep_rows event rows (each an event or more): the
  // first record that differs keeps those before it.
  absl::string_view ra, rb, next_a, next_b;
  while (a.PeekRecord(0, &ra) && b.PeekRecord(0, &rb) && ra == rb) {
    uint64_t rows = 0;
    for (size_t i = 1; i <= kMaxLookahead && rows < keep_rows; ++i) {
      if (!a.PeekRecord(i, &next_a) || !b.PeekRecord(i, &next_b) ||
          next_a != next_b) {
        break;
      }
      rows += EventRowsOf(next_a);
    }
    if (rows < keep_rows) break;
    if (!a.SkipRecord(&skipped.ops, &skipped.last_op, events)) {
      return a.status();
    }
    // The same bytes: b's record is a's, checked and counted once.
    if (!b.SkipRecordLike(a)) return b.status();
    b.line_number_ = a.line_number_;
    ++skipped.records;
  }
  return skipped;
}

}  // namespace mmreplay::replay
