// The text of a flat op as a one-line .textproto entry shows it, without
// "op { }" around it and without its note:
//
//   touch { pid: 1 addr: 0x7f0000000000 length_bytes: 0x200000 access:
//   ACCESS_WRITE }
//
// byte for byte what OpToText() (trace_writer.h) prints for the op, but
// built from the op's row of integers with tables made once, without
// protobuf's printer: an event log has one such line per op ("# op N:
// ..."), and a replay makes millions.
#ifndef MMREPLAY_TRACE_OP_TEXT_H_
#define MMREPLAY_TRACE_OP_TEXT_H_

#include <cstdint>
#include <string>

#include "google/protobuf/descriptor.h"

namespace mmreplay::trace {

// Whether the text form prints field `f` in hex: addresses, offsets and
// lengths (uint64 fields named addr or *_bytes).
bool IsHexField(const google::protobuf::FieldDescriptor* f);

// Appends the text of the flat op of `kind` whose fields are args[0 ..
// arity) (TraceOp::args). A value an enum field does not name prints as its
// number. REQUIRES: OpSchema::Get().Find(kind) is a flat kind.
void AppendFlatOpText(uint32_t kind, const uint64_t* args, std::string* out);

}  // namespace mmreplay::trace

#endif  // MMREPLAY_TRACE_OP_TEXT_H_
