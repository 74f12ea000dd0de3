// Executor: one process of a trace, run for real. mmcapture forks one per
// ProcessCreate; the child waits for commands on a socket and runs each
// (mmap, munmap, madvise, mprotect, touching pages, pins by vmsplice or an
// io_uring registered buffer) in its own address space, then answers. It is
// idle while the parent reads its page tables through /proc/<pid>/pagemap. A
// ProcessFork is a fork() in the trace's parent process: the new process
// (mmcapture's grandchild) shares its parent's memory as fork() shares it, and
// gets a socket of its own, handed to mmcapture over the parent's (SCM_RIGHTS)
// with a pidfd the parent opened for it. mmcapture signals and waits for its
// processes through their pidfds, never by a pid that may have been recycled.
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
    kPin,       // a[0] addr, a[1] length, a[2] kPinSplice or kPinUring,
                // a[3] pin id
    kUnpin,     // a[3] pin id: close the pipe, or unregister the buffer
    kFork,      // fork(); the child closes its copies of the pins' files
                // (it holds no pins)
    kMremap,    // a[0] addr, a[1] old length, a[2] new length, a[3] flags,
                // a[4] new_addr (MREMAP_FIXED)
    kExit,      // unregisters the io_uring buffers first (the kernel would
                // unpin them later, from a worker), then exits
  };
  // How kPin holds the pages: vmsplice into a pipe (FOLL_GET), or an
  // io_uring registered buffer (FOLL_PIN).
  enum PinHow : uint64_t { kPinSplice = 0, kPinUring = 1 };
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

  // fork() in the process: the child, as an Executor of its own.
  absl::StatusOr<std::unique_ptr<Executor>> Fork();

  // Ends the process and waits until it has exited (its memory freed).
  void Exit();

 private:
  Executor(pid_t pid, int fd, int pidfd, bool is_child);
  // Waits for the process to end; reaps it if it is mmcapture's child.
  void Wait();

  pid_t pid_;
  int fd_;         // the command socket
  int pidfd_;      // readable once the process has exited
  bool is_child_;  // mmcapture's own child (a forked one is a grandchild)
};

}  // namespace mmreplay::capture

#endif  // MMREPLAY_CAPTURE_EXECUTOR_H_
