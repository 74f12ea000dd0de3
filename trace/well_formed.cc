#include "trace/well_formed.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/stubs/common.h"
#include "google/protobuf/unknown_field_set.h"

namespace mmreplay::trace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

absl::Status CheckWellFormed(const Message& message, const std::string& name) {
  const Reflection* r = message.GetReflection();
  const google::protobuf::UnknownFieldSet& unknown =
      r->GetUnknownFields(message);
  if (!unknown.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": unknown field ", unknown.field(0).number(),
                     " (from a newer mmreplay?)"));
  }
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(message, &fields);  // set fields only, by number
  for (const FieldDescriptor* f : fields) {
    const bool string = f->type() == FieldDescriptor::TYPE_STRING;
    const bool nested = f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
    if (!string && !nested) continue;
    const int n = f->is_repeated() ? r->FieldSize(message, f) : 1;
    for (int i = 0; i < n; ++i) {
      std::string path = absl::StrCat(name, ".", f->name());
      if (f->is_repeated()) absl::StrAppend(&path, "[", i, "]");
      if (nested) {
        absl::Status s = CheckWellFormed(
            f->is_repeated() ? r->GetRepeatedMessage(message, f, i)
                             : r->GetMessage(message, f),
            path);
        if (!s.ok()) return s;
        continue;
      }
      std::string scratch;
      const std::string& text =
          f->is_repeated()
              ? r->GetRepeatedStringReference(message, f, i, &scratch)
              : r->GetStringReference(message, f, &scratch);
      if (!google::protobuf::internal::IsStructurallyValidUTF8(text)) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": invalid UTF-8 (text fields hold UTF-8)"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace mmreplay::trace
