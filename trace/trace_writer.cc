#include "trace/trace_writer.h"

#include <array>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/status_macros.h"
#include "google/protobuf/text_format.h"
#include "trace/op_schema.h"
#include "trace/output_file.h"
#include "trace/zstd_stream.h"

namespace mmreplay::trace {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::TextFormat;

// Prints addresses, offsets and lengths in hex.
class HexPrinter : public TextFormat::FastFieldValuePrinter {
 public:
  void PrintUInt64(uint64_t v,
                   TextFormat::BaseTextGenerator* out) const override {
    out->PrintString(absl::StrFormat("0x%x", v));
  }
};

bool IsHexField(const FieldDescriptor* f) {
  return f->type() == FieldDescriptor::TYPE_UINT64 &&
         (f->name() == "addr" || absl::EndsWith(f->name(), "_addr") ||
          absl::EndsWith(f->name(), "_bytes"));
}

// The text printer: one instance for the process, hex fields registered.
const TextFormat::Printer& Printer(bool single_line) {
  static const std::array<TextFormat::Printer*, 2> printers = [] {
    std::array<TextFormat::Printer*, 2> p = {new TextFormat::Printer,
                                             new TextFormat::Printer};
    p[1]->SetSingleLineMode(true);
    const google::protobuf::FileDescriptor* file = Op::descriptor()->file();
    for (TextFormat::Printer* printer : p) {
      for (int m = 0; m < file->message_type_count(); ++m) {
        const Descriptor* d = file->message_type(m);
        for (int i = 0; i < d->field_count(); ++i) {
          if (IsHexField(d->field(i))) {
            printer->RegisterFieldValuePrinter(d->field(i), new HexPrinter);
          }
        }
      }
    }
    return p;
  }();
  return *printers[single_line ? 1 : 0];
}

class TextprotoWriter : public TraceWriter {
 public:
  explicit TextprotoWriter(std::unique_ptr<OutputFile> out)
      : out_(std::move(out)) {}

  absl::Status WriteHeader(const Header& header) override {
    return out_->Write(HeaderToText(header));
  }

  absl::Status Write(const TraceOp& op) override {
    if (op.rich != nullptr) {
      scratch_ = *op.rich;
    } else {
      OpSchema::Get().Unflatten(op.kind, op.args, &scratch_);
    }
    scratch_.set_note(std::string(op.note));
    return out_->Write(absl::StrCat("op { ", OpToText(scratch_), " }\n"));
  }

  absl::Status Commit() override { return out_->Commit(); }

 private:
  std::unique_ptr<OutputFile> out_;
  Op scratch_;
};

// Collects ops into OpBatches and streams each, length-delimited, through
// zstd into the file.
class MmtWriter : public TraceWriter {
 public:
  // Level 1: about 8% larger than level 3 on random churn, and its output
  // decodes with a third fewer instructions (bench/README.md).
  explicit MmtWriter(std::unique_ptr<OutputFile> out)
      : out_(std::move(out)), zstd_(out_.get(), 1) {}

  absl::Status WriteHeader(const Header& header) override {
    Record record;
    *record.mutable_header() = header;
    return zstd_.WriteDelimited(record);
  }

  absl::Status Write(const TraceOp& op) override {
    const OpKindInfo* info = OpSchema::Get().Find(op.kind);
    OpBatch* b = batch_.mutable_batch();
    if (!op.note.empty()) {
      b->add_note_index(static_cast<uint32_t>(b->kind_size()));
      b->add_note(std::string(op.note));
    }
    b->add_kind(op.kind);
    if (op.rich != nullptr) {
      *b->add_rich() = *op.rich;
      b->mutable_rich()->rbegin()->clear_note();
    } else {
      b->mutable_arg()->Add(op.args, op.args + info->arity);
      kinds_used_[op.kind] = true;
    }
    if (b->kind_size() == kMaxBatchOps) return Flush();
    return absl::OkStatus();
  }

  absl::Status Commit() override {
    RETURN_IF_ERROR(Flush());
    RETURN_IF_ERROR(zstd_.Finish());
    return out_->Commit();
  }

 private:
  absl::Status Flush() {
    if (!batch_.has_batch() || batch_.batch().kind_size() == 0) {
      return absl::OkStatus();
    }
    OpBatch* b = batch_.mutable_batch();
    const OpSchema& schema = OpSchema::Get();
    PageShift(b);
    for (uint32_t kind = 0; kind <= kMaxOpKind; ++kind) {
      if (!kinds_used_[kind]) continue;
      b->add_schema_kind(kind);
      b->add_schema_arity(static_cast<uint32_t>(schema.Find(kind)->arity));
    }
    kinds_used_.fill(false);
    RETURN_IF_ERROR(zstd_.WriteDelimited(batch_));
    b->Clear();
    return absl::OkStatus();
  }

  // Divides by 4096 the uint64 fields (per kind) whose values in the batch
  // are all page multiples, and records which (OpBatch.shift_*).
  void PageShift(OpBatch* b) const {
    const OpSchema& schema = OpSchema::Get();
    // Per kind: the uint64 fields still all aligned.
    std::array<uint32_t, kMaxOpKind + 1> aligned{};
    for (uint32_t kind = 0; kind <= kMaxOpKind; ++kind) {
      if (!kinds_used_[kind]) continue;
      const OpKindInfo* info = schema.Find(kind);
      for (int i = 0; i < info->arity; ++i) {
        if (info->types[i] == FlatFieldType::kUint64) aligned[kind] |= 1u << i;
      }
    }
    auto for_each_arg = [&](auto fn) {
      int pos = 0;
      for (uint32_t kind : b->kind()) {
        const OpKindInfo* info = schema.Find(kind);
        if (!info->flat) continue;
        for (int i = 0; i < info->arity; ++i) fn(kind, i, pos++);
      }
    };
    for_each_arg([&](uint32_t kind, int i, int pos) {
      if (b->arg(pos) % kPageSize != 0) aligned[kind] &= ~(1u << i);
    });
    for_each_arg([&](uint32_t kind, int i, int pos) {
      if (aligned[kind] >> i & 1) b->set_arg(pos, b->arg(pos) / kPageSize);
    });
    for (uint32_t kind = 0; kind <= kMaxOpKind; ++kind) {
      if (aligned[kind] == 0) continue;
      b->add_shift_kind(kind);
      b->add_shift_fields(aligned[kind]);
    }
  }

  std::unique_ptr<OutputFile> out_;
  ZstdWriter zstd_;
  Record batch_;
  std::array<bool, kMaxOpKind + 1> kinds_used_{};
};

}  // namespace

std::string OpToText(const Op& op) {
  std::string text;
  Printer(true).PrintToString(op, &text);
  absl::StripTrailingAsciiWhitespace(&text);
  return text;
}

std::string HeaderToText(const Header& header) {
  std::string text;
  Printer(false).PrintToString(header, &text);
  std::string indented;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    absl::StrAppend(&indented, "  ", line, "\n");
  }
  return absl::StrCat("header {\n", indented, "}\n");
}

absl::StatusOr<std::unique_ptr<TraceWriter>> TraceWriter::Create(
    const std::string& path) {
  if (path == "-") return Create(path, TraceFormat::kTextproto);
  ASSIGN_OR_RETURN(TraceFormat format, FormatForPath(path));
  return Create(path, format);
}

absl::StatusOr<std::unique_ptr<TraceWriter>> TraceWriter::Create(
    const std::string& path, TraceFormat format) {
  ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> out, OutputFile::Create(path));
  if (format == TraceFormat::kMmt) {
    return std::unique_ptr<TraceWriter>(new MmtWriter(std::move(out)));
  }
  return std::unique_ptr<TraceWriter>(new TextprotoWriter(std::move(out)));
}

absl::Status TraceWriter::Write(const Op& op) {
  TraceOp view;
  view.kind = op.kind_case();
  view.note = op.note();
  std::array<uint64_t, kMaxArity> args;
  const OpKindInfo* info = OpSchema::Get().Find(view.kind);
  if (info == nullptr) {
    return absl::InvalidArgumentError("TraceWriter: op has no kind");
  }
  view.info = info;
  if (info->flat) {
    OpSchema::Get().Flatten(op, args.data());
    view.args = args.data();
  } else {
    view.rich = &op;
  }
  return Write(view);
}

}  // namespace mmreplay::trace
