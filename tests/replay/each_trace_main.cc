#include "tests/replay/each_trace_main.h"

#include <cstdio>
#include <cstdlib>

namespace mmreplay::replay {

int CheckEachTrace(int argc, char** argv, TraceCheck check) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = tmp != nullptr ? tmp : "/tmp";
  int failed = 0;
  for (int i = 1; i < argc; ++i) {
    std::string why = check(argv[i], dir);
    if (!why.empty()) {
      std::fprintf(stderr, "FAIL %s: %s\n", argv[i], why.c_str());
      ++failed;
    }
  }
  std::printf("%d traces, %d failed\n", argc - 1, failed);
  return argc > 1 && failed == 0 ? 0 : 1;
}

}  // namespace mmreplay::replay
