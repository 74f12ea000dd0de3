// mmcapture: runs a trace on the live kernel and records what the kernel did
// (docs/capture.md).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "capture/capture.h"
#include "capture/cleanup.h"

namespace mmreplay::capture {
namespace {

constexpr char kUsage[] = "usage: mmcapture TRACE -o OUT [--repeat N]\n";

constexpr char kHelp[] = R"(usage: mmcapture TRACE -o OUT [--repeat N]

Runs the ops of TRACE (.textproto or .mmt) on this machine's live kernel, in
child processes, and writes OUT: the same ops, each followed by what the
kernel showed after it (docs/capture.md):
  - the folio layout of every range the trace maps and of every file it
    creates (pagemap + kpageflags; PMD mappings by PAGEMAP_SCAN);
  - the THP counters (/proc/vmstat thp_*, hugepages-<N>kB/stats/*), as
    changes since the trace started.
TRACE's own expectation records are dropped and captured anew. The header
gets the kernel release, the date and every THP knob as sysfs showed it.

The whole trace runs N times (--repeat, default 3) in fresh processes; an
expectation that was not the same every time is kept but marked unstable,
and `mmreplay replay --check` skips it. Differences are listed on stderr.

One capture runs at a time on a machine (the THP knobs are global): a
second waits for the first (lock /run/mmcapture.lock).

Needs root, tracefs (mounted if it is not) and /proc/kpageflags. Every sysfs
knob is recorded before it is written and restored at the end, also on
SIGINT, SIGTERM and SIGHUP; tmpfs files live in private mounts under /tmp
that are removed at the end.

Traces for the live kernel should map at addresses far from mmcapture's own
(0x200000000000 and up) and use only what user space can do: no speculative
references, no split requests (debugfs is locked down), pins only as
PIN_KIND_VMSPLICE or PIN_KIND_FOLL_PIN (an io_uring registered buffer),
compaction only as COMPACT_MODE_MEMORY. A process_fork is a fork() in the
parent's process; the child is observed over the parent's ranges.

exit status: 0 captured (even with unstable expectations), 2 trouble.
)";

// Held while a capture runs (flock): one capture at a time per machine.
constexpr char kLockPath[] = "/run/mmcapture.lock";

int Trouble(const std::string& what) {
  fprintf(stderr, "mmcapture: %s\n", what.c_str());
  return 2;
}

// tracefs at /sys/kernel/tracing, mounting it if needed.
bool HaveTracefs() {
  const char* dir = "/sys/kernel/tracing";
  if (access("/sys/kernel/tracing/trace", F_OK) == 0) return true;
  if (mount("tracefs", dir, "tracefs", 0, nullptr) != 0) return false;
  cleanup::UnmountAtEnd(dir);
  return access("/sys/kernel/tracing/trace", F_OK) == 0;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string trace, out;
  int repeat = 3;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      fputs(kHelp, stdout);
      return 0;
    }
    if (a == "-o" || a == "--output" || a == "--repeat") {
      if (i + 1 == args.size()) {
        fprintf(stderr, "mmcapture: flag '%s' needs a value\n%s", a.c_str(),
                kUsage);
        return 2;
      }
      const std::string& v = args[++i];
      if (a == "--repeat") {
        if (!absl::SimpleAtoi(v, &repeat) || repeat < 1 || repeat > 100) {
          return Trouble("--repeat: must be 1..100");
        }
      } else {
        out = v;
      }
    } else if (!a.empty() && a[0] == '-') {
      fprintf(stderr, "mmcapture: unknown flag '%s'\n%s", a.c_str(), kUsage);
      return 2;
    } else if (trace.empty()) {
      trace = a;
    } else {
      fprintf(stderr, "mmcapture: unexpected argument '%s'\n%s", a.c_str(),
              kUsage);
      return 2;
    }
  }
  if (trace.empty() || out.empty()) {
    fprintf(stderr, "mmcapture: missing arguments\n%s", kUsage);
    return 2;
  }
  if (geteuid() != 0) {
    return Trouble(
        "must run as root: it reads PFNs and page flags and writes "
        "sysfs knobs");
  }
  if (access("/proc/kpageflags", R_OK) != 0) {
    return Trouble("/proc/kpageflags is not readable: cannot see folios");
  }
  // The THP knobs are the machine's: two captures at once would set them
  // under each other (a trace's per-size "never" while another's faults
  // expect "inherit"), and each would record the other's faults. One at a
  // time; the lock goes with the process.
  const int lock = open(kLockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0) {
    return Trouble(absl::StrCat(kLockPath, ": ", strerror(errno)));
  }
  if (flock(lock, LOCK_EX | LOCK_NB) != 0) {
    fprintf(stderr, "mmcapture: waiting for another mmcapture to finish\n");
    if (flock(lock, LOCK_EX) != 0) {
      return Trouble(absl::StrCat(kLockPath, ": ", strerror(errno)));
    }
  }
  cleanup::Install();
  // Keep khugepaged away from mmcapture's own mappings (the file views it
  // maps to read layouts): it could collapse a file range while a trace
  // runs. The processes that run the trace turn THP back on.
  prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
  if (!HaveTracefs()) {
    cleanup::RunAll();
    return Trouble("tracefs is not available at /sys/kernel/tracing");
  }
  CaptureOptions options;
  options.repeat = repeat;
  CaptureReport report;
  absl::Status s = Capture(trace, out, options, &report);
  cleanup::RunAll();
  for (const std::string& w : report.warnings) {
    fprintf(stderr, "mmcapture: %s: warning: %s\n", trace.c_str(), w.c_str());
  }
  if (!s.ok()) return Trouble(std::string(s.message()));
  for (const std::string& d : report.differences) {
    fprintf(stderr, "mmcapture: %s: unstable %s\n", trace.c_str(), d.c_str());
  }
  fprintf(stderr,
          "mmcapture: %s: %llu ops, %llu expectations, %llu unstable, %d "
          "runs\n",
          out.c_str(), static_cast<unsigned long long>(report.ops),
          static_cast<unsigned long long>(report.expectations),
          static_cast<unsigned long long>(report.unstable), repeat);
  return 0;
}

}  // namespace
}  // namespace mmreplay::capture

int main(int argc, char** argv) { return mmreplay::capture::Main(argc, argv); }
