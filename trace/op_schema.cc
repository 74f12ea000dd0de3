#include "trace/op_schema.h"

#include "absl/strings/str_cat.h"
#include "base/check.h"

namespace mmreplay::trace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

namespace {

// Returns the flat type of `f`, or false if `f` cannot be stored flat.
bool FlatType(const FieldDescriptor* f, FlatFieldType* type) {
  if (f->is_repeated() || f->has_presence()) return false;
  switch (f->type()) {
    case FieldDescriptor::TYPE_UINT32:
      *type = FlatFieldType::kUint32;
      return true;
    case FieldDescriptor::TYPE_UINT64:
      *type = FlatFieldType::kUint64;
      return true;
    case FieldDescriptor::TYPE_BOOL:
      *type = FlatFieldType::kBool;
      return true;
    case FieldDescriptor::TYPE_ENUM:
      *type = FlatFieldType::kEnum;
      return true;
    default:
      return false;
  }
}

// Fills `info` for sub-message `d`; info->flat stays false if `d` is not
// flat (a field of another type, or gaps in the numbering).
void Classify(const Descriptor* d, OpKindInfo* info) {
  int n = d->field_count();
  if (n > kMaxArity) return;
  for (int i = 0; i < n; ++i) {
    const FieldDescriptor* f = d->FindFieldByNumber(i + 1);
    if (f == nullptr || !FlatType(f, &info->types[i])) return;
    info->fields[i] = f;
    if (info->types[i] != FlatFieldType::kUint64) {
      info->narrow[info->narrow_count++] = static_cast<uint8_t>(i);
    }
    switch (info->types[i]) {
      case FlatFieldType::kUint32:
        info->max_value[i] = UINT32_MAX;
        break;
      case FlatFieldType::kBool:
        info->max_value[i] = 1;
        break;
      case FlatFieldType::kEnum:
        info->max_value[i] = 63;
        break;
      case FlatFieldType::kUint64:
        info->max_value[i] = UINT64_MAX;
        break;
    }
    if (info->types[i] == FlatFieldType::kEnum) {
      const google::protobuf::EnumDescriptor* e = f->enum_type();
      for (int v = 0; v < e->value_count(); ++v) {
        int n = e->value(v)->number();
        if (n < 0 || n >= 64) return;  // not representable: not flat
        info->enum_values[i] |= uint64_t{1} << n;
      }
    }
  }
  info->flat = true;
  info->arity = n;
}

}  // namespace

OpSchema::OpSchema() {
  const google::protobuf::OneofDescriptor* oneof =
      Op::descriptor()->FindOneofByName("kind");
  CHECK(oneof != nullptr);
  for (int i = 0; i < oneof->field_count(); ++i) {
    const FieldDescriptor* f = oneof->field(i);
    CHECK(f->number() > 0 && static_cast<uint32_t>(f->number()) <= kMaxOpKind);
    OpKindInfo& info = kinds_[f->number()];
    info.field = f;
    Classify(f->message_type(), &info);
  }
}

const OpSchema& OpSchema::Get() {
  static const OpSchema* schema = new OpSchema();
  return *schema;
}

std::string OpSchema::Name(uint32_t kind) const {
  const OpKindInfo* info = Find(kind);
  if (info == nullptr) return absl::StrCat("kind ", kind);
  return info->field->name();
}

void OpSchema::Flatten(const Op& op, uint64_t* args) const {
  const OpKindInfo* info = Find(op.kind_case());
  CHECK(info != nullptr && info->flat);
  const Message& sub = op.GetReflection()->GetMessage(op, info->field);
  const Reflection* r = sub.GetReflection();
  for (int i = 0; i < info->arity; ++i) {
    const FieldDescriptor* f = info->fields[i];
    switch (info->types[i]) {
      case FlatFieldType::kUint32:
        args[i] = r->GetUInt32(sub, f);
        break;
      case FlatFieldType::kUint64:
        args[i] = r->GetUInt64(sub, f);
        break;
      case FlatFieldType::kBool:
        args[i] = r->GetBool(sub, f) ? 1 : 0;
        break;
      case FlatFieldType::kEnum:
        // Enum values of trace.proto are never negative.
        args[i] = static_cast<uint32_t>(r->GetEnumValue(sub, f));
        break;
    }
  }
}

void OpSchema::Unflatten(uint32_t kind, const uint64_t* args, Op* op) const {
  const OpKindInfo* info = Find(kind);
  CHECK(info != nullptr && info->flat);
  op->Clear();
  Message* sub = op->GetReflection()->MutableMessage(op, info->field);
  const Reflection* r = sub->GetReflection();
  for (int i = 0; i < info->arity; ++i) {
    const FieldDescriptor* f = info->fields[i];
    switch (info->types[i]) {
      case FlatFieldType::kUint32:
        r->SetUInt32(sub, f, static_cast<uint32_t>(args[i]));
        break;
      case FlatFieldType::kUint64:
        r->SetUInt64(sub, f, args[i]);
        break;
      case FlatFieldType::kBool:
        r->SetBool(sub, f, args[i] != 0);
        break;
      case FlatFieldType::kEnum:
        r->SetEnumValue(sub, f, static_cast<int>(args[i]));
        break;
    }
  }
}

}  // namespace mmreplay::trace
