#include "replay/mmt_reader.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "replay/trace_format.h"

namespace mmreplay::replay {
namespace {

constexpr size_t kReadChunk = 128 << 10;
// A varint64 takes at most 10 bytes.
constexpr size_t kMaxVarintBytes = 10;

}  // namespace

MmtReader::MmtReader(std::string path, FILE* file)
    : TraceReader(std::move(path)),
      file_(file),
      dctx_(ZSTD_createDCtx()),
      in_(kReadChunk) {
  in_buffer_ = {in_.data(), 0, 0};
}

MmtReader::~MmtReader() {
  ZSTD_freeDCtx(dctx_);
  fclose(file_);
}

bool MmtReader::FailHere(absl::string_view what) {
  uint64_t offset = dropped_ + pos_;
  Fail(next_record_, offset, what);
  return false;
}

bool MmtReader::Fill(size_t need) {
  while (buf_.size() - pos_ < need && !file_done_) {
    if (pos_ > 0) {
      buf_.erase(0, pos_);
      dropped_ += pos_;
      pos_ = 0;
    }
    if (in_buffer_.pos == in_buffer_.size && !output_pending_) {
      size_t n = fread(in_.data(), 1, in_.size(), file_);
      if (n == 0) {
        file_done_ = true;
        break;
      }
      in_buffer_ = {in_.data(), n, 0};
    }
    size_t old = buf_.size();
    size_t room = std::max(need, kReadChunk);
    buf_.resize(old + room);
    ZSTD_outBuffer out{buf_.data() + old, room, 0};
    size_t ret = ZSTD_decompressStream(dctx_, &out, &in_buffer_);
    buf_.resize(old + out.pos);
    // A full output buffer may leave decoded bytes inside zstd.
    output_pending_ = out.pos == room;
    if (ZSTD_isError(ret)) {
      return FailHere(absl::StrCat("corrupt zstd stream: ",
                                   ZSTD_getErrorName(ret)));
    }
    // ret == 0 exactly when a frame was completed; if the file ends now with
    // a frame incomplete, it was truncated.
    truncated_ = ret != 0;
  }
  if (file_done_ && ferror(file_)) return FailHere("read error");
  return true;
}

MmtReader::Got MmtReader::ReadRecord() {
  if (!Fill(kMaxVarintBytes)) return Got::kError;
  size_t avail = buf_.size() - pos_;
  if (avail == 0) {
    if (truncated_) {
      FailHere("truncated zstd frame: the file ends inside a compressed frame");
      return Got::kError;
    }
    return Got::kEnd;
  }
  record_offset_ = dropped_ + pos_;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(buf_.data() + pos_);
  google::protobuf::io::CodedInputStream in(
      p, static_cast<int>(std::min(avail, kMaxVarintBytes)));
  uint64_t length = 0;
  if (!in.ReadVarint64(&length)) {
    if (avail < kMaxVarintBytes) {
      FailHere(truncated_ ? "truncated zstd frame: the file ends inside a "
                            "compressed frame"
                          : "truncated record length");
    } else {
      FailHere("corrupt record length: bad varint");
    }
    return Got::kError;
  }
  if (length > kMaxRecordBytes) {
    FailHere(absl::StrCat("record length ", length, " exceeds the cap of ",
                          kMaxRecordBytes, " bytes"));
    return Got::kError;
  }
  size_t prefix = static_cast<size_t>(in.CurrentPosition());
  if (!Fill(prefix + length)) return Got::kError;
  if (buf_.size() - pos_ < prefix + length) {
    FailHere(truncated_
                 ? "truncated zstd frame: the file ends inside a compressed "
                   "frame"
                 : absl::StrCat("truncated record: length ", length,
                                " but the stream ends after ",
                                buf_.size() - pos_ - prefix, " bytes"));
    return Got::kError;
  }
  if (!record_.ParseFromArray(buf_.data() + pos_ + prefix,
                              static_cast<int>(length))) {
    FailHere("corrupt record: not a valid Record message");
    return Got::kError;
  }
  pos_ += prefix + length;
  return Got::kRecord;
}

absl::Status MmtReader::ReadHeader(uint64_t* byte_offset) {
  switch (ReadRecord()) {
    case Got::kError:
      return status();
    case Got::kEnd:
      return Fail(0, 0, "empty trace: no header record");
    case Got::kRecord:
      break;
  }
  *byte_offset = record_offset_;
  if (!record_.has_header()) {
    return Fail(0, record_offset_,
                "missing header: the first record must be a header");
  }
  header_ = record_.header();
  return absl::OkStatus();
}

bool MmtReader::StartBatch() {
  const OpBatch& b = record_.batch();
  auto fail = [&](absl::string_view what) {
    Fail(next_record_, record_offset_, what);
    return false;
  };
  if (b.schema_kind_size() != b.schema_arity_size()) {
    return fail("corrupt op batch: schema_kind and schema_arity differ in length");
  }
  arity_.fill(-1);
  for (int i = 0; i < b.schema_kind_size(); ++i) {
    if (b.schema_kind(i) <= kMaxOpKind) {
      arity_[b.schema_kind(i)] = static_cast<int>(b.schema_arity(i));
    }
  }
  if (b.note_index_size() != b.note_size()) {
    return fail("corrupt op batch: note_index and note differ in length");
  }
  batch_ = &b;
  op_pos_ = arg_pos_ = rich_pos_ = note_pos_ = 0;
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
      case Got::kRecord:
        break;
    }
    if (record_.has_header()) {
      Fail(next_record_, record_offset_, "duplicate header");
      return false;
    }
    if (!record_.has_batch()) {
      Fail(next_record_, record_offset_,
           "record holds neither a header nor an op batch");
      return false;
    }
    if (!StartBatch()) return false;
  }
  const OpSchema& schema = OpSchema::Get();
  uint32_t kind = batch_->kind(op_pos_);
  auto fail = [&](absl::string_view what) {
    Fail(next_record_, record_offset_, what);
    return false;
  };
  const OpKindInfo* info = schema.Find(kind);
  if (info == nullptr) return fail(absl::StrCat("unknown op kind ", kind));
  op->kind = kind;
  op->record = next_record_;
  op->byte_offset = record_offset_;
  op->note = {};
  if (note_pos_ < batch_->note_size() &&
      batch_->note_index(note_pos_) == static_cast<uint32_t>(op_pos_)) {
    op->note = batch_->note(note_pos_++);
  }
  if (info->flat) {
    int arity = arity_[kind];
    if (arity < 0) {
      return fail(absl::StrCat("corrupt op batch: no arity for op ",
                               info->field->name()));
    }
    if (arity > info->arity) {
      return fail(absl::StrCat("op ", info->field->name(), " has ", arity,
                               " fields but this build knows ", info->arity,
                               ": written by a newer mmreplay"));
    }
    if (arg_pos_ + arity > batch_->arg_size()) {
      return fail("corrupt op batch: the arg column ends early");
    }
    const uint64_t* args = batch_->arg().data() + arg_pos_;
    arg_pos_ += arity;
    if (arity < info->arity) {
      padded_.fill(0);
      std::copy(args, args + arity, padded_.begin());
      args = padded_.data();
    }
    op->args = args;
    op->rich = nullptr;
  } else {
    if (rich_pos_ == batch_->rich_size()) {
      return fail("corrupt op batch: the rich column ends early");
    }
    const Op& rich = batch_->rich(rich_pos_++);
    if (static_cast<uint32_t>(rich.kind_case()) != kind) {
      return fail(absl::StrCat("corrupt op batch: kind column says ",
                               schema.Name(kind), " but the op is ",
                               schema.Name(rich.kind_case())));
    }
    op->args = nullptr;
    op->rich = &rich;
  }
  ++op_pos_;
  ++next_record_;
  return true;
}

}  // namespace mmreplay::replay
