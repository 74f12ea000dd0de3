#include "trace/trace_format.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace mmreplay::trace {

absl::StatusOr<TraceFormat> FormatForPath(absl::string_view path) {
  if (absl::EndsWith(path, ".mmt")) return TraceFormat::kMmt;
  if (absl::EndsWith(path, ".textproto")) return TraceFormat::kTextproto;
  return absl::InvalidArgumentError(absl::StrCat(
      path, ": unknown trace format: the name must end in .mmt or .textproto"));
}

}  // namespace mmreplay::trace
