#include "trace/op_text.h"

#include <array>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/check.h"
#include "trace/op_schema.h"

namespace mmreplay::trace {
namespace {

using google::protobuf::FieldDescriptor;

// What the text of one kind is made of, built once from the schema.
struct KindText {
  // "touch {"
  std::string open;
  struct Field {
    // " pid: "
    std::string key;
    FlatFieldType type;
    bool hex;
    // Enums: the value names by number ("" for a number the enum lacks).
    std::vector<std::string> enum_names;
  };
  std::vector<Field> fields;
};

const std::array<KindText, kMaxOpKind + 1>& Texts() {
  static const auto* texts = [] {
    auto* t = new std::array<KindText, kMaxOpKind + 1>;
    const OpSchema& schema = OpSchema::Get();
    for (uint32_t kind = 0; kind <= kMaxOpKind; ++kind) {
      const OpKindInfo* info = schema.Find(kind);
      if (info == nullptr || !info->flat) continue;
      KindText& k = (*t)[kind];
      k.open = absl::StrCat(info->field->name(), " {");
      for (int i = 0; i < info->arity; ++i) {
        const FieldDescriptor* f = info->fields[i];
        KindText::Field field{absl::StrCat(" ", f->name(), ": "),
                              info->types[i],
                              IsHexField(f),
                              {}};
        if (field.type == FlatFieldType::kEnum) {
          const auto* e = f->enum_type();
          for (int v = 0; v < e->value_count(); ++v) {
            const int n = e->value(v)->number();
            if (n < 0 || n > 63) continue;
            if (field.enum_names.size() <= static_cast<size_t>(n)) {
              field.enum_names.resize(static_cast<size_t>(n) + 1);
            }
            field.enum_names[static_cast<size_t>(n)] = e->value(v)->name();
          }
        }
        k.fields.push_back(std::move(field));
      }
    }
    return t;
  }();
  return *texts;
}

}  // namespace

bool IsHexField(const FieldDescriptor* f) {
  return f->type() == FieldDescriptor::TYPE_UINT64 &&
         (f->name() == "addr" || absl::EndsWith(f->name(), "_addr") ||
          absl::EndsWith(f->name(), "_bytes"));
}

void AppendFlatOpText(uint32_t kind, const uint64_t* args, std::string* out) {
  CHECK(kind <= kMaxOpKind);
  const KindText& k = Texts()[kind];
  CHECK(!k.open.empty());
  out->append(k.open);
  // Fields holding zero are left out, as proto3's text format does.
  for (size_t i = 0; i < k.fields.size(); ++i) {
    const uint64_t v = args[i];
    if (v == 0) continue;
    const KindText::Field& f = k.fields[i];
    out->append(f.key);
    switch (f.type) {
      case FlatFieldType::kBool:
        out->append("true");
        break;
      case FlatFieldType::kEnum:
        if (v < f.enum_names.size() && !f.enum_names[v].empty()) {
          out->append(f.enum_names[v]);
        } else {
          absl::StrAppend(out, v);
        }
        break;
      default:
        if (f.hex) {
          absl::StrAppend(out, "0x", absl::Hex(v));
        } else {
          absl::StrAppend(out, v);
        }
    }
  }
  out->append(" }");
}

}  // namespace mmreplay::trace
