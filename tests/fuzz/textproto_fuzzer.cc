// The .textproto reader on any bytes.
#include "tests/fuzz/trace_reader_fuzzer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mmreplay::fuzz::ReadWholeTrace(data, size, ".textproto");
  return 0;
}
