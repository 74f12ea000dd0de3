#include "capture/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>

namespace mmreplay::capture::cleanup {
namespace {

constexpr int kMaxEntries = 256;
constexpr int kExitWaitMs = 10000;
constexpr int kMaxText = 512;

struct Restore {
  char path[kMaxText];
  char value[kMaxText];
};

Restore g_restore[kMaxEntries];
int g_nrestore = 0;
int g_pidfds[kMaxEntries];  // -1: a free slot
volatile sig_atomic_t g_npidfds = 0;
char g_mounts[kMaxEntries][kMaxText];
int g_nmounts = 0;
char g_dirs[kMaxEntries][kMaxText];
int g_ndirs = 0;
volatile sig_atomic_t g_running = 0;

void Copy(char* dst, const std::string& src) {
  size_t n = src.size() < kMaxText - 1 ? src.size() : kMaxText - 1;
  memcpy(dst, src.data(), n);
  dst[n] = '\0';
}

void OnSignal(int sig) {
  RunAll();
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace

void Install() {
  static bool done = false;
  if (done) return;
  done = true;
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = OnSignal;
    // The others wait while one runs the cleanup.
    sigemptyset(&sa.sa_mask);
    for (int other : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&sa.sa_mask, other);
    sigaction(sig, &sa, nullptr);
  }
}

void RestoreFile(const std::string& path, const std::string& value) {
  for (int i = 0; i < g_nrestore; ++i) {
    if (path == g_restore[i].path) return;
  }
  if (g_nrestore == kMaxEntries) return;
  Copy(g_restore[g_nrestore].path, path);
  Copy(g_restore[g_nrestore].value, value);
  ++g_nrestore;
}

void KillAtEnd(int pidfd) {
  for (int i = 0; i < g_npidfds; ++i) {
    if (g_pidfds[i] < 0) {
      g_pidfds[i] = pidfd;
      return;
    }
  }
  if (g_npidfds == kMaxEntries) return;
  g_pidfds[g_npidfds] = pidfd;
  // A signal handler sees the entry before the count that covers it.
  std::atomic_signal_fence(std::memory_order_release);
  g_npidfds = g_npidfds + 1;
}

void Forget(int pidfd) {
  for (int i = 0; i < g_npidfds; ++i) {
    if (g_pidfds[i] == pidfd) g_pidfds[i] = -1;
  }
}

void UnmountAtEnd(const std::string& dir) {
  if (g_nmounts < kMaxEntries) Copy(g_mounts[g_nmounts++], dir);
}

void RemoveAtEnd(const std::string& dir) {
  if (g_ndirs < kMaxEntries) Copy(g_dirs[g_ndirs++], dir);
}

void RunAll() {
  if (g_running) return;
  // A signal now waits until the cleanup is done (in the handler they are
  // blocked already).
  sigset_t block, was;
  sigemptyset(&block);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&block, sig);
  sigprocmask(SIG_BLOCK, &block, &was);
  g_running = 1;
  for (int i = 0; i < g_npidfds; ++i) {
    if (g_pidfds[i] < 0) continue;
    syscall(SYS_pidfd_send_signal, g_pidfds[i], SIGKILL, nullptr, 0);
    // Readable once it has exited (SIGKILL takes moments; a process stuck
    // in the kernel is not waited for past kExitWaitMs); a child of ours
    // is then reaped.
    struct pollfd p = {g_pidfds[i], POLLIN, 0};
    while (poll(&p, 1, kExitWaitMs) < 0 && errno == EINTR) {
    }
    siginfo_t info;
    waitid(P_PIDFD, static_cast<id_t>(g_pidfds[i]), &info, WEXITED | WNOHANG);
  }
  g_npidfds = 0;
  // Restore in reverse order of registration.
  for (int i = g_nrestore - 1; i >= 0; --i) {
    int fd = open(g_restore[i].path, O_WRONLY);
    if (fd >= 0) {
      ssize_t ignored =
          write(fd, g_restore[i].value, strlen(g_restore[i].value));
      (void)ignored;
      close(fd);
    }
  }
  g_nrestore = 0;
  for (int i = g_nmounts - 1; i >= 0; --i) umount2(g_mounts[i], MNT_DETACH);
  g_nmounts = 0;
  for (int i = g_ndirs - 1; i >= 0; --i) rmdir(g_dirs[i]);
  g_ndirs = 0;
  g_running = 0;
  sigprocmask(SIG_SETMASK, &was, nullptr);
}

}  // namespace mmreplay::capture::cleanup
