// The plain fuzz driver, for builds without libFuzzer (gcc, ./test): runs
// LLVMFuzzerTestOneInput on every file named (or in every directory named),
// then on deterministic mutations of each, until --mutations per file are
// done or --max-seconds have passed. The same flags give the same inputs
// on every machine. An input that crashes is written to
// $TEST_UNDECLARED_OUTPUTS_DIR/crash-input (or ./crash-input) first.
//
// One input running longer than --timeout seconds (default 10) is a hang
// and is saved the same way.
//
//   X_fuzz_test [--mutations N] [--seed S] [--max-seconds T] [--timeout T]
//               PATH...
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_target.h"

namespace {

// The input being run, and where the crash handler writes it.
const std::string* g_input = nullptr;
char g_crash_path[4096];

// open() and write() are async-signal-safe.
void OnCrash(int sig) {
  if (g_input != nullptr) {
    const int fd = open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ssize_t ignored = write(fd, g_input->data(), g_input->size());
      (void)ignored;
      close(fd);
      const char msg[] = "fuzz: the crashing input is in crash-input\n";
      ignored = write(2, msg, sizeof msg - 1);
    }
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

// Seconds one input may run before it counts as a hang (libFuzzer's
// -timeout): SIGALRM then saves it as a crash.
unsigned g_input_seconds = 10;

void Run(const std::string& input) {
  g_input = &input;
  alarm(g_input_seconds);
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()),
                         input.size());
  alarm(0);
  g_input = nullptr;
}

std::vector<std::string> Files(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    fprintf(stderr, "fuzz: %s: %s\n", path.c_str(), strerror(errno));
    exit(2);
  }
  if (!S_ISDIR(st.st_mode)) return {path};
  std::vector<std::string> out;
  DIR* d = opendir(path.c_str());
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') out.push_back(path + "/" + e->d_name);
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

// One of a few mutations libFuzzer's own mutators make, chosen by `rng`:
// bit flips, special bytes, erased, repeated or swapped spans, numbers
// swapped for boundary values, truncation.
std::string Mutate(std::string s, std::mt19937_64& rng) {
  auto below = [&](uint64_t n) { return n == 0 ? 0 : rng() % n; };
  const int rounds = 1 + below(3);
  for (int r = 0; r < rounds; ++r) {
    const size_t n = s.size();
    switch (below(7)) {
      case 0:
        if (n > 0) s[below(n)] ^= static_cast<char>(1u << below(8));
        break;
      case 1: {
        static const char kSpecial[] = {'\0', '\xff', '\n',   ' ',
                                        '{',  '}',    '"',    ':',
                                        '-',  '9',    '\x80', '\x7f'};
        if (n > 0) s[below(n)] = kSpecial[below(sizeof kSpecial)];
        break;
      }
      case 2: {
        const size_t at = below(n + 1),
                     len = below(std::min<size_t>(n - at, 64) + 1);
        s.erase(at, len);
        break;
      }
      case 3: {
        const size_t at = below(n + 1),
                     len = below(std::min<size_t>(n - at, 64) + 1);
        s.insert(below(n + 1), s.substr(at, len));
        break;
      }
      case 4: {
        // A run of digits becomes a boundary value.
        static const char* kNumbers[] = {"0",
                                         "1",
                                         "4096",
                                         "4294967295",
                                         "4294967296",
                                         "18446744073709551615",
                                         "9223372036854775807",
                                         "0x7ffffffff000",
                                         "-1",
                                         "513",
                                         "1023"};
        size_t at = below(n + 1);
        while (at < n && !isdigit(static_cast<unsigned char>(s[at]))) ++at;
        size_t end = at;
        while (end < n && isalnum(static_cast<unsigned char>(s[end]))) ++end;
        if (at < n) s.replace(at, end - at, kNumbers[below(11)]);
        break;
      }
      case 5:
        s.resize(below(n + 1));
        break;
      default:
        if (n > 1) std::swap(s[below(n)], s[below(n)]);
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  LLVMFuzzerInitialize(&argc, &argv);
  uint64_t mutations = 200, seed = 1, max_seconds = 20;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--timeout" && i + 1 < argc) {
      g_input_seconds = static_cast<unsigned>(strtoul(argv[++i], nullptr, 10));
    } else if ((a == "--mutations" || a == "--seed" || a == "--max-seconds") &&
               i + 1 < argc) {
      uint64_t v = strtoull(argv[++i], nullptr, 10);
      (a == "--mutations" ? mutations : a == "--seed" ? seed : max_seconds) = v;
    } else {
      paths.push_back(a);
    }
  }
  const char* out = getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  snprintf(g_crash_path, sizeof g_crash_path, "%s/crash-input",
           out != nullptr ? out : ".");
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGALRM})
    signal(sig, OnCrash);
  std::vector<std::string> inputs;
  for (const std::string& p : paths) {
    for (const std::string& f : Files(p)) {
      std::ifstream in(f, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      inputs.push_back(ss.str());
    }
  }
  const auto start = std::chrono::steady_clock::now();
  uint64_t runs = 0;
  for (const std::string& input : inputs) {
    Run(input);
    ++runs;
  }
  std::mt19937_64 rng(seed);
  bool timed_out = false;
  for (uint64_t m = 0; m < mutations && !timed_out; ++m) {
    for (const std::string& input : inputs) {
      Run(Mutate(input, rng));
      ++runs;
      if (std::chrono::steady_clock::now() - start >
          std::chrono::seconds(max_seconds)) {
        timed_out = true;
        break;
      }
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  printf("fuzz: %zu inputs, %llu executions in %.1f s%s\n", inputs.size(),
         static_cast<unsigned long long>(runs), secs,
         timed_out ? " (time limit reached)" : "");
  return 0;
}
