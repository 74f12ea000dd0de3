// mmreplay diff streams: its peak memory stays far below the size of
// either side's text. Two traces of half a GiB of small pages faulted in
// and zapped, over and over (about 400 MiB of log text each), are replayed
// into .mme logs; then `mmreplay diff TRACE LOG` (one side replayed on the
// fly) and `mmreplay diff A.mme B.mme` (a planted difference at the last
// op; plain and with --ignore pfn) run as child processes whose peak RSS
// (wait4) must stay under kBoundMiB. A diff that held a whole side as text
// would need several times that.
//
// Skipped under ASan, whose shadow memory and quarantine inflate RSS.
//
// usage: diff_memory_test MMREPLAY
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "proto/trace.pb.h"
#include "replay/log_reader.h"
#include "trace/trace_writer.h"

#if defined(__SANITIZE_ADDRESS__)
#define MMREPLAY_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MMREPLAY_ASAN 1
#endif
#endif

namespace mmreplay::replay {
namespace {

constexpr uint64_t kBoundMiB = 96;
constexpr uint64_t kRangeBytes = 512ull << 20;
constexpr uint64_t kAddr = 0x7f0000000000;
constexpr int kRounds = 9;

int failures = 0;

void Expect(bool ok, const std::string& what) {
  if (ok) return;
  std::fprintf(stderr, "FAIL: %s\n", what.c_str());
  ++failures;
}

// A trace that faults in and zaps kRangeBytes of small pages kRounds times;
// `short_last` zaps one page less the last time.
void WriteTrace(const std::string& path, bool short_last) {
  auto writer = trace::TraceWriter::Create(path);
  if (!writer.ok()) std::abort();
  Header h;
  h.set_format_version(1);
  h.mutable_machine()->set_total_pages(262144);
  h.mutable_profile()->set_name("linux-6.18");
  if (!(*writer)->WriteHeader(h).ok()) std::abort();
  auto write = [&](const Op& op) {
    if (!(*writer)->Write(op).ok()) std::abort();
  };
  Op op;
  op.mutable_process_create()->set_pid(1);
  write(op);
  op.Clear();
  MmapAnon* mmap = op.mutable_mmap_anon();
  mmap->set_pid(1);
  mmap->set_addr(kAddr);
  mmap->set_length_bytes(kRangeBytes);
  mmap->set_prot(3);
  mmap->set_flags(2);
  write(op);
  auto madvise = [&](Advice advice, uint64_t length) {
    Op m;
    m.mutable_madvise()->set_pid(1);
    m.mutable_madvise()->set_addr(kAddr);
    m.mutable_madvise()->set_length_bytes(length);
    m.mutable_madvise()->set_advice(advice);
    write(m);
  };
  madvise(ADVICE_NOHUGEPAGE, kRangeBytes);
  for (int round = 0; round < kRounds; ++round) {
    op.Clear();
    Touch* touch = op.mutable_touch();
    touch->set_pid(1);
    touch->set_addr(kAddr);
    touch->set_length_bytes(kRangeBytes);
    touch->set_access(ACCESS_WRITE);
    write(op);
    const bool last = round == kRounds - 1;
    madvise(ADVICE_DONTNEED, kRangeBytes - (last && short_last ? 4096 : 0));
  }
  if (!(*writer)->Commit().ok()) std::abort();
}

struct Run {
  int exit_status = -1;
  uint64_t max_rss_mib = 0;
  std::string out;
};

// Runs argv with stdout to a file; its exit status, peak RSS and stdout.
Run RunChild(const std::vector<std::string>& argv, const std::string& dir) {
  const std::string out_path = dir + "/child.out";
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    std::vector<char*> args;
    for (const std::string& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  Run run;
  int status = 0;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) != pid) std::abort();
  run.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.max_rss_mib = static_cast<uint64_t>(ru.ru_maxrss) / 1024;
  std::ifstream in(out_path);
  std::stringstream ss;
  ss << in.rdbuf();
  run.out = ss.str();
  return run;
}

// Bytes of the log's text form.
uint64_t TextBytes(const std::string& path) {
  auto log = LogReader::Open(path);
  if (!log.ok()) std::abort();
  uint64_t bytes = 0;
  absl::string_view line;
  while ((*log)->Next(&line)) bytes += line.size() + 1;
  if (!(*log)->status().ok()) std::abort();
  return bytes;
}

}  // namespace
}  // namespace mmreplay::replay

int main(int argc, char** argv) {
  using namespace mmreplay::replay;
#ifdef MMREPLAY_ASAN
  std::printf("skipped: ASan inflates RSS\n");
  return 0;
#endif
  if (argc != 2) {
    std::fprintf(stderr, "usage: diff_memory_test MMREPLAY\n");
    return 2;
  }
  const std::string mm = argv[1];
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = tmp != nullptr ? tmp : "/tmp";
  const std::string a = dir + "/a.mmt", b = dir + "/b.mmt";
  WriteTrace(a, false);
  WriteTrace(b, true);
  for (const std::string& t : {a, b}) {
    Run r = RunChild({mm, "replay", t, "-o", t + ".mme"}, dir);
    Expect(r.exit_status == 0, "replay " + t);
  }
  const uint64_t text_mib = TextBytes(a + ".mme") >> 20;
  std::printf("text of one side: %llu MiB; bound: %llu MiB\n",
              static_cast<unsigned long long>(text_mib),
              static_cast<unsigned long long>(kBoundMiB));
  // The test means something only if a whole side would not fit.
  Expect(text_mib > 3 * kBoundMiB, "the log text is too small for the test");

  Run same = RunChild({mm, "diff", a, a + ".mme"}, dir);
  std::printf("diff TRACE LOG: exit %d, peak RSS %llu MiB\n", same.exit_status,
              static_cast<unsigned long long>(same.max_rss_mib));
  Expect(same.exit_status == 0, "diff of a trace and its log: not equal");
  Expect(same.max_rss_mib < kBoundMiB, "diff TRACE LOG: peak RSS over bound");

  Run differ = RunChild({mm, "diff", a + ".mme", b + ".mme"}, dir);
  std::printf("diff A.mme B.mme: exit %d, peak RSS %llu MiB\n",
              differ.exit_status,
              static_cast<unsigned long long>(differ.max_rss_mib));
  Expect(differ.exit_status == 1, "diff of different logs: not exit 1");
  Expect(absl::StrContains(
             differ.out,
             absl::StrCat(2 * kRounds, " ops compared, 1 differ (first op ",
                          3 + 2 * kRounds, ",")),
         "diff of different logs: summary\n" + differ.out.substr(0, 2000));
  Expect(differ.max_rss_mib < kBoundMiB,
         "diff A.mme B.mme: peak RSS over bound");

  // --ignore pfn names every folio of both logs as it goes.
  Run named =
      RunChild({mm, "diff", "--ignore", "pfn", a + ".mme", b + ".mme"}, dir);
  std::printf("diff --ignore pfn A.mme B.mme: exit %d, peak RSS %llu MiB\n",
              named.exit_status,
              static_cast<unsigned long long>(named.max_rss_mib));
  Expect(named.exit_status == 1, "diff --ignore pfn: not exit 1");
  Expect(absl::StrContains(
             named.out,
             absl::StrCat(2 * kRounds, " ops compared, 1 differ (first op ",
                          3 + 2 * kRounds, ",")),
         "diff --ignore pfn: summary\n" + named.out.substr(0, 2000));
  Expect(named.max_rss_mib < kBoundMiB,
         "diff --ignore pfn A.mme B.mme: peak RSS over bound");
  return failures == 0 ? 0 : 1;
}
