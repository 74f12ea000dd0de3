#include "replay/command.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace mmreplay::replay {
namespace {

// Everything a command printed reached stdout: a full disk or a closed pipe
// is trouble, not success.
absl::Status FlushStdout() {
  if (std::fflush(stdout) != 0) {
    return absl::UnavailableError(
        absl::StrCat("standard output: ", strerror(errno)));
  }
  if (std::ferror(stdout)) {
    return absl::UnavailableError("standard output: write error");
  }
  return absl::OkStatus();
}

}  // namespace

bool Args::Has(absl::string_view flag) const {
  return flags_.find(std::string(flag)) != flags_.end();
}

std::string Args::Get(absl::string_view flag,
                      absl::string_view fallback) const {
  auto it = flags_.find(std::string(flag));
  return it == flags_.end() ? std::string(fallback) : it->second;
}

absl::StatusOr<uint64_t> Args::GetUint(absl::string_view flag,
                                       uint64_t fallback) const {
  auto it = flags_.find(std::string(flag));
  if (it == flags_.end()) return fallback;
  uint64_t v;
  if (!absl::SimpleAtoi(it->second, &v)) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": expected a non-negative integer, got '", it->second, "'"));
  }
  return v;
}

absl::Status RefuseOutputOverInput(const std::string& input,
                                   const std::string& output) {
  struct stat in, out;
  if (output == "-" || stat(input.c_str(), &in) != 0 ||
      stat(output.c_str(), &out) != 0) {
    return absl::OkStatus();
  }
  if (in.st_dev != out.st_dev || in.st_ino != out.st_ino) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(output, ": the output is the input ", input,
                   "; refusing to overwrite it"));
}

std::string Command::Help() const {
  std::string out = absl::StrCat("usage: mmreplay ", name(), " ", usage(),
                                 "\n\n", summary(), "\n");
  std::vector<FlagSpec> specs = flags();
  specs.push_back({"--help", "-h", "", "show this help and exit"});
  absl::StrAppend(&out, "\nflags:\n");
  for (const FlagSpec& f : specs) {
    std::string spelled = f.name;
    if (!f.alias.empty()) spelled = absl::StrCat(f.alias, ", ", f.name);
    if (!f.implicit.empty()) {
      absl::StrAppend(&spelled, "[=", f.value, "]");
    } else if (!f.value.empty()) {
      absl::StrAppend(&spelled, " ", f.value);
    }
    absl::StrAppend(&out, absl::StrFormat("  %-24s %s\n", spelled, f.help));
  }
  absl::StrAppend(&out, "\n", details());
  return out;
}

int Command::UsageError(absl::string_view what) const {
  std::fprintf(stderr,
               "mmreplay %s: %s\nusage: mmreplay %s %s\nTry 'mmreplay %s "
               "--help' for more information.\n",
               std::string(name()).c_str(), std::string(what).c_str(),
               std::string(name()).c_str(), std::string(usage()).c_str(),
               std::string(name()).c_str());
  return kExitTrouble;
}

int Command::Main(const std::vector<std::string>& argv) {
  Args args;
  std::vector<FlagSpec> specs = flags();
  bool only_positional = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (only_positional || a == "-" || a.empty() || a[0] != '-') {
      args.positional_.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positional = true;
      continue;
    }
    if (a == "--help" || a == "-h") {
      std::fputs(Help().c_str(), stdout);
      return Finish(kExitOk);
    }
    std::string flag = a, value;
    bool inline_value = false;
    if (size_t eq = a.find('='); absl::StartsWith(a, "--") && eq != a.npos) {
      flag = a.substr(0, eq);
      value = a.substr(eq + 1);
      inline_value = true;
    }
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& f : specs) {
      if (f.name == flag || f.alias == flag) spec = &f;
    }
    if (spec == nullptr)
      return UsageError(absl::StrCat("unknown flag '", flag, "'"));
    if (spec->value.empty()) {
      if (inline_value) {
        return UsageError(absl::StrCat("flag '", flag, "' takes no value"));
      }
    } else if (!inline_value && !spec->implicit.empty()) {
      value = spec->implicit;
    } else if (!inline_value) {
      if (i + 1 == argv.size()) {
        return UsageError(absl::StrCat("flag '", flag, "' needs a value (",
                                       spec->value, ")"));
      }
      value = argv[++i];
    }
    args.flags_[spec->name] = value;
  }
  int n = static_cast<int>(args.positional_.size());
  if (n < min_positional()) return UsageError("missing arguments");
  if (n > max_positional()) {
    return UsageError(absl::StrCat("unexpected argument '",
                                   args.positional_[max_positional()], "'"));
  }
  return Finish(Run(args));
}

int Command::Finish(absl::StatusOr<int> rc) const {
  absl::Status flushed = FlushStdout();
  if (rc.ok() && !flushed.ok()) rc = flushed;
  if (!rc.ok()) {
    std::fprintf(stderr, "mmreplay: %s: %s\n", std::string(name()).c_str(),
                 std::string(rc.status().message()).c_str());
    return kExitTrouble;
  }
  return *rc;
}

}  // namespace mmreplay::replay
