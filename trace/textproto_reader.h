// Reader of .textproto traces: the text format of TextTrace, one top-level
// entry per record ("header { ... }" first, then "op { ... }" per op). It
// finds one entry at a time and parses it with protobuf's TextFormat, so
// memory stays bounded by the largest entry. Internal to TraceReader::Open().
#ifndef MMREPLAY_TRACE_TEXTPROTO_READER_H_
#define MMREPLAY_TRACE_TEXTPROTO_READER_H_

#include <array>
#include <cstdio>
#include <string>

#include "absl/strings/string_view.h"
#include "proto/trace.pb.h"
#include "trace/op_schema.h"
#include "trace/trace_reader.h"

namespace mmreplay::trace {

class TextprotoReader : public TraceReader {
 public:
  // Takes ownership of `file`.
  TextprotoReader(std::string path, FILE* file);
  ~TextprotoReader() override;

 protected:
  absl::Status ReadHeader(uint64_t* byte_offset) override;
  bool ReadOp(TraceOp* op) override;

 private:
  enum class Got { kEntry, kEnd, kError };
  // Finds the next top-level entry and parses it into entry_. Sets
  // entry_name_ ("header" or "op") and entry_offset_.
  Got NextEntry(uint64_t record);
  // Appends more of the file to buf_; false at end of file.
  bool More();

  FILE* file_;
  std::string buf_;
  size_t pos_ = 0;
  // File bytes before buf_[0] and the line number of buf_[pos_].
  uint64_t dropped_ = 0;
  uint64_t line_ = 1;
  bool eof_ = false;

  std::string entry_name_;
  uint64_t entry_offset_ = 0;
  TextTrace entry_;
  std::array<uint64_t, kMaxArity> args_{};
};

}  // namespace mmreplay::trace

#endif  // MMREPLAY_TRACE_TEXTPROTO_READER_H_
