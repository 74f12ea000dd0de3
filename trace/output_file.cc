#include "trace/output_file.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>

#include "absl/strings/str_cat.h"

namespace mmreplay::trace {
namespace {

// Temporary files not yet committed, for the signal handler to remove. A
// fixed table of C strings: the handler may only call async-signal-safe
// functions. The tool writes at most a couple of files at a time.
constexpr int kMaxPending = 8;
std::array<std::atomic<char*>, kMaxPending> g_pending{};

void RemovePendingAndReraise(int sig) {
  for (std::atomic<char*>& slot : g_pending) {
    char* p = slot.exchange(nullptr);
    if (p != nullptr) unlink(p);
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

void InstallHandlersOnce() {
  static bool installed = [] {
    // Every signal that ends the process and that it can catch: an
    // interrupt, a kill, a closed pipe, a full file size, and the aborts
    // (a CHECK, std::bad_alloc) and faults of a bug.
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGXFSZ, SIGABRT, SIGSEGV,
                    SIGBUS, SIGFPE, SIGILL}) {
      struct sigaction sa;
      memset(&sa, 0, sizeof(sa));
      sa.sa_handler = RemovePendingAndReraise;
      sigaction(sig, &sa, nullptr);
    }
    return true;
  }();
  (void)installed;
}

void Register(const std::string& temp) {
  InstallHandlersOnce();
  for (std::atomic<char*>& slot : g_pending) {
    char* expected = nullptr;
    char* copy = strdup(temp.c_str());
    if (slot.compare_exchange_strong(expected, copy)) return;
    free(copy);
  }
  // Table full: the file is still removed by the destructor.
}

void Unregister(const std::string& temp) {
  for (std::atomic<char*>& slot : g_pending) {
    char* p = slot.load();
    if (p != nullptr && temp == p) {
      if (slot.compare_exchange_strong(p, nullptr)) free(p);
      return;
    }
  }
}

}  // namespace

OutputFile::OutputFile(std::string path, std::string temp, FILE* file)
    : path_(std::move(path)), temp_(std::move(temp)), file_(file) {}

absl::StatusOr<std::unique_ptr<OutputFile>> OutputFile::Create(
    const std::string& path) {
  if (path == "-") {
    return std::unique_ptr<OutputFile>(new OutputFile(path, "", stdout));
  }
  // A device or pipe (/dev/null, a FIFO) is written in place: it cannot be
  // replaced by a rename, and holds nothing to lose.
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    if (S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": is a directory"));
    }
    FILE* file = fopen(path.c_str(), "wb");
    if (file == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": cannot open: ", strerror(errno)));
    }
    return std::unique_ptr<OutputFile>(new OutputFile(path, "", file));
  }
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  // Named to be told apart: ".<name>.mmreplay-partial-XXXXXX". Only a
  // kill -9 (or a power cut) can leave one behind.
  std::string temp = absl::StrCat(dir, "/.", base, ".mmreplay-partial-XXXXXX");
  int fd = mkstemp(temp.data());
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": cannot create: ", strerror(errno)));
  }
  // mkstemp makes the file 0600; give it the mode open(2) would.
  mode_t mask = umask(0);
  umask(mask);
  fchmod(fd, 0666 & ~mask);
  FILE* file = fdopen(fd, "wb");
  if (file == nullptr) {
    int err = errno;
    close(fd);
    unlink(temp.c_str());
    return absl::InternalError(absl::StrCat(path, ": ", strerror(err)));
  }
  Register(temp);
  return std::unique_ptr<OutputFile>(new OutputFile(path, temp, file));
}

OutputFile::~OutputFile() {
  if (file_ != nullptr && file_ != stdout) fclose(file_);
  if (temp_.empty()) return;
  if (!committed_) {
    unlink(temp_.c_str());
    Unregister(temp_);
  }
}

absl::Status OutputFile::IoError(absl::string_view what) const {
  return absl::InternalError(
      absl::StrCat(path_, ": ", what, ": ", strerror(errno)));
}

absl::Status OutputFile::Write(absl::string_view data) {
  if (data.empty()) return absl::OkStatus();
  if (fwrite(data.data(), 1, data.size(), file_) != data.size()) {
    return IoError("write failed");
  }
  return absl::OkStatus();
}

absl::Status OutputFile::Commit() {
  if (fflush(file_) != 0) return IoError("write failed");
  if (temp_.empty()) {
    committed_ = true;
    return absl::OkStatus();
  }
  if (fsync(fileno(file_)) != 0) return IoError("fsync failed");
  int rc = fclose(file_);
  file_ = nullptr;
  if (rc != 0) return IoError("close failed");
  if (rename(temp_.c_str(), path_.c_str()) != 0)
    return IoError("rename failed");
  committed_ = true;
  Unregister(temp_);
  return absl::OkStatus();
}

}  // namespace mmreplay::trace
