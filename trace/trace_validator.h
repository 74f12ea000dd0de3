// TraceValidator: everything a trace must satisfy before any op reaches the
// model, checked record by record as it is read. The header's fields are in
// range; each op's fields are in range for their types and meanings
// (aligned, non-zero, no address overflow, orders <= MAX_PAGE_ORDER, known
// enum values); and every process, file, pin or reference an op names was
// created by an earlier op and not yet ended. Memory grows with the live ids,
// not with the trace.
#ifndef MMREPLAY_TRACE_TRACE_VALIDATOR_H_
#define MMREPLAY_TRACE_TRACE_VALIDATOR_H_

#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "proto/trace.pb.h"
#include "trace/id_set.h"
#include "trace/trace_op.h"

namespace mmreplay::trace {

class TraceValidator {
 public:
  // Checks the header. The message says what is wrong and names the field,
  // e.g. "header.format_version: unknown version 7 (this build reads 1)".
  [[nodiscard]] absl::Status CheckHeader(const Header& header);

  // Checks `op` and, if it is good, records the ids it creates or ends.
  // The message names the op and field: "touch.pid: unknown process 7".
  [[nodiscard]] absl::Status Check(const TraceOp& op) {
    return op.rich != nullptr ? CheckRich(*op.rich) : CheckFlat(op);
  }

 private:
  absl::Status CheckFlat(const TraceOp& op);
  absl::Status CheckRich(const Op& op);

  IdSet pids_;
  IdSet files_;
  // The tmpfs ones among files_ (fallocate is modelled for tmpfs only).
  IdSet tmpfs_files_;
  IdSet pins_;
  // The process of each live pin: its exit ends the pin.
  absl::flat_hash_map<uint32_t, uint32_t> pin_pid_;
  IdSet refs_;
};

}  // namespace mmreplay::trace

#endif  // MMREPLAY_TRACE_TRACE_VALIDATOR_H_
