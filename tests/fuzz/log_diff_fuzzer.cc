// The log reader and diff on any two logs: the input is split at its first
// NUL byte into the two sides. A log diffed with itself must be equal.
#include <cstdlib>
#include <cstring>
#include <string>

#include "replay/log_diff.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using mmreplay::replay::DiffLogs;
  using mmreplay::replay::LogLines;
  const char* text = reinterpret_cast<const char*>(data);
  const char* nul = static_cast<const char*>(memchr(text, 0, size));
  const size_t split = nul == nullptr ? size : nul - text;
  const std::string a(text, split);
  const std::string b =
      nul == nullptr ? a : std::string(nul + 1, size - split - 1);
  LogLines la = LogLines::FromText("a", a), lb = LogLines::FromText("b", b);
  DiffLogs(la, lb, {});
  LogLines self1 = LogLines::FromText("a", a),
           self2 = LogLines::FromText("a", a);
  if (!DiffLogs(self1, self2, {}).equal) abort();
  return 0;
}
