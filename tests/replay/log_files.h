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
#include "replay/event_log.h"
#include "trace/output_file.h"

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

}  // namespace mmreplay::replay

#endif  // MMREPLAY_TESTS_REPLAY_LOG_FILES_H_
