// Reads a whole trace from fuzz input in one format: every op, every check.
// Any input must end in a clean end or one error naming a record; nothing
// may crash, hang or leak (ASan, UBSan under --config=fuzz).
#ifndef MMREPLAY_TESTS_FUZZ_TRACE_READER_FUZZER_H_
#define MMREPLAY_TESTS_FUZZ_TRACE_READER_FUZZER_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "tests/fuzz/fuzz_target.h"
#include "trace/trace_reader.h"

namespace mmreplay::fuzz {

inline void ReadWholeTrace(const uint8_t* data, size_t size,
                           const std::string& extension) {
  const std::string path = WriteInput(data, size, extension);
  auto reader = trace::TraceReader::Open(path);
  if (!reader.ok()) {
    // Errors are one line.
    if (absl::StrContains(reader.status().message(), "\n")) abort();
    return;
  }
  while ((*reader)->Next() != nullptr) {
  }
  if (absl::StrContains((*reader)->status().message(), "\n")) abort();
}

}  // namespace mmreplay::fuzz

#endif  // MMREPLAY_TESTS_FUZZ_TRACE_READER_FUZZER_H_
