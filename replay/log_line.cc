#include "replay/log_line.h"

#include "absl/strings/numbers.h"

namespace mmreplay::replay {

absl::string_view KindOf(absl::string_view line) {
  size_t a = line.find(' ');
  if (a == absl::string_view::npos) return line;
  absl::string_view rest = line.substr(a + 1);
  return rest.substr(0, rest.find(' '));
}

bool FindField(absl::string_view line, absl::string_view key, size_t* begin,
               size_t* end) {
  size_t at = line.find(key);
  if (at == absl::string_view::npos) return false;
  *begin = at + key.size();
  *end = line.find(' ', *begin);
  if (*end == absl::string_view::npos) *end = line.size();
  return true;
}

bool FindHexField(absl::string_view line, absl::string_view key, size_t* begin,
                  size_t* end, uint64_t* value) {
  return FindField(line, key, begin, end) &&
         absl::SimpleHexAtoi(line.substr(*begin, *end - *begin), value);
}

bool HexField(absl::string_view line, absl::string_view key, uint64_t* value) {
  size_t begin, end;
  return FindHexField(line, key, &begin, &end, value);
}

}  // namespace mmreplay::replay
