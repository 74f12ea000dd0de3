// The fuzz targets' shared pieces. Each target (tests/fuzz/*_fuzzer.cc)
// defines LLVMFuzzerTestOneInput, the libFuzzer entry point; built with
// --config=fuzz it links libFuzzer (clang), and otherwise fuzz_main.cc,
// the plain driver that ./test runs on the seed corpus with deterministic
// mutations (tests/fuzz/README.md).
#ifndef MMREPLAY_TESTS_FUZZ_FUZZ_TARGET_H_
#define MMREPLAY_TESTS_FUZZ_FUZZ_TARGET_H_

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Called once before the first input (by libFuzzer, and by fuzz_main.cc):
// silences protobuf's own log lines, as mmreplay's main() does.
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace mmreplay::fuzz {

// Writes `data` to a file of this process named with `extension` (the
// readers choose the format by it) and returns its path; the same path
// every call, overwritten.
std::string WriteInput(const uint8_t* data, size_t size,
                       const std::string& extension);

}  // namespace mmreplay::fuzz

#endif  // MMREPLAY_TESTS_FUZZ_FUZZ_TARGET_H_
