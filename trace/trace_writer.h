// TraceWriter: writes a trace as .mmt (zstd-compressed OpBatches) or as
// canonical .textproto, whole or not at all (OutputFile). Canonical text is
// what a round trip .textproto -> .mmt -> .textproto reproduces byte for
// byte: a multi-line header, then one line per op, with addresses, offsets
// and lengths in hex.
#ifndef MMREPLAY_TRACE_TRACE_WRITER_H_
#define MMREPLAY_TRACE_TRACE_WRITER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/trace.pb.h"
#include "trace/trace_format.h"
#include "trace/trace_op.h"

namespace mmreplay::trace {

class TraceWriter {
 public:
  // Writes `path` in the format its extension names; "-" is text on stdout.
  static absl::StatusOr<std::unique_ptr<TraceWriter>> Create(
      const std::string& path);
  static absl::StatusOr<std::unique_ptr<TraceWriter>> Create(
      const std::string& path, TraceFormat format);

  virtual ~TraceWriter() = default;

  // REQUIRES: called once, before any op.
  [[nodiscard]] virtual absl::Status WriteHeader(const Header& header) = 0;
  // Appends an op as a reader yields it.
  [[nodiscard]] virtual absl::Status Write(const TraceOp& op) = 0;
  // Appends an op message (as generators and mmcapture build them).
  [[nodiscard]] absl::Status Write(const Op& op);
  // Finishes the file and moves it into place. Without it, nothing is left.
  [[nodiscard]] virtual absl::Status Commit() = 0;
};

// The canonical text of one op (no "op { }" around it, no newline).
std::string OpToText(const Op& op);
// The canonical text of a header entry, "header {\n ... }\n".
std::string HeaderToText(const Header& header);

}  // namespace mmreplay::trace

#endif  // MMREPLAY_TRACE_TRACE_WRITER_H_
