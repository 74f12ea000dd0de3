// PackedColumns: the packed repeated integer fields of one protobuf message
// (an EventChunk's columns, an OpColumns'), each kept as its wire bytes
// (varints) as values are added, and written out as the message's fields:
// the bytes protobuf's deterministic serialization gives for the same
// values (tests/replay/event_chunk_test checks that), without building the
// message, computing its sizes and serializing it again. The binary log
// adds a handful of values per event, so this is on its hot path.
#ifndef MMREPLAY_REPLAY_PACKED_COLUMNS_H_
#define MMREPLAY_REPLAY_PACKED_COLUMNS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"

namespace mmreplay::replay {

class PackedColumns {
 public:
  // Fields numbered 1 to max_field.
  explicit PackedColumns(int max_field) : columns_(max_field + 1) {}

  // Appends v to a uint32 or uint64 field.
  void Put(int field, uint64_t v) {
    Column& c = columns_[field];
    if (c.cap - c.size < kMaxVarint) c.Grow();
    c.size = static_cast<size_t>(
        google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(
            v, c.data.get() + c.size) -
        c.data.get());
  }
  // Appends v to a sint64 field (zigzag).
  void PutSint64(int field, int64_t v) {
    Put(field, google::protobuf::internal::WireFormatLite::ZigZagEncode64(v));
  }
  // Appends v to a sint32 field (zigzag).
  void PutSint32(int field, int32_t v) {
    Put(field, google::protobuf::internal::WireFormatLite::ZigZagEncode32(v));
  }

  // The bytes of a field written out: its tag, length and values; 0 when
  // it has no values (protobuf writes nothing for it).
  size_t FieldBytes(int field) const {
    const size_t size = columns_[field].size;
    return size == 0 ? 0 : LengthDelimitedBytes(field, size);
  }
  // Appends the field as FieldBytes() counts it.
  void AppendField(int field, std::string* out) const {
    const Column& c = columns_[field];
    if (c.size == 0) return;
    AppendLengthDelimited(
        field,
        absl::string_view(reinterpret_cast<const char*>(c.data.get()), c.size),
        out);
  }
  // Every field empty again (their buffers kept).
  void Clear() {
    for (Column& c : columns_) c.size = 0;
  }

  // A length-delimited field `field` holding `bytes` (a packed column, a
  // string, a message): its size written out, and the writing.
  static size_t LengthDelimitedBytes(int field, size_t bytes) {
    using google::protobuf::io::CodedOutputStream;
    return CodedOutputStream::VarintSize32(Tag(field)) +
           CodedOutputStream::VarintSize64(bytes) + bytes;
  }
  static void AppendLengthDelimited(int field, absl::string_view bytes,
                                    std::string* out);
  // Appends v as a varint.
  static void AppendVarint(uint64_t v, std::string* out);

 private:
  static constexpr size_t kMaxVarint = 10;
  static uint32_t Tag(int field) {
    return google::protobuf::internal::WireFormatLite::MakeTag(
        field,
        google::protobuf::internal::WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
  }
  struct Column {
    std::unique_ptr<uint8_t[]> data;
    size_t size = 0;
    size_t cap = 0;
    void Grow();
  };
  std::vector<Column> columns_;
};

}  // namespace mmreplay::replay

#endif  // MMREPLAY_REPLAY_PACKED_COLUMNS_H_
