#include "trace/zstd_stream.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace mmreplay::trace {
namespace {

constexpr size_t kReadChunk = 128 << 10;
// A varint64 takes at most 10 bytes.
constexpr size_t kMaxVarintBytes = 10;
constexpr absl::string_view kTruncatedFrame =
    "truncated zstd frame: the file ends inside a compressed frame";

}  // namespace

ZstdWriter::ZstdWriter(OutputFile* out, int level, bool checksum)
    : out_(out), cctx_(ZSTD_createCCtx()), zbuf_(ZSTD_CStreamOutSize()) {
  ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, checksum ? 1 : 0);
}

ZstdWriter::~ZstdWriter() { ZSTD_freeCCtx(cctx_); }

absl::Status ZstdWriter::Write(absl::string_view data) {
  return Compress({data.data(), data.size(), 0}, ZSTD_e_continue);
}

absl::Status ZstdWriter::WriteDelimited(
    const google::protobuf::MessageLite& message) {
  pending_.clear();
  {
    google::protobuf::io::StringOutputStream sos(&pending_);
    google::protobuf::io::CodedOutputStream out(&sos);
    out.SetSerializationDeterministic(true);
    out.WriteVarint64(message.ByteSizeLong());
    message.SerializeWithCachedSizes(&out);
  }
  return Write(pending_);
}

absl::Status ZstdWriter::Finish() {
  return Compress({nullptr, 0, 0}, ZSTD_e_end);
}

absl::Status ZstdWriter::Compress(ZSTD_inBuffer in, ZSTD_EndDirective mode) {
  for (;;) {
    ZSTD_outBuffer out{zbuf_.data(), zbuf_.size(), 0};
    size_t left = ZSTD_compressStream2(cctx_, &out, &in, mode);
    if (ZSTD_isError(left)) {
      return absl::InternalError(
          absl::StrCat(out_->path(), ": zstd: ", ZSTD_getErrorName(left)));
    }
    RETURN_IF_ERROR(out_->Write(absl::string_view(zbuf_.data(), out.pos)));
    bool done = mode == ZSTD_e_end ? left == 0 : in.pos == in.size;
    if (done) return absl::OkStatus();
  }
}

StreamInput::StreamInput(FILE* file, Compression compression)
    : file_(file), dctx_(nullptr), in_(kReadChunk) {
  in_buffer_ = {in_.data(), 0, 0};
  if (compression == Compression::kZstd) dctx_ = ZSTD_createDCtx();
  if (compression != Compression::kDetect) return;
  // Reads the first bytes to see which: they are the zstd input, or the
  // first bytes of the stream. A pipe cannot be read twice.
  size_t n = fread(in_.data(), 1, in_.size(), file_);
  if (absl::string_view(in_.data(), n).substr(0, kZstdMagic.size()) ==
      kZstdMagic) {
    dctx_ = ZSTD_createDCtx();
    in_buffer_ = {in_.data(), n, 0};
    return;
  }
  cap_ = kReadChunk;
  buf_.reset(new char[cap_]);
  std::memcpy(buf_.get(), in_.data(), n);
  len_ = n;
}

StreamInput::~StreamInput() {
  if (dctx_ != nullptr) ZSTD_freeDCtx(dctx_);
  if (file_ != stdin) fclose(file_);
}

bool StreamInput::Failed(std::string what) {
  if (error_.empty()) error_ = std::move(what);
  return false;
}

bool StreamInput::Fill(size_t need) {
  if (!error_.empty()) return false;
  while (len_ - pos_ < need && !file_done_ && zstd_error_.empty()) {
    if (pos_ > 0) {
      std::memmove(buf_.get(), buf_.get() + pos_, len_ - pos_);
      dropped_ += pos_;
      len_ -= pos_;
      pos_ = 0;
    }
    size_t want = len_ + std::max(need, kReadChunk);
    if (want > cap_) {
      std::unique_ptr<char[]> bigger(new char[want]);
      if (len_ > 0) std::memcpy(bigger.get(), buf_.get(), len_);
      buf_ = std::move(bigger);
      cap_ = want;
    }
    if (dctx_ == nullptr) {
      size_t n = fread(buf_.get() + len_, 1, cap_ - len_, file_);
      if (n == 0) file_done_ = true;
      len_ += n;
      continue;
    }
    if (in_buffer_.pos == in_buffer_.size && !output_pending_) {
      size_t n = fread(in_.data(), 1, in_.size(), file_);
      if (n == 0) {
        file_done_ = true;
        break;
      }
      file_offset_ += in_buffer_.size;
      in_buffer_ = {in_.data(), n, 0};
    }
    ZSTD_outBuffer out{buf_.get() + len_, cap_ - len_, 0};
    size_t ret = ZSTD_decompressStream(dctx_, &out, &in_buffer_);
    len_ += out.pos;
    // A full output buffer may leave decoded bytes inside zstd.
    output_pending_ = out.pos == out.size;
    if (ZSTD_isError(ret)) {
      // Reported once the bytes decoded before it are used up, so that the
      // error names the record the corruption is in.
      zstd_error_ = absl::StrCat(
          "corrupt zstd stream (at byte ", file_offset_ + in_buffer_.pos,
          " of the compressed file): ", ZSTD_getErrorName(ret));
      break;
    }
    // ret == 0 exactly when a frame was completed; if the file ends now with
    // a frame incomplete, it was truncated.
    truncated_ = ret != 0;
  }
  if (file_done_ && ferror(file_)) return Failed("read error");
  if (len_ - pos_ < need && !zstd_error_.empty()) return Failed(zstd_error_);
  return true;
}

StreamInput::Framed StreamInput::NextRecord(size_t max_bytes,
                                            absl::string_view* body,
                                            uint64_t* offset) {
  auto fail = [this](std::string what) {
    Failed(std::move(what));
    return Framed::kError;
  };
  if (!Fill(kMaxVarintBytes)) return Framed::kError;
  size_t avail = available();
  if (avail == 0) {
    if (truncated_) return fail(std::string(kTruncatedFrame));
    return Framed::kEnd;
  }
  *offset = this->offset();
  google::protobuf::io::CodedInputStream in(
      reinterpret_cast<const uint8_t*>(data()),
      static_cast<int>(std::min(avail, kMaxVarintBytes)));
  uint64_t length = 0;
  if (!in.ReadVarint64(&length)) {
    if (avail < kMaxVarintBytes) {
      return fail(truncated_ ? std::string(kTruncatedFrame)
                             : "truncated record length");
    }
    return fail("corrupt record length: bad varint");
  }
  if (length > max_bytes) {
    return fail(absl::StrCat("record length ", length, " exceeds the cap of ",
                             max_bytes, " bytes"));
  }
  size_t prefix = static_cast<size_t>(in.CurrentPosition());
  if (!Fill(prefix + length)) return Framed::kError;
  if (available() < prefix + length) {
    return fail(truncated_ ? std::string(kTruncatedFrame)
                           : absl::StrCat("truncated record: length ", length,
                                          " but the stream ends after ",
                                          available() - prefix, " bytes"));
  }
  // Fill() may have moved the buffer.
  *body = absl::string_view(data() + prefix, length);
  Skip(prefix + length);
  return Framed::kRecord;
}

}  // namespace mmreplay::trace
