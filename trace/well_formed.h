// What protobuf itself would refuse or lose, checked where a trace is read
// so that every command refuses it alike: text that is not UTF-8 (proto3
// string fields; an .mmt holding it cannot be parsed back) and fields this
// build does not know (an .mmt from a newer mmreplay: convert could not
// write them as text that reads back).
#ifndef MMREPLAY_TRACE_WELL_FORMED_H_
#define MMREPLAY_TRACE_WELL_FORMED_H_

#include <string>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace mmreplay::trace {

// OK, or InvalidArgument naming the first offending field by its path from
// `name`, e.g. "header.description: invalid UTF-8" or
// "batch: unknown field 77 (from a newer mmreplay?)".
absl::Status CheckWellFormed(const google::protobuf::Message& message,
                             const std::string& name);

}  // namespace mmreplay::trace

#endif  // MMREPLAY_TRACE_WELL_FORMED_H_
