// TraceOp: one record after the header, as a TraceReader yields it. Flat ops
// (see proto/trace.proto) are a row of integers indexed by field number, so
// reading one costs no message construction; the rest are whole messages.
#ifndef MMREPLAY_TRACE_TRACE_OP_H_
#define MMREPLAY_TRACE_TRACE_OP_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "proto/trace.pb.h"
#include "trace/op_schema.h"

namespace mmreplay::trace {

struct TraceOp {
  // Op's oneof field number, e.g. Op::kTouchFieldNumber.
  uint32_t kind = 0;
  // What the schema knows of the kind (never null for a read op).
  const OpKindInfo* info = nullptr;
  // Record number in the trace; the header is record 0.
  uint64_t record = 0;
  // Offset of the record in the (decompressed) file: for .mmt the start of
  // the OpBatch holding it, for .textproto the start of its "op" entry.
  uint64_t byte_offset = 0;
  // Flat ops: the fields, args[number - 1]. Valid until the next read.
  const uint64_t* args = nullptr;
  // Other ops: the message. Valid until the next read.
  const Op* rich = nullptr;
  // Op.note.
  absl::string_view note;

  // Field `number` of a flat op, e.g. op.arg(Touch::kAddrFieldNumber).
  uint64_t arg(int number) const { return args[number - 1]; }
};

}  // namespace mmreplay::trace

#endif  // MMREPLAY_TRACE_TRACE_OP_H_
