// Ops are numbered by ops alone: each trace given (the captured ones, whose
// expectation records sit between their ops) replays to the same log,
// byte for byte, as its ops without the expectations.
//
// usage: op_numbering_test TRACE...
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "replay/replay_to_string.h"
#include "tests/replay/each_trace_main.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

namespace mmreplay::replay {
namespace {

// What is wrong, or "".
std::string Check(const std::string& trace, const std::string& dir) {
  auto reader = trace::TraceReader::Open(trace);
  if (!reader.ok()) return std::string(reader.status().message());
  const std::string ops_only =
      absl::StrCat(dir, "/", trace.substr(trace.rfind('/') + 1), ".mmt");
  auto writer = trace::TraceWriter::Create(ops_only);
  if (!writer.ok()) return std::string(writer.status().message());
  absl::Status s = (*writer)->WriteHeader((*reader)->header());
  uint64_t expectations = 0;
  while (const trace::TraceOp* op = (*reader)->Next()) {
    if (op->rich != nullptr) {
      ++expectations;
      continue;
    }
    if (s.ok()) s = (*writer)->Write(*op);
  }
  if (s.ok()) s = (*reader)->status();
  if (s.ok()) s = (*writer)->Commit();
  if (!s.ok()) return std::string(s.message());
  if (expectations == 0) return "no expectation records: not a captured trace";
  auto with = ReplayToString(trace, {});
  if (!with.ok()) return std::string(with.status().message());
  auto without = ReplayToString(ops_only, {});
  if (!without.ok()) return std::string(without.status().message());
  if (*with != *without) return "its log differs from its ops' log";
  return "";
}

}  // namespace
}  // namespace mmreplay::replay

int main(int argc, char** argv) {
  return mmreplay::replay::CheckEachTrace(argc, argv, mmreplay::replay::Check);
}
