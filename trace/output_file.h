// OutputFile: a file the tool writes that appears whole or not at all. Data
// goes to a temporary file beside the destination, which Commit() syncs and
// renames over it. A file that is destroyed, or whose process ends on a
// signal it can catch (an interrupt, a kill but -9, a closed pipe, an abort
// or a fault), before Commit() leaves nothing behind; a kill -9 can leave
// the temporary file, ".<name>.mmreplay-partial-XXXXXX". "-" writes to stdout,
// and a path naming a device or FIFO (/dev/null) is written in place.
#ifndef MMREPLAY_TRACE_OUTPUT_FILE_H_
#define MMREPLAY_TRACE_OUTPUT_FILE_H_

#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mmreplay::trace {

class OutputFile {
 public:
  // Creates the temporary file for `path` (or takes stdout for "-").
  static absl::StatusOr<std::unique_ptr<OutputFile>> Create(
      const std::string& path);

  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  [[nodiscard]] absl::Status Write(absl::string_view data);
  // Flushes, syncs and renames the temporary file to the destination.
  // REQUIRES: called once.
  [[nodiscard]] absl::Status Commit();

  const std::string& path() const { return path_; }

 private:
  OutputFile(std::string path, std::string temp, FILE* file);
  absl::Status IoError(absl::string_view what) const;

  std::string path_;
  std::string temp_;  // empty when writing in place
  FILE* file_;
  bool committed_ = false;
};

}  // namespace mmreplay::trace

#endif  // MMREPLAY_TRACE_OUTPUT_FILE_H_
