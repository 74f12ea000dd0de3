#include "replay/packed_columns.h"

#include <algorithm>
#include <cstring>

namespace mmreplay::replay {

void PackedColumns::Column::Grow() {
  const size_t bigger = std::max<size_t>(256, 2 * cap);
  std::unique_ptr<uint8_t[]> more(new uint8_t[bigger]);
  if (size > 0) std::memcpy(more.get(), data.get(), size);
  data = std::move(more);
  cap = bigger;
}

void PackedColumns::AppendVarint(uint64_t v, std::string* out) {
  uint8_t buf[kMaxVarint];
  const uint8_t* end =
      google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(v, buf);
  out->append(reinterpret_cast<const char*>(buf), end - buf);
}

void PackedColumns::AppendLengthDelimited(int field, absl::string_view bytes,
                                          std::string* out) {
  AppendVarint(Tag(field), out);
  AppendVarint(bytes.size(), out);
  out->append(bytes.data(), bytes.size());
}

}  // namespace mmreplay::replay
