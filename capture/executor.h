// Executor: one process of a trace, run for real. mmcapture forks one per
// ProcessCreate; the child waits for commands on a pipe and runs each (mmap,
// munmap, madvise, mprotect, touching pages, vmsplice pins) in its own
// address space, then answers. It is idle while the parent reads its page
// tables through /proc/<pid>/pagemap.
#ifndef MMREPLAY_CAPTURE_EXECUTOR_H_
#define MMREPLAY_CAPTURE_EXECUTOR_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace mmreplay::capture {

struct Command {
  enum Type : uint32_t {
    kMmap,      // a[0] addr, a[1] length, a[2] prot, a[3] flags, a[4] offset,
                // path (empty: anonymous)
    kMunmap,    // a[0] addr, a[1] length
    kMadvise,   // a[0] addr, a[1] length, a[2] MADV_* value
    kMprotect,  // a[0] addr, a[1] length, a[2] prot
    kTouch,     // a[0] addr, a[1] length, a[2] 1 to write, 0 to read
    kPin,       // a[0] addr, a[1] length, a[3] pin id: vmsplice into a pipe
    kUnpin,     // a[3] pin id: close the pipe
    kExit,
  };
  Type type;
  uint64_t a[5] = {};
  char path[256] = {};
};

class Executor {
 public:
  static absl::StatusOr<std::unique_ptr<Executor>> Spawn();
  // Kills the process if it still runs.
  ~Executor();

  pid_t pid() const { return pid_; }

  // Runs `cmd` in the process. The result is the syscall's errno (0 for
  // success); a Status error means the process could not be reached.
  absl::StatusOr<int> Run(const Command& cmd);

  // Ends the process and reaps it.
  void Exit();

 private:
  Executor(pid_t pid, int to, int from) : pid_(pid), to_(to), from_(from) {}
  pid_t pid_;
  int to_;
  int from_;
};

}  // namespace mmreplay::capture

#endif  // MMREPLAY_CAPTURE_EXECUTOR_H_
