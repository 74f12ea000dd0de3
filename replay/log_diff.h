// Compares two event logs op by op: finds the first event where they part,
// with context on both sides, and counts the events only one side has, by
// event kind. Lines starting with '#' are comments and never differ.
#ifndef MMREPLAY_REPLAY_LOG_DIFF_H_
#define MMREPLAY_REPLAY_LOG_DIFF_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mmreplay::replay {

// A source of log lines: a file read as it goes, or text held in memory.
class LogLines {
 public:
  // Reads `path` ("-" for stdin).
  static absl::StatusOr<LogLines> FromFile(const std::string& path);
  static LogLines FromText(std::string name, std::string text);

  LogLines(LogLines&&) noexcept;
  LogLines& operator=(LogLines&&) noexcept;
  ~LogLines();

  const std::string& name() const { return name_; }
  // The next line that is not a comment, without its newline; false at the
  // end. *number is its 1-based line number.
  bool Next(std::string* line, uint64_t* number);

 private:
  LogLines() = default;
  std::string name_;
  FILE* file_ = nullptr;
  std::string text_;
  size_t pos_ = 0;
  uint64_t number_ = 0;
};

struct DiffOptions {
  // Lines of context around the first difference, on each side.
  int context = 3;
};

struct DiffResult {
  bool equal = true;
  // For unequal logs, the human-readable report (ends in a newline).
  std::string report;
};

DiffResult DiffLogs(LogLines& a, LogLines& b, const DiffOptions& options);

}  // namespace mmreplay::replay

#endif  // MMREPLAY_REPLAY_LOG_DIFF_H_
