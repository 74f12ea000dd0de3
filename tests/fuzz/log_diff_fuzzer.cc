// The log reader and diff on any two logs: the input is split at its first
// NUL byte into the two sides. A log diffed with itself must be equal (or
// refused as the same kind of bad log on both sides), also with --ignore
// pfn,addr.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "replay/log_diff.h"
#include "replay/log_reader.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using mmreplay::replay::DiffLogs;
  using mmreplay::replay::DiffOptions;
  using mmreplay::replay::LogReader;
  const char* text = reinterpret_cast<const char*>(data);
  const char* nul = static_cast<const char*>(memchr(text, 0, size));
  const size_t split = nul == nullptr ? size : nul - text;
  const std::string a(text, split);
  const std::string b =
      nul == nullptr ? a : std::string(nul + 1, size - split - 1);
  for (bool ignore : {false, true}) {
    DiffOptions options;
    options.ignore_pfn = options.ignore_addr = ignore;
    std::unique_ptr<LogReader> la = LogReader::FromText("a", a),
                               lb = LogReader::FromText("b", b);
    (void)DiffLogs(*la, *lb, options);
    std::unique_ptr<LogReader> self1 = LogReader::FromText("a", a),
                               self2 = LogReader::FromText("a", a);
    auto self = DiffLogs(*self1, *self2, options);
    if (self.ok() && !self->equal) abort();
  }
  return 0;
}
