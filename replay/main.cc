// mmreplay: replays memory-management workloads through a model of Linux
// large-folio handling. main() only dispatches to a subcommand.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "google/protobuf/stubs/logging.h"
#include "replay/command.h"
#include "replay/commands.h"

namespace mmreplay::replay {

std::vector<std::unique_ptr<Command>> AllCommands() {
  std::vector<std::unique_ptr<Command>> all;
  all.push_back(NewReplayCommand());
  all.push_back(NewDiffCommand());
  all.push_back(NewCompareCommand());
  all.push_back(NewConvertCommand());
  all.push_back(NewStatsCommand());
  all.push_back(NewGenCommand());
  all.push_back(NewLogCommand());
  return all;
}

namespace {

std::string TopHelp() {
  std::string out =
      "usage: mmreplay COMMAND [ARGS...]\n\n"
      "Replays memory-management traces through a deterministic model of\n"
      "Linux large-folio handling (buddy allocator, folios, page tables,\n"
      "page cache, deferred split, folio split, khugepaged collapse,\n"
      "compaction) and diffs the event logs.\n"
      "\ncommands:\n";
  for (const auto& c : AllCommands()) {
    out += absl::StrFormat("  %-9s %s\n", c->name(), c->summary());
  }
  out +=
      "\n'mmreplay COMMAND --help' shows a command's flags and examples.\n"
      "\nexit status:\n"
      "  0  success; for diff, the logs are equal\n"
      "  1  diff found differences, or replay --check found an expectation\n"
      "     the model did not meet\n"
      "  2  trouble: bad usage, a bad trace or log (the message names the\n"
      "     file, record and field), or an I/O error\n"
      "\ndocs: README.md, traces/FORMAT.md, docs/event-log.md\n";
  return out;
}

}  // namespace

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(TopHelp().c_str(), stderr);
    return kExitTrouble;
  }
  std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fputs(TopHelp().c_str(), stdout);
    return kExitOk;
  }
  if (cmd == "--version") {
    std::printf("%s\n", std::string(kVersion).c_str());
    return kExitOk;
  }
  for (const auto& c : AllCommands()) {
    if (c->name() == cmd) {
      return c->Main(std::vector<std::string>(argv + 2, argv + argc));
    }
  }
  std::fprintf(stderr,
               "mmreplay: unknown command '%s'\nTry 'mmreplay --help'.\n",
               cmd.c_str());
  return kExitTrouble;
}

}  // namespace mmreplay::replay

int main(int argc, char** argv) {
  // Every error reaches the user as one line from the command; protobuf's
  // own log lines (invalid UTF-8 in a string field, say) would add more.
  google::protobuf::SetLogHandler(nullptr);
  return mmreplay::replay::Main(argc, argv);
}
