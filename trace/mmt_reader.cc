#include "trace/mmt_reader.h"

#include <algorithm>

#include "absl/base/optimization.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "trace/trace_format.h"
#include "trace/well_formed.h"

namespace mmreplay::trace {

MmtReader::MmtReader(std::string path, FILE* file)
    : TraceReader(std::move(path)),
      schema_(OpSchema::Get()),
      input_(file, StreamInput::Compression::kZstd) {}

MmtReader::Got MmtReader::ReadRecord() {
  absl::string_view body;
  switch (input_.NextRecord(kMaxRecordBytes, &body, &record_offset_)) {
    case StreamInput::Framed::kEnd:
      return Got::kEnd;
    case StreamInput::Framed::kError:
      Fail(next_record_, input_.offset(), input_.error());
      return Got::kError;
    case StreamInput::Framed::kRecord:
      break;
  }
  // A Record holds exactly one field, a header (1) or an op batch (2): read
  // its tag and length here so the batch parses into batch_msg_, whose
  // columns keep their memory from batch to batch.
  const auto* bytes = reinterpret_cast<const uint8_t*>(body.data());
  const auto length = static_cast<int>(body.size());
  google::protobuf::io::CodedInputStream rec(bytes, length);
  uint32_t tag = rec.ReadTag();
  uint32_t sublen = 0;
  using google::protobuf::internal::WireFormatLite;
  bool framed = WireFormatLite::GetTagWireType(tag) ==
                    WireFormatLite::WIRETYPE_LENGTH_DELIMITED &&
                rec.ReadVarint32(&sublen) &&
                rec.CurrentPosition() + static_cast<int64_t>(sublen) == length;
  int field = framed ? WireFormatLite::GetTagFieldNumber(tag) : 0;
  const void* sub = bytes + (framed ? rec.CurrentPosition() : 0);
  Got got = Got::kError;
  if (field == Record::kHeaderFieldNumber) {
    got = header_.ParseFromArray(sub, static_cast<int>(sublen)) ? Got::kHeader
                                                                : Got::kError;
  } else if (field == Record::kBatchFieldNumber) {
    got = batch_msg_.ParseFromArray(sub, static_cast<int>(sublen))
              ? Got::kBatch
              : Got::kError;
  } else {
    Fail(next_record_, record_offset_,
         "corrupt record: it must hold exactly one header or op batch");
    return Got::kError;
  }
  if (got == Got::kError) {
    Fail(next_record_, record_offset_,
         field == Record::kHeaderFieldNumber
             ? "corrupt record: not a valid Header message"
             : "corrupt record: not a valid OpBatch message");
  }
  if (got != Got::kError) {
    if (absl::Status s = got == Got::kHeader
                             ? CheckWellFormed(header_, "header")
                             : CheckWellFormed(batch_msg_, "batch");
        !s.ok()) {
      Fail(next_record_, record_offset_, s.message());
      return Got::kError;
    }
  }
  return got;
}

absl::Status MmtReader::ReadHeader(uint64_t* byte_offset) {
  switch (ReadRecord()) {
    case Got::kError:
      return status();
    case Got::kEnd:
      return Fail(0, 0, "empty trace: no header record");
    case Got::kBatch:
      return Fail(0, record_offset_,
                  "missing header: the first record must be a header");
    case Got::kHeader:
      break;
  }
  *byte_offset = record_offset_;
  return absl::OkStatus();
}

bool MmtReader::StartBatch() {
  const OpBatch& b = batch_msg_;
  auto fail = [&](absl::string_view what) {
    Fail(next_record_, record_offset_, what);
    return false;
  };
  if (b.schema_kind_size() != b.schema_arity_size()) {
    return fail(
        "corrupt op batch: schema_kind and schema_arity differ in length");
  }
  arity_.fill(-1);
  for (int i = 0; i < b.schema_kind_size(); ++i) {
    if (b.schema_kind(i) <= kMaxOpKind) {
      arity_[b.schema_kind(i)] = static_cast<int>(b.schema_arity(i));
    }
  }
  if (b.shift_kind_size() != b.shift_fields_size()) {
    return fail(
        "corrupt op batch: shift_kind and shift_fields differ in length");
  }
  shift_.fill(0);
  for (int i = 0; i < b.shift_kind_size(); ++i) {
    if (b.shift_kind(i) <= kMaxOpKind)
      shift_[b.shift_kind(i)] = b.shift_fields(i);
  }
  if (b.note_index_size() != b.note_size()) {
    return fail("corrupt op batch: note_index and note differ in length");
  }
  for (int i = 0; i < b.note_index_size(); ++i) {
    if (b.note_index(i) >= static_cast<uint32_t>(b.kind_size()) ||
        (i > 0 && b.note_index(i) <= b.note_index(i - 1))) {
      return fail(absl::StrCat("corrupt op batch: note_index ", b.note_index(i),
                               " is out of order or past the batch's ",
                               b.kind_size(), " ops"));
    }
  }
  batch_ = &b;
  args_ = batch_msg_.mutable_arg()->mutable_data();
  op_pos_ = arg_pos_ = rich_pos_ = note_pos_ = 0;
  next_note_op_ = b.note_size() > 0 ? b.note_index(0) : UINT32_MAX;
  return true;
}

// Multiplies the page-shifted fields of one op, written with `arity`
// fields, back by 4096.
inline bool MmtReader::Unshift(uint32_t kind, int arity, uint64_t* args) {
  for (uint32_t mask = shift_[kind]; mask != 0; mask &= mask - 1) {
    int i = __builtin_ctz(mask);
    if (ABSL_PREDICT_FALSE(i >= arity || args[i] > (UINT64_MAX >> 12))) {
      return FailOp("corrupt op batch: a page-shifted field overflows");
    }
    args[i] <<= 12;
  }
  return true;
}

bool MmtReader::FailOp(absl::string_view what) {
  Fail(next_record_, record_offset_, what);
  return false;
}

// A flat op written with another arity than this build's, or a short arg
// column: pads an older op's missing fields with zeros, or fails.
bool MmtReader::OddArity(const OpKindInfo* info, TraceOp* op) {
  int arity = arity_[op->kind];
  if (arity < 0) {
    return FailOp(absl::StrCat("corrupt op batch: no arity for op ",
                               info->field->name()));
  }
  if (arity > info->arity) {
    return FailOp(absl::StrCat("op ", info->field->name(), " has ", arity,
                               " fields but this build knows ", info->arity,
                               ": written by a newer mmreplay"));
  }
  if (arg_pos_ + arity > batch_->arg_size()) {
    return FailOp("corrupt op batch: the arg column ends early");
  }
  padded_.fill(0);
  const uint64_t* args = batch_->arg().data() + arg_pos_;
  std::copy(args, args + arity, padded_.begin());
  if (shift_[op->kind] != 0 && !Unshift(op->kind, arity, padded_.data())) {
    return false;
  }
  arg_pos_ += arity;
  op->args = padded_.data();
  op->rich = nullptr;
  ++op_pos_;
  ++next_record_;
  return true;
}

bool MmtReader::ReadOp(TraceOp* op) {
  while (batch_ == nullptr || op_pos_ == batch_->kind_size()) {
    if (batch_ != nullptr &&
        (arg_pos_ != batch_->arg_size() || rich_pos_ != batch_->rich_size())) {
      Fail(next_record_ - 1, record_offset_,
           "corrupt op batch: columns hold values for more ops than it lists");
      return false;
    }
    batch_ = nullptr;
    switch (ReadRecord()) {
      case Got::kError:
      case Got::kEnd:
        return false;
      case Got::kHeader:
        Fail(next_record_, record_offset_, "duplicate header");
        return false;
      case Got::kBatch:
        break;
    }
    if (!StartBatch()) return false;
  }
  uint32_t kind = batch_->kind(op_pos_);
  const OpKindInfo* info = schema_.Find(kind);
  if (info == nullptr) return FailOp(absl::StrCat("unknown op kind ", kind));
  op->kind = kind;
  op->info = info;
  op->record = next_record_;
  op->byte_offset = record_offset_;
  op->note = {};
  if (static_cast<uint32_t>(op_pos_) == next_note_op_) {
    op->note = batch_->note(note_pos_++);
    next_note_op_ = note_pos_ < batch_->note_size()
                        ? batch_->note_index(note_pos_)
                        : UINT32_MAX;
  }
  if (info->flat) {
    int arity = arity_[kind];
    if (ABSL_PREDICT_FALSE(arity != info->arity ||
                           arg_pos_ + arity > batch_->arg_size())) {
      return OddArity(info, op);
    }
    uint64_t* args = args_ + arg_pos_;
    if (shift_[kind] != 0 && !Unshift(kind, arity, args)) return false;
    op->args = args;
    op->rich = nullptr;
    arg_pos_ += arity;
  } else {
    if (rich_pos_ == batch_->rich_size()) {
      return FailOp("corrupt op batch: the rich column ends early");
    }
    const Op& rich = batch_->rich(rich_pos_++);
    if (static_cast<uint32_t>(rich.kind_case()) != kind) {
      return FailOp(absl::StrCat("corrupt op batch: kind column says ",
                                 schema_.Name(kind), " but the op is ",
                                 schema_.Name(rich.kind_case())));
    }
    op->args = nullptr;
    op->rich = &rich;
  }
  ++op_pos_;
  ++next_record_;
  return true;
}

}  // namespace mmreplay::trace
