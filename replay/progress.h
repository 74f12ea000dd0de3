// Progress of a long command on stderr (replay, convert, gen, diff): one line
// rewritten in place, "replay: 1.2M ops, 3.1M ops/s, 0.4 s", at most four
// times a second, and a last one at the end. Only where stderr is a
// terminal and -q was not given: a log or a pipe gets nothing. Nothing of it
// reaches an output file, so the time it reads does not make output differ.
#ifndef MMREPLAY_REPLAY_PROGRESS_H_
#define MMREPLAY_REPLAY_PROGRESS_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mmreplay::replay {

class Progress {
 public:
  // Prints to `out` (stderr when null) only if `enabled`; the command
  // started at `start` (now, unless a test says otherwise).
  Progress(absl::string_view verb, bool enabled, FILE* out = nullptr,
           absl::Time start = absl::InfinitePast());
  // Whether a command should show progress: stderr is a terminal and the
  // user did not ask for quiet.
  static bool Wanted(bool quiet);

  // `done` ops so far. Cheap: the clock is read once every 64Ki ops.
  void Update(uint64_t done) {
    if (enabled_ && (done & 0xffff) == 0 && done != 0) {
      Refresh(done, /*last=*/false);
    }
  }
  // The last line, with its newline (nothing if no line was shown and the
  // command took under a second).
  void Finish(uint64_t done);

  // The line for `done` ops after `elapsed` (for tests).
  static std::string Line(absl::string_view verb, uint64_t done,
                          absl::Duration elapsed);

 private:
  void Refresh(uint64_t done, bool last);

  std::string verb_;
  bool enabled_;
  FILE* out_;
  absl::Time start_;
  absl::Time last_shown_;
  bool shown_ = false;
};

}  // namespace mmreplay::replay

#endif  // MMREPLAY_REPLAY_PROGRESS_H_
