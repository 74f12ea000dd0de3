// Golden test runner: replays a trace twice, checks the two logs are byte
// identical (determinism) and that the trace's expectation records hold
// (as `replay --check`), then compares the log with the trace's golden
// file. The golden may be in any form a log takes (text, .log.zst, .mme:
// LogReader tells them apart); goldens are text, for review. On a mismatch
// it prints the differences (as `mmreplay diff` does) and saves the actual
// log to $TEST_UNDECLARED_OUTPUTS_DIR.
//
// usage: golden_runner TRACE GOLDEN
// Goldens are rewritten only by scripts/bless-goldens (README.md).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "replay/driver.h"
#include "replay/log_diff.h"
#include "replay/log_reader.h"
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
  absl::StatusOr<std::unique_ptr<LogReader>> in = LogReader::Open(golden);
  if (!in.ok() && absl::IsNotFound(in.status())) {
    return Fail(golden + ": missing; create it with scripts/bless-goldens");
  }
  if (!in.ok()) return Fail(std::string(in.status().message()));
  std::string expected;
  absl::string_view line;
  while ((*in)->Next(&line)) absl::StrAppend(&expected, line, "\n");
  if (!(*in)->status().ok()) {
    return Fail(std::string((*in)->status().message()));
  }
  if (expected == *first) return 0;
  if (const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR")) {
    std::string base = trace.substr(trace.rfind('/') + 1);
    std::ofstream(std::string(dir) + "/" + base + ".actual.log") << *first;
  }
  std::unique_ptr<LogReader> want = LogReader::FromText(golden, expected);
  std::unique_ptr<LogReader> got =
      LogReader::FromText(trace + " (replayed)", *first);
  absl::StatusOr<DiffResult> diff = DiffLogs(*want, *got, DiffOptions());
  if (!diff.ok()) return Fail(std::string(diff.status().message()));
  std::fputs(diff->report.c_str(), stderr);
  if (diff->equal) {
    return Fail(golden + ": differs from the replay only in comment lines");
  }
  return Fail(golden +
              " does not match the replay; if the change is "
              "intended, run scripts/bless-goldens and review the diff");
}
