#include "tests/fuzz/fuzz_target.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "google/protobuf/stubs/logging.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

namespace mmreplay::fuzz {

std::string WriteInput(const uint8_t* data, size_t size,
                       const std::string& extension) {
  const char* dir = getenv("TEST_TMPDIR");
  if (dir == nullptr) dir = "/tmp";
  const std::string path =
      absl::StrCat(dir, "/fuzz-input-", getpid(), extension);
  FILE* f = fopen(path.c_str(), "wb");
  if (f == nullptr) abort();
  if (size > 0 && fwrite(data, 1, size, f) != size) abort();
  if (fclose(f) != 0) abort();
  return path;
}

}  // namespace mmreplay::fuzz
