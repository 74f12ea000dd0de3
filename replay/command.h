// The command-line framework of mmreplay: each subcommand is a Command with
// a name, a usage line, help text, a flag table and Run(). main() only
// dispatches. Flags are parsed per command from the table (no process-wide
// flag registry).
#ifndef MMREPLAY_REPLAY_COMMAND_H_
#define MMREPLAY_REPLAY_COMMAND_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mmreplay::replay {

// Exit codes, as GNU diff has them.
inline constexpr int kExitOk = 0;         // success, or no difference
inline constexpr int kExitDifferent = 1;  // differences, or failed checks
inline constexpr int kExitTrouble = 2;    // usage, bad input, I/O

struct FlagSpec {
  // "--check" or "-o".
  std::string name;
  // A second spelling ("--output" for "-o"), or empty.
  std::string alias;
  // Empty for a boolean flag, else the value's name in help ("FILE").
  std::string value;
  std::string help;
  // For a flag whose value may be left out (--summary, --summary=json): the
  // value it then has. Such a value is given only inline, after '='.
  std::string implicit = "";
};

class Args {
 public:
  const std::vector<std::string>& positional() const { return positional_; }
  bool Has(absl::string_view flag) const;
  // The flag's value, or `fallback` if it was not given.
  std::string Get(absl::string_view flag, absl::string_view fallback) const;
  // The flag's value as a number; InvalidArgument names the flag.
  absl::StatusOr<uint64_t> GetUint(absl::string_view flag,
                                   uint64_t fallback) const;

 private:
  friend class Command;
  std::vector<std::string> positional_;
  absl::btree_map<std::string, std::string> flags_;
};

class Command {
 public:
  virtual ~Command() = default;
  // "replay".
  virtual absl::string_view name() const = 0;
  // One line for the command list.
  virtual absl::string_view summary() const = 0;
  // Arguments after the name: "TRACE [-o LOG] [--check]".
  virtual absl::string_view usage() const = 0;
  // Paragraphs for --help after the flag list.
  virtual absl::string_view details() const = 0;
  virtual std::vector<FlagSpec> flags() const = 0;
  // Positional argument counts accepted.
  virtual int min_positional() const = 0;
  virtual int max_positional() const = 0;
  // Runs the command: kExitOk or kExitDifferent, or an error (exit 2, the
  // message printed as "mmreplay: <name>: <message>").
  virtual absl::StatusOr<int> Run(const Args& args) = 0;

  // Parses argv (after the command name), runs, and returns the exit code.
  int Main(const std::vector<std::string>& argv);
  // The --help text.
  std::string Help() const;

 private:
  // The exit code of a run that returned `rc`, once stdout is flushed: a
  // failed write to it (a full disk, a closed pipe) is trouble. An error is
  // printed as "mmreplay: <name>: <message>".
  int Finish(absl::StatusOr<int> rc) const;
  // A usage error: one line and the usage, to stderr.
  int UsageError(absl::string_view what) const;
};

// An error if `output` names the same file as `input` (also through a link):
// writing it would destroy the input before it is read whole. "-" (stdout)
// and an output that does not exist yet pass.
absl::Status RefuseOutputOverInput(const std::string& input,
                                   const std::string& output);

// Every subcommand, in help order.
std::vector<std::unique_ptr<Command>> AllCommands();

// The version string of --version.
inline constexpr absl::string_view kVersion = "mmreplay 0.1.0";

}  // namespace mmreplay::replay

#endif  // MMREPLAY_REPLAY_COMMAND_H_
