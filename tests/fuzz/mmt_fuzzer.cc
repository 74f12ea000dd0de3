// The .mmt reader (zstd, length-delimited OpBatch records) on any bytes.
#include "tests/fuzz/trace_reader_fuzzer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mmreplay::fuzz::ReadWholeTrace(data, size, ".mmt");
  return 0;
}
