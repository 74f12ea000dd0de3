#include "trace/trace_reader.h"

#include <errno.h>
#include <string.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "trace/mmt_reader.h"
#include "trace/textproto_reader.h"
#include "trace/trace_format.h"

namespace mmreplay::trace {

absl::StatusOr<std::unique_ptr<TraceReader>> TraceReader::Open(
    const std::string& path) {
  ASSIGN_OR_RETURN(TraceFormat format, FormatForPath(path));
  FILE* file = fopen(path.c_str(), "rb");
  if (file == nullptr) {
    std::string why = strerror(errno);
    if (errno == ENOENT)
      return absl::NotFoundError(absl::StrCat(path, ": ", why));
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", why));
  }
  std::unique_ptr<TraceReader> reader;
  if (format == TraceFormat::kMmt) {
    reader = std::make_unique<MmtReader>(path, file);
  } else {
    reader = std::make_unique<TextprotoReader>(path, file);
  }
  uint64_t byte_offset = 0;
  RETURN_IF_ERROR(reader->ReadHeader(&byte_offset));
  reader->next_record_ = 1;
  absl::Status header_ok = reader->validator_.CheckHeader(reader->header_);
  if (!header_ok.ok()) return reader->Fail(0, byte_offset, header_ok.message());
  return reader;
}

const TraceOp* TraceReader::Next() {
  if (!status_.ok() || !ReadOp(&op_)) return nullptr;
  absl::Status ok = validator_.Check(op_);
  if (!ok.ok()) {
    Fail(op_.record, op_.byte_offset, ok.message());
    return nullptr;
  }
  return &op_;
}

const absl::Status& TraceReader::Fail(uint64_t record, uint64_t byte_offset,
                                      absl::string_view what) {
  if (status_.ok()) status_ = RecordError(path_, record, byte_offset, what);
  return status_;
}

std::string ShowControlChars(absl::string_view text) {
  std::string shown;
  shown.reserve(text.size());
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      absl::StrAppendFormat(&shown, "\\x%02x", c);
    } else {
      shown.push_back(static_cast<char>(c));
    }
  }
  return shown;
}

absl::Status RecordError(absl::string_view path, uint64_t record,
                         uint64_t byte_offset, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": record ", record, " (byte ", byte_offset,
                   "): ", ShowControlChars(what)));
}

}  // namespace mmreplay::trace
