#include "capture/executor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "capture/cleanup.h"

namespace mmreplay::capture {
namespace {

constexpr uint64_t kPageSize = 4096;
constexpr int kMaxPins = 64;

bool ReadFull(int fd, void* buf, size_t n) {
  char* p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

bool WriteFull(int fd, const void* buf, size_t n) {
  const char* p = static_cast<const char*>(buf);
  while (n > 0) {
    ssize_t r = write(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

struct PinPipe {
  uint64_t id = 0;
  int fds[2] = {-1, -1};
};

// vmsplice() the range into a new pipe: the pipe holds a reference on every
// page until it is closed.
int Pin(PinPipe* pins, const Command& c) {
  int slot = -1;
  for (int i = 0; i < kMaxPins; ++i) {
    if (pins[i].id == 0) slot = i;
  }
  if (slot < 0) return EMFILE;
  PinPipe& p = pins[slot];
  if (pipe(p.fds) != 0) return errno;
  uint64_t pages = c.a[1] / kPageSize;
  // Room for one buffer per page.
  fcntl(p.fds[1], F_SETPIPE_SZ, static_cast<int>(pages * kPageSize));
  struct iovec iov = {reinterpret_cast<void*>(c.a[0]), c.a[1]};
  while (iov.iov_len > 0) {
    ssize_t n = vmsplice(p.fds[1], &iov, 1, 0);
    if (n <= 0) {
      int err = n < 0 ? errno : EAGAIN;
      close(p.fds[0]);
      close(p.fds[1]);
      return err;
    }
    iov.iov_base = static_cast<char*>(iov.iov_base) + n;
    iov.iov_len -= static_cast<size_t>(n);
  }
  p.id = c.a[3];
  return 0;
}

int Unpin(PinPipe* pins, const Command& c) {
  for (int i = 0; i < kMaxPins; ++i) {
    if (pins[i].id == c.a[3]) {
      close(pins[i].fds[0]);
      close(pins[i].fds[1]);
      pins[i] = PinPipe();
      return 0;
    }
  }
  return ENOENT;
}

int Execute(const Command& c, PinPipe* pins) {
  void* addr = reinterpret_cast<void*>(c.a[0]);
  size_t length = c.a[1];
  switch (c.type) {
    case Command::kMmap: {
      int fd = -1;
      int flags = static_cast<int>(c.a[3]) | MAP_FIXED_NOREPLACE;
      if (c.path[0] != '\0') {
        fd = open(c.path, O_RDWR | O_CLOEXEC);
        if (fd < 0) return errno;
      } else {
        flags |= MAP_ANONYMOUS;
      }
      void* p = mmap(addr, length, static_cast<int>(c.a[2]), flags, fd,
                     static_cast<off_t>(c.a[4]));
      int err = p == MAP_FAILED ? errno : 0;
      if (fd >= 0) close(fd);
      if (err == 0 && p != addr) {
        munmap(p, length);
        return EEXIST;
      }
      return err;
    }
    case Command::kMunmap:
      return munmap(addr, length) == 0 ? 0 : errno;
    case Command::kMadvise:
      return madvise(addr, length, static_cast<int>(c.a[2])) == 0 ? 0 : errno;
    case Command::kMprotect:
      return mprotect(addr, length, static_cast<int>(c.a[2])) == 0 ? 0 : errno;
    case Command::kTouch: {
      volatile char* p = static_cast<volatile char*>(addr);
      for (uint64_t off = 0; off < length; off += kPageSize) {
        if (c.a[2]) {
          p[off] = 1;  // non-zero: the page is not all zeros
        } else {
          (void)p[off];
        }
      }
      return 0;
    }
    case Command::kPin:
      return Pin(pins, c);
    case Command::kUnpin:
      return Unpin(pins, c);
    case Command::kExit:
      return 0;
  }
  return EINVAL;
}

[[noreturn]] void ChildLoop(int in, int out) {
  // Die with mmcapture; allow THP, which mmcapture turned off for itself.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0);
  static PinPipe pins[kMaxPins];
  Command c;
  while (ReadFull(in, &c, sizeof(c))) {
    int err = Execute(c, pins);
    if (!WriteFull(out, &err, sizeof(err)) || c.type == Command::kExit) break;
  }
  _exit(0);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Executor>> Executor::Spawn() {
  int to[2], from[2];
  if (pipe2(to, O_CLOEXEC) != 0 || pipe2(from, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
  }
  fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0)
    return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  if (pid == 0) {
    close(to[1]);
    close(from[0]);
    ChildLoop(to[0], from[1]);
  }
  close(to[0]);
  close(from[1]);
  cleanup::KillAtEnd(pid);
  return std::unique_ptr<Executor>(new Executor(pid, to[1], from[0]));
}

Executor::~Executor() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    cleanup::Forget(pid_);
  }
  close(to_);
  close(from_);
}

absl::StatusOr<int> Executor::Run(const Command& cmd) {
  int err = 0;
  if (!WriteFull(to_, &cmd, sizeof(cmd)) ||
      !ReadFull(from_, &err, sizeof(err))) {
    return absl::InternalError(
        absl::StrCat("process ", pid_, " died (a fault it could not take?)"));
  }
  return err;
}

void Executor::Exit() {
  if (pid_ <= 0) return;
  Command c;
  c.type = Command::kExit;
  (void)Run(c);
  waitpid(pid_, nullptr, 0);
  cleanup::Forget(pid_);
  pid_ = -1;
}

}  // namespace mmreplay::capture
