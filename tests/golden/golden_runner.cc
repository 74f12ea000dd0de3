// Golden test runner: replays a trace twice, checks the two logs are byte
// identical (determinism) and that the trace's expectation records hold
// (as `replay --check`), then compares the log with the trace's golden
// file. On a mismatch it prints the first difference (as `mmreplay diff`
// does) and saves the actual log to $TEST_UNDECLARED_OUTPUTS_DIR.
//
// usage: golden_runner TRACE GOLDEN
// Goldens are rewritten only by scripts/bless-goldens (README.md).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "replay/driver.h"
#include "replay/log_diff.h"
#include "replay/replay_to_string.h"

namespace {

int Fail(const std::string& what) {
  std::fprintf(stderr, "FAIL: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mmreplay::replay;
  if (argc != 3) return Fail("usage: golden_runner TRACE GOLDEN");
  const std::string trace = argv[1], golden = argv[2];
  ReplayOptions options;
  options.verify = true;
  options.check = true;
  ReplayReport report;
  absl::StatusOr<std::string> first = ReplayToString(trace, options, &report);
  if (!first.ok()) return Fail(std::string(first.status().message()));
  for (const std::string& m : report.mismatches) {
    std::fprintf(stderr, "%s: %s\n", trace.c_str(), m.c_str());
  }
  if (!report.mismatches.empty()) {
    return Fail(trace + ": the model does not meet the trace's expectations");
  }
  absl::StatusOr<std::string> second = ReplayToString(trace, options, nullptr);
  if (!second.ok()) return Fail(std::string(second.status().message()));
  if (*first != *second) {
    return Fail(trace + ": two replays of the same trace gave different logs");
  }
  std::ifstream in(golden, std::ios::binary);
  if (!in) {
    return Fail(golden + ": missing; create it with scripts/bless-goldens");
  }
  std::stringstream expected;
  expected << in.rdbuf();
  if (expected.str() == *first) return 0;
  if (const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR")) {
    std::string base = trace.substr(trace.rfind('/') + 1);
    std::ofstream(std::string(dir) + "/" + base + ".actual.log") << *first;
  }
  LogLines want = LogLines::FromText(golden, expected.str());
  LogLines got = LogLines::FromText(trace + " (replayed)", *first);
  DiffResult diff = DiffLogs(want, got, DiffOptions());
  std::fputs(diff.report.c_str(), stderr);
  if (diff.equal) {
    return Fail(golden + ": differs from the replay only in comment lines");
  }
  return Fail(golden +
              " does not match the replay; if the change is "
              "intended, run scripts/bless-goldens and review the diff");
}
