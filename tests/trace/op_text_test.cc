// The op text of the log's op lines is the trace's own text: for every flat
// kind, with fields at zero (left out), at random values and at the
// largest each may hold, AppendFlatOpText() gives what OpToText() (the
// protobuf printer) gives.
#include "trace/op_text.h"

#include <random>
#include <string>

#include "gtest/gtest.h"
#include "trace/op_schema.h"
#include "trace/trace_writer.h"

namespace mmreplay::trace {
namespace {

std::string Fast(uint32_t kind, const uint64_t* args) {
  std::string out;
  AppendFlatOpText(kind, args, &out);
  return out;
}

std::string Printed(uint32_t kind, const uint64_t* args) {
  Op op;
  OpSchema::Get().Unflatten(kind, args, &op);
  return OpToText(op);
}

// A value field i of `info` may hold: for enums one of theirs.
uint64_t Value(const OpKindInfo& info, int i, std::mt19937_64& rng) {
  switch (info.types[i]) {
    case FlatFieldType::kBool:
      return rng() % 2;
    case FlatFieldType::kEnum: {
      const auto* e = info.fields[i]->enum_type();
      return static_cast<uint64_t>(
          e->value(static_cast<int>(rng() % e->value_count()))->number());
    }
    case FlatFieldType::kUint32:
      return rng() % 3 == 0 ? 0 : rng() & UINT32_MAX;
    case FlatFieldType::kUint64:
      return rng() % 3 == 0 ? 0 : rng() % 2 ? rng() : (rng() % 4096) << 12;
  }
  return 0;
}

TEST(OpTextTest, EveryFlatKindPrintsAsTheTraceText) {
  const OpSchema& schema = OpSchema::Get();
  std::mt19937_64 rng(7);
  int kinds = 0;
  for (uint32_t kind = 0; kind <= kMaxOpKind; ++kind) {
    const OpKindInfo* info = schema.Find(kind);
    if (info == nullptr || !info->flat) continue;
    ++kinds;
    uint64_t args[kMaxArity] = {};
    EXPECT_EQ(Fast(kind, args), Printed(kind, args)) << "all zero";
    for (int i = 0; i < info->arity; ++i) args[i] = info->max_value[i];
    if (info->arity > 0) {
      // An enum's largest value is a name of it, not 63.
      for (int i = 0; i < info->arity; ++i) {
        if (info->types[i] == FlatFieldType::kEnum)
          args[i] = Value(*info, i, rng);
      }
      EXPECT_EQ(Fast(kind, args), Printed(kind, args)) << "largest";
    }
    for (int round = 0; round < 50; ++round) {
      for (int i = 0; i < info->arity; ++i) args[i] = Value(*info, i, rng);
      EXPECT_EQ(Fast(kind, args), Printed(kind, args));
    }
  }
  EXPECT_GT(kinds, 20);
}

TEST(OpTextTest, Touch) {
  uint64_t args[kMaxArity] = {};
  args[Touch::kPidFieldNumber - 1] = 1;
  args[Touch::kAddrFieldNumber - 1] = 0x7f0000000000;
  args[Touch::kLengthBytesFieldNumber - 1] = 0x200000;
  args[Touch::kAccessFieldNumber - 1] = ACCESS_WRITE;
  EXPECT_EQ(Fast(Op::kTouch, args),
            "touch { pid: 1 addr: 0x7f0000000000 length_bytes: 0x200000 "
            "access: ACCESS_WRITE }");
}

}  // namespace
}  // namespace mmreplay::trace
