#include "replay/op_columns.h"

#include "absl/strings/str_cat.h"
#include "base/check.h"
#include "google/protobuf/wire_format_lite.h"
#include "replay/event_log.h"
#include "trace/op_schema.h"

namespace mmreplay::replay {
namespace {

absl::Status Corrupt(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("corrupt op columns: ", what));
}

}  // namespace

void OpColumnsEncoder::Add(uint64_t number, const trace::TraceOp& op) {
  DCHECK(op.rich == nullptr && op.info != nullptr);
  if (ops_ == 0) first_op_ = number;
  if (!op.note.empty()) {
    columns_.Put(OpColumns::kNoteIndexFieldNumber, static_cast<uint32_t>(ops_));
    notes_.emplace_back(op.note);
  }
  columns_.Put(OpColumns::kKindFieldNumber, op.kind);
  for (int i = 0; i < op.info->arity; ++i) {
    columns_.Put(OpColumns::kArgFieldNumber, op.args[i]);
  }
  ++ops_;
}

void OpColumnsEncoder::AppendTo(std::string* out) {
  if (ops_ == 0) return;
  // Fields in number order, as protobuf writes them (first_op is never 0:
  // ops are numbered from 1).
  DCHECK(first_op_ != 0);
  PackedColumns::AppendVarint(
      google::protobuf::internal::WireFormatLite::MakeTag(
          OpColumns::kFirstOpFieldNumber,
          google::protobuf::internal::WireFormatLite::WIRETYPE_VARINT),
      out);
  PackedColumns::AppendVarint(first_op_, out);
  columns_.AppendField(OpColumns::kKindFieldNumber, out);
  columns_.AppendField(OpColumns::kArgFieldNumber, out);
  columns_.AppendField(OpColumns::kNoteIndexFieldNumber, out);
  for (const std::string& note : notes_) {
    PackedColumns::AppendLengthDelimited(OpColumns::kNoteFieldNumber, note,
                                         out);
  }
  columns_.Clear();
  notes_.clear();
  ops_ = 0;
}

void OpColumnsEncoder::Take(OpColumns* out) {
  std::string bytes;
  AppendTo(&bytes);
  CHECK(out->ParseFromString(bytes));
}

absl::Status DecodeOpColumns(const OpColumns& ops, OpLines* lines, bool text) {
  lines->numbers.clear();
  lines->ends.clear();
  lines->text.clear();
  const trace::OpSchema& schema = trace::OpSchema::Get();
  int arg = 0, note = 0;
  for (int i = 0; i < ops.kind_size(); ++i) {
    const trace::OpKindInfo* info = schema.Find(ops.kind(i));
    if (info == nullptr || !info->flat) {
      return Corrupt(absl::StrCat("op ", i, " has kind ", ops.kind(i),
                                  ", which is no op of this build"));
    }
    if (ops.arg_size() - arg < info->arity) {
      return Corrupt(absl::StrCat("op ", i, " has fewer fields than its kind"));
    }
    absl::string_view note_text;
    if (note < ops.note_index_size() &&
        ops.note_index(note) == static_cast<uint32_t>(i)) {
      if (note >= ops.note_size()) return Corrupt("a note index has no note");
      note_text = ops.note(note++);
    }
    const uint64_t number = ops.first_op() + static_cast<uint64_t>(i);
    if (text) {
      AppendOpLine(number, ops.kind(i), ops.arg().data() + arg, note_text,
                   &lines->text);
      lines->text.pop_back();  // the newline
    }
    arg += info->arity;
    lines->numbers.push_back(number);
    lines->ends.push_back(lines->text.size());
  }
  if (arg != ops.arg_size()) {
    return Corrupt("more fields than the ops' kinds have");
  }
  if (note != ops.note_index_size() || note != ops.note_size()) {
    return Corrupt("notes out of order, or not as many as their indices");
  }
  return absl::OkStatus();
}

}  // namespace mmreplay::replay
