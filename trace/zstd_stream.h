// Streaming zstd I/O shared by the .mmt trace and the event logs (.mme and
// .log.zst): ZstdWriter compresses bytes or length-delimited protobuf
// records into an OutputFile; StreamInput reads a file, decompressing it or
// not, with a window of bytes that grows only as far as one record needs,
// and frames its length-delimited records. Memory stays bounded by the
// largest record, whatever the file's size.
#ifndef MMREPLAY_TRACE_ZSTD_STREAM_H_
#define MMREPLAY_TRACE_ZSTD_STREAM_H_

#include <zstd.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message_lite.h"
#include "trace/output_file.h"

namespace mmreplay::trace {

// The four bytes every zstd frame starts with (ZSTD_MAGICNUMBER, little
// endian).
inline constexpr absl::string_view kZstdMagic = "\x28\xb5\x2f\xfd";

class ZstdWriter {
 public:
  // Compresses into `out` (not owned; must outlive this) at zstd `level`;
  // with `checksum`, the frame ends in a checksum of its content, which a
  // reader checks: a corrupt file is refused rather than misread. To
  // compress while the caller goes on, call it from a trace::WriterThread.
  ZstdWriter(OutputFile* out, int level, bool checksum = false);
  ~ZstdWriter();
  ZstdWriter(const ZstdWriter&) = delete;
  ZstdWriter& operator=(const ZstdWriter&) = delete;

  // Compresses `data` into the frame.
  [[nodiscard]] absl::Status Write(absl::string_view data);
  // Writes `message` as a varint length and its bytes, serialized
  // deterministically.
  [[nodiscard]] absl::Status WriteDelimited(
      const google::protobuf::MessageLite& message);
  // Ends the frame. REQUIRES: called once, last; the OutputFile is
  // committed by its owner afterwards.
  [[nodiscard]] absl::Status Finish();

 private:
  absl::Status Compress(ZSTD_inBuffer in, ZSTD_EndDirective mode);

  OutputFile* out_;
  ZSTD_CCtx* cctx_;
  std::vector<char> zbuf_;
  std::string pending_;
};

class StreamInput {
 public:
  enum class Compression {
    kNone,  // the file's bytes as they are
    kZstd,  // a zstd stream, decompressed
    // zstd if the file starts with kZstdMagic, else as it is.
    kDetect,
  };
  // Reads `file` (owned: closed by the destructor unless it is stdin).
  StreamInput(FILE* file, Compression compression);
  ~StreamInput();
  StreamInput(const StreamInput&) = delete;
  StreamInput& operator=(const StreamInput&) = delete;

  // Makes at least `need` bytes available at data(), unless the stream
  // ends first. False on a zstd or read error (error() says which).
  [[nodiscard]] bool Fill(size_t need);
  // The bytes read and not yet skipped; valid until the next Fill().
  const char* data() const { return buf_.get() + pos_; }
  size_t available() const { return len_ - pos_; }
  void Skip(size_t n) { pos_ += n; }
  // Where data() is in the (decompressed) stream.
  uint64_t offset() const { return dropped_ + pos_; }
  // Whether the file is decompressed.
  bool compressed() const { return dctx_ != nullptr; }
  // True once the file ended inside a zstd frame.
  bool truncated() const { return truncated_; }
  // Why Fill() or NextRecord() failed.
  const std::string& error() const { return error_; }

  enum class Framed { kRecord, kEnd, kError };
  // Reads the next record (a varint length, then that many bytes, at most
  // `max_bytes`): *body views it until the next call, *offset is where its
  // length starts. kEnd at a clean end of the stream; kError with error()
  // set, and offset() at the record, for a truncated or corrupt one.
  Framed NextRecord(size_t max_bytes, absl::string_view* body,
                    uint64_t* offset);

 private:
  bool Failed(std::string what);

  FILE* file_;
  ZSTD_DCtx* dctx_;  // null when not decompressing
  std::vector<char> in_;
  ZSTD_inBuffer in_buffer_{};
  // [pos_, len_) are unread. Not value-initialized: every byte is written
  // before it is read.
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0;
  size_t len_ = 0;
  size_t pos_ = 0;
  // Bytes dropped from the front of buf_.
  uint64_t dropped_ = 0;
  bool file_done_ = false;
  // The last decompression filled its output; call again before reading.
  bool output_pending_ = false;
  bool truncated_ = false;
  std::string error_;
  // Bytes of the file read before the chunk in in_.
  uint64_t file_offset_ = 0;
  // A zstd error met, with the file offset it was met at, not yet reported.
  std::string zstd_error_;
};

}  // namespace mmreplay::trace

#endif  // MMREPLAY_TRACE_ZSTD_STREAM_H_
