// The Op vocabulary as the binary format sees it: for each kind (a field
// number of Op's oneof), whether its message is flat (integers only, stored
// as a column of uint64 in OpBatch) and how many fields it has. Built once
// from the descriptors of proto/trace.proto, so adding an op or a field
// needs no change here.
#ifndef MMREPLAY_TRACE_OP_SCHEMA_H_
#define MMREPLAY_TRACE_OP_SCHEMA_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "proto/trace.pb.h"

namespace mmreplay::trace {

// Largest Op oneof field number the schema can hold.
inline constexpr uint32_t kMaxOpKind = 127;
// Largest number of fields a flat op may have.
inline constexpr int kMaxArity = 15;

// What the binary format and the validator need to know of one field of a
// flat op.
enum class FlatFieldType : uint8_t { kUint32, kUint64, kBool, kEnum };

struct OpKindInfo {
  // The Op oneof field (op.name() is the kind's name); null for unknown kinds.
  const google::protobuf::FieldDescriptor* field = nullptr;
  // True when the sub-message is flat (see the top of trace.proto).
  bool flat = false;
  // Flat ops: number of fields, numbered 1..arity.
  int arity = 0;
  // Flat ops: field i + 1's descriptor and type.
  std::array<const google::protobuf::FieldDescriptor*, kMaxArity> fields{};
  std::array<FlatFieldType, kMaxArity> types{};
  // Enum fields: bit v set when v is a value of the enum (all enums of
  // trace.proto used in flat ops have values below 64).
  std::array<uint64_t, kMaxArity> enum_values{};
  // The largest value field i + 1 may hold: UINT32_MAX, 1 for bools, 63 for
  // enums (then enum_values decides), UINT64_MAX.
  std::array<uint64_t, kMaxArity> max_value{};
  // Indices of the fields that are not uint64 (the ones whose range must be
  // checked), and their count.
  std::array<uint8_t, kMaxArity> narrow{};
  int narrow_count = 0;
};

class OpSchema {
 public:
  // The schema of this build's trace.proto.
  static const OpSchema& Get();

  // The kind's info, or null if `kind` is no field of Op's oneof.
  const OpKindInfo* Find(uint32_t kind) const {
    return kind <= kMaxOpKind && kinds_[kind].field != nullptr ? &kinds_[kind]
                                                               : nullptr;
  }

  // Name of the kind ("touch"), or "kind <n>" for unknown kinds.
  std::string Name(uint32_t kind) const;

  // Writes the fields of flat `op` into args[0 .. arity), field number
  // order. REQUIRES: op's kind is flat.
  void Flatten(const Op& op, uint64_t* args) const;

  // Sets `op` (cleared first) to the flat op of `kind` with `args`. Values
  // must already be in range for their fields (the validator checks).
  // REQUIRES: kind is flat; args holds its arity values.
  void Unflatten(uint32_t kind, const uint64_t* args, Op* op) const;

 private:
  OpSchema();
  std::array<OpKindInfo, kMaxOpKind + 1> kinds_{};
};

}  // namespace mmreplay::trace

#endif  // MMREPLAY_TRACE_OP_SCHEMA_H_
