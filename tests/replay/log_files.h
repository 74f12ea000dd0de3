// Test helpers for the event log's files: a path in the test's temporary
// directory, and a log of given events written in one of its forms.
#ifndef MMREPLAY_TESTS_REPLAY_LOG_FILES_H_
#define MMREPLAY_TESTS_REPLAY_LOG_FILES_H_

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "mm/event.h"
#include "proto/trace.pb.h"
#include "replay/event_log.h"
#include "trace/op_schema.h"
#include "trace/output_file.h"
#include "trace/trace_op.h"

namespace mmreplay::replay {

inline std::string TempPath(absl::string_view name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", name);
}

// Writes `events` as a log of profile linux-6.18 in `format` to `path`.
inline void WriteLog(const std::string& path, LogFormat format,
                     const std::vector<mm::Event>& events) {
  auto out = trace::OutputFile::Create(path);
  ASSERT_TRUE(out.ok()) << out.status();
  EventLog log(out->get(), format);
  log.WriteHeader("linux-6.18");
  for (const mm::Event& e : events) log.Emit(e);
  ASSERT_TRUE(log.Finish().ok());
  ASSERT_TRUE((*out)->Commit().ok());
}

// Writes a log as a replay of `ops` touch ops gives it: op n's line, then
// its events (those of `events` whose op_index() is n, in order).
inline void WriteLogWithOps(const std::string& path, LogFormat format,
                            const std::vector<mm::Event>& events,
                            uint64_t ops) {
  auto out = trace::OutputFile::Create(path);
  ASSERT_TRUE(out.ok()) << out.status();
  EventLog log(out->get(), format);
  log.WriteHeader("linux-6.18");
  uint64_t args[trace::kMaxArity] = {};
  trace::TraceOp op;
  op.kind = Op::kTouch;
  op.info = trace::OpSchema::Get().Find(op.kind);
  op.args = args;
  size_t next = 0;
  for (uint64_t n = 1; n <= ops; ++n) {
    args[Touch::kPidFieldNumber - 1] = 1;
    args[Touch::kAddrFieldNumber - 1] = 0x7f0000000000 + (n << 12);
    args[Touch::kLengthBytesFieldNumber - 1] = 0x1000;
    log.BeginOp(n, op);
    for (; next < events.size() && events[next].op_index() == n; ++next) {
      log.Emit(events[next]);
    }
  }
  ASSERT_TRUE(log.Finish().ok());
  ASSERT_TRUE((*out)->Commit().ok());
}

}  // namespace mmreplay::replay

#endif  // MMREPLAY_TESTS_REPLAY_LOG_FILES_H_
