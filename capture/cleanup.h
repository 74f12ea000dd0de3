// What mmcapture must undo however it ends (normally, on an error, or on
// SIGINT, SIGTERM or SIGHUP): kill the processes it started, write back every
// sysfs/procfs value it changed, unmount what it mounted and remove its
// private folder. The lists are fixed tables of C strings so that the signal
// handler calls only async-signal-safe functions.
#ifndef MMREPLAY_CAPTURE_CLEANUP_H_
#define MMREPLAY_CAPTURE_CLEANUP_H_

#include <sys/types.h>

#include <string>

namespace mmreplay::capture::cleanup {

// Installs the signal handlers (once).
void Install();

// Write `value` back to `path` at the end. Only the first registration of a
// path counts: it holds the value from before mmcapture touched it.
void RestoreFile(const std::string& path, const std::string& value);

// Kill the process `pidfd` refers to at the end (pidfd_send_signal, which
// cannot hit a recycled pid) and wait until it has exited, unless Forget()
// says it is gone. The caller keeps the pidfd open until then.
void KillAtEnd(int pidfd);
void Forget(int pidfd);

// Unmount `dir` (lazily) at the end; remove `dir` at the end (after every
// unmount). Directories are removed deepest first.
void UnmountAtEnd(const std::string& dir);
void RemoveAtEnd(const std::string& dir);

// Does all of the above now, in that order, and clears the lists. Safe to
// call more than once.
void RunAll();

}  // namespace mmreplay::capture::cleanup

#endif  // MMREPLAY_CAPTURE_CLEANUP_H_
