#include "capture/executor.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "base/page_geometry.h"
#include "capture/cleanup.h"

namespace mmreplay::capture {
namespace {

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

// A pin: a pipe that vmsplice() filled (fds[0], fds[1]), or an io_uring
// whose registered buffer is the range (fds[0]; fds[1] is -1).
struct PinHolder {
  uint64_t id = 0;
  int fds[2] = {-1, -1};
};

void Release(PinHolder& h) {
  for (int fd : h.fds) {
    if (fd >= 0) close(fd);
  }
  h = PinHolder();
}

// vmsplice() the range into a new pipe: the pipe holds a reference on every
// page (FOLL_GET) until it is closed.
int SplicePin(PinHolder& p, const Command& c) {
  if (pipe(p.fds) != 0) return errno;
  uint64_t pages = c.a[1] / kPageSize;
  // Room for one buffer per page.
  fcntl(p.fds[1], F_SETPIPE_SZ, static_cast<int>(pages * kPageSize));
  struct iovec iov = {reinterpret_cast<void*>(c.a[0]), c.a[1]};
  while (iov.iov_len > 0) {
    ssize_t n = vmsplice(p.fds[1], &iov, 1, 0);
    if (n <= 0) {
      int err = n < 0 ? errno : EAGAIN;
      Release(p);
      return err;
    }
    iov.iov_base = static_cast<char*>(iov.iov_base) + n;
    iov.iov_len -= static_cast<size_t>(n);
  }
  return 0;
}

// io_uring_register(IORING_REGISTER_BUFFERS) of the range into a new ring:
// pin_user_pages(FOLL_PIN | FOLL_WRITE | FOLL_LONGTERM) on every page,
// which sets MMF_HAS_PINNED, until the buffer is unregistered.
int UringPin(PinHolder& p, const Command& c) {
  struct io_uring_params params = {};
  int fd = static_cast<int>(syscall(__NR_io_uring_setup, 1, &params));
  if (fd < 0) return errno;
  p.fds[0] = fd;
  struct iovec iov = {reinterpret_cast<void*>(c.a[0]), c.a[1]};
  if (syscall(__NR_io_uring_register, fd, IORING_REGISTER_BUFFERS, &iov, 1) !=
      0) {
    int err = errno;
    Release(p);
    return err;
  }
  return 0;
}

int Pin(PinHolder* pins, const Command& c) {
  int slot = -1;
  for (int i = 0; i < kMaxPins; ++i) {
    if (pins[i].id == 0) slot = i;
  }
  if (slot < 0) return EMFILE;
  int err = c.a[2] == Command::kPinUring ? UringPin(pins[slot], c)
                                         : SplicePin(pins[slot], c);
  if (err == 0) pins[slot].id = c.a[3];
  return err;
}

int Unpin(PinHolder* pins, const Command& c) {
  for (int i = 0; i < kMaxPins; ++i) {
    if (pins[i].id != c.a[3]) continue;
    // Unregistering unpins at once; closing the ring would leave it to a
    // worker.
    if (pins[i].fds[1] < 0 &&
        syscall(__NR_io_uring_register, pins[i].fds[0],
                IORING_UNREGISTER_BUFFERS, nullptr, 0) != 0) {
      return errno;
    }
    Release(pins[i]);
    return 0;
  }
  return ENOENT;
}

int Execute(const Command& c, PinHolder* pins) {
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
    case Command::kMremap: {
      const int flags = static_cast<int>(c.a[3]);
      void* want =
          (flags & MREMAP_FIXED) ? reinterpret_cast<void*>(c.a[4]) : addr;
      void* p = mremap(addr, length, c.a[2], flags, want);
      if (p == MAP_FAILED) return errno;
      return p == want ? 0 : EEXIST;
    }
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
    case Command::kFork:  // answered by ChildLoop, which hands on a socket
    case Command::kExit:
      return 0;
  }
  return EINVAL;
}

// The answer to a kFork: the errno, the new process's pid and, on success,
// its command socket and a pidfd for it as SCM_RIGHTS.
struct ForkReply {
  int err;
  pid_t pid;
};

bool SendForkReply(int fd, ForkReply reply, const int (&fds)[2]) {
  struct iovec iov = {&reply, sizeof(reply)};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(fds))] = {};
  if (reply.err == 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(fds));
    memcpy(CMSG_DATA(cm), fds, sizeof(fds));
  }
  ssize_t n;
  do {
    n = sendmsg(fd, &msg, 0);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof(reply));
}

// Reads a ForkReply; `fds` gets the socket and the pidfd (-1 where none
// came).
bool RecvForkReply(int fd, ForkReply* reply, int (&fds)[2]) {
  struct iovec iov = {reply, sizeof(*reply)};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(fds))] = {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do {
    n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL);
  } while (n < 0 && errno == EINTR);
  fds[0] = fds[1] = -1;
  for (struct cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm != nullptr;
       cm = CMSG_NXTHDR(&msg, cm)) {
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
        cm->cmsg_len == CMSG_LEN(sizeof(fds))) {
      memcpy(fds, CMSG_DATA(cm), sizeof(fds));
    }
  }
  return n == static_cast<ssize_t>(sizeof(*reply));
}

[[noreturn]] void ChildLoop(int fd);

// In a new process: closes every file it inherited but stdin, stdout,
// stderr and `keep` (mmcapture's ends of other processes' sockets, its
// files), so that a socket's other end closing is an EOF here and an
// unlinked file is not kept open.
void CloseAllBut(int keep) {
  if (keep > 3) close_range(3, static_cast<unsigned>(keep) - 1, 0);
  close_range(static_cast<unsigned>(keep) + 1, ~0u, 0);
}

// pidfd_open(2) by its syscall: Debian's glibc 2.36 declares it without
// extern "C".
int PidfdOpen(pid_t pid) {
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
}

// A kFork in the process: fork(), the child serving a new socket whose
// other end goes to mmcapture, with a pidfd opened here, by the parent.
bool ForkChild(int fd, PinHolder* pins) {
  int sv[2];
  const int none[2] = {-1, -1};
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return SendForkReply(fd, {errno, 0}, none);
  }
  pid_t pid = fork();
  if (pid == 0) {
    // The pins are the parent's: a copy of their pipes would keep them.
    for (int i = 0; i < kMaxPins; ++i) {
      if (pins[i].id != 0) Release(pins[i]);
    }
    CloseAllBut(sv[1]);
    ChildLoop(sv[1]);
  }
  int err = pid < 0 ? errno : 0;
  int pidfd = -1;
  if (pid > 0) {
    // Not reaped before this (ChildLoop reaps only between commands), so
    // the pid is still the child's. Should this fail, closing sv[0] below
    // gives the child its EOF, and it exits.
    pidfd = PidfdOpen(pid);
    if (pidfd < 0) err = errno;
  }
  close(sv[1]);
  const int fds[2] = {sv[0], pidfd};
  bool ok = SendForkReply(fd, {err, pid}, err == 0 ? fds : none);
  close(sv[0]);
  if (pidfd >= 0) close(pidfd);
  return ok;
}

// Unregisters every io_uring's buffers, which unpins them at once: at exit
// the kernel would leave that to a worker, some time after the process is
// gone. (The vmsplice pipes close at exit, their page references going
// before the process is reported gone.)
void UnpinUringBuffers(PinHolder* pins) {
  for (int i = 0; i < kMaxPins; ++i) {
    if (pins[i].id == 0 || pins[i].fds[1] >= 0) continue;
    Command c{Command::kUnpin};
    c.a[3] = pins[i].id;
    Unpin(pins, c);
  }
}

// Serves commands until kExit or until mmcapture's end of the socket closes.
// No PR_SET_PDEATHSIG here: a forked process outlives its parent, as in the
// trace; it ends when mmcapture does, which holds the only other end of its
// socket (CloseAllBut), with an EOF.
[[noreturn]] void ChildLoop(int fd) {
  static PinHolder pins[kMaxPins];
  Command c;
  while (ReadFull(fd, &c, sizeof(c))) {
    // Children of a fork report to mmcapture through their pidfds; those
    // that have exited are reaped here, between commands, so that a child's
    // pid is never free while ForkChild opens its pidfd.
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    if (c.type == Command::kFork) {
      if (!ForkChild(fd, pins)) break;
      continue;
    }
    if (c.type == Command::kExit) UnpinUringBuffers(pins);
    int err = Execute(c, pins);
    if (!WriteFull(fd, &err, sizeof(err)) || c.type == Command::kExit) break;
  }
  UnpinUringBuffers(pins);
  _exit(0);
}

}  // namespace

Executor::Executor(pid_t pid, int fd, int pidfd, bool is_child)
    : pid_(pid), fd_(fd), pidfd_(pidfd), is_child_(is_child) {
  cleanup::KillAtEnd(pidfd_);
}

absl::StatusOr<std::unique_ptr<Executor>> Executor::Spawn() {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return absl::InternalError(absl::StrCat("socketpair: ", strerror(errno)));
  }
  fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(sv[0]);
    close(sv[1]);
    return absl::InternalError(absl::StrCat("fork: ", strerror(err)));
  }
  if (pid == 0) {
    CloseAllBut(sv[1]);
    // Die with mmcapture; allow THP, which mmcapture turned off for itself
    // (a fork inherits both settings but the death signal).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0);
    ChildLoop(sv[1]);
  }
  close(sv[1]);
  // Our child: its pid is its own until we reap it.
  int pidfd = PidfdOpen(pid);
  if (pidfd < 0) {
    int err = errno;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    close(sv[0]);
    return absl::InternalError(absl::StrCat("pidfd_open: ", strerror(err)));
  }
  return std::unique_ptr<Executor>(new Executor(pid, sv[0], pidfd, true));
}

absl::StatusOr<std::unique_ptr<Executor>> Executor::Fork() {
  Command c;
  c.type = Command::kFork;
  ForkReply reply;
  int fds[2] = {-1, -1};
  bool answered =
      WriteFull(fd_, &c, sizeof(c)) && RecvForkReply(fd_, &reply, fds);
  if (answered && reply.err == 0 && fds[0] >= 0 && fds[1] >= 0) {
    return std::unique_ptr<Executor>(
        new Executor(reply.pid, fds[0], fds[1], false));
  }
  for (int fd : fds) {
    if (fd >= 0) close(fd);
  }
  if (!answered) {
    return absl::InternalError(absl::StrCat("process ", pid_, " died"));
  }
  return absl::FailedPreconditionError(
      absl::StrCat("fork failed in process ", pid_, ": ",
                   strerror(reply.err != 0 ? reply.err : EPROTO)));
}

void Executor::Wait() {
  struct pollfd p = {pidfd_, POLLIN, 0};
  while (poll(&p, 1, -1) < 0 && errno == EINTR) {
  }
  if (is_child_) waitpid(pid_, nullptr, 0);
  cleanup::Forget(pidfd_);
}

Executor::~Executor() {
  if (pid_ > 0) {
    syscall(SYS_pidfd_send_signal, pidfd_, SIGKILL, nullptr, 0);
    Wait();
  }
  close(fd_);
  close(pidfd_);
}

absl::StatusOr<int> Executor::Run(const Command& cmd) {
  int err = 0;
  if (!WriteFull(fd_, &cmd, sizeof(cmd)) || !ReadFull(fd_, &err, sizeof(err))) {
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
  Wait();
  pid_ = -1;
}

}  // namespace mmreplay::capture
