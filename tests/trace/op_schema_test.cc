// The schema rule the binary format relies on: every op but the
// expectations is flat, and every flat enum fits the 64-value masks.
#include "trace/op_schema.h"

#include "gtest/gtest.h"

namespace mmreplay::trace {
namespace {

TEST(OpSchemaTest, EveryOpButExpectationsIsFlat) {
  const OpSchema& schema = OpSchema::Get();
  int kinds = 0;
  for (uint32_t kind = 0; kind <= kMaxOpKind; ++kind) {
    const OpKindInfo* info = schema.Find(kind);
    if (info == nullptr) continue;
    ++kinds;
    bool expectation = info->field->name().rfind("expect_", 0) == 0;
    EXPECT_EQ(info->flat, !expectation) << info->field->name();
  }
  EXPECT_EQ(kinds, Op::descriptor()->FindOneofByName("kind")->field_count());
}

TEST(OpSchemaTest, FlattenUnflattenIsIdentity) {
  Op op;
  SplitRequest* s = op.mutable_split_request();
  s->set_pid(3);
  s->set_addr(0x7f0000200000);
  s->set_length_bytes(0x200000);
  s->set_new_order(2);
  s->set_non_uniform(true);
  s->set_in_folio_offset(17);
  uint64_t args[kMaxArity];
  OpSchema::Get().Flatten(op, args);
  EXPECT_EQ(args[SplitRequest::kAddrFieldNumber - 1], 0x7f0000200000u);
  EXPECT_EQ(args[SplitRequest::kNonUniformFieldNumber - 1], 1u);
  Op back;
  OpSchema::Get().Unflatten(Op::kSplitRequest, args, &back);
  EXPECT_EQ(back.SerializeAsString(), op.SerializeAsString());
}

TEST(OpSchemaTest, UnknownKindsHaveNoInfo) {
  EXPECT_EQ(OpSchema::Get().Find(0), nullptr);
  EXPECT_EQ(OpSchema::Get().Find(99), nullptr);
  EXPECT_EQ(OpSchema::Get().Find(1u << 20), nullptr);
  EXPECT_EQ(OpSchema::Get().Name(99), "kind 99");
}

}  // namespace
}  // namespace mmreplay::trace
