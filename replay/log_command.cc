// mmreplay log print LOG [-o OUT]: the text of an event log in any form.
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "replay/commands.h"
#include "replay/event_log.h"
#include "replay/log_reader.h"
#include "trace/output_file.h"
#include "trace/trace_format.h"

namespace mmreplay::replay {
namespace {

class LogCommand : public Command {
 public:
  absl::string_view name() const override { return "log"; }
  absl::string_view summary() const override {
    return "Print an event log (text, .log.zst or .mme) as text.";
  }
  absl::string_view usage() const override { return "print LOG [-o OUT]"; }
  std::vector<FlagSpec> flags() const override {
    return {
        {"--output", "-o", "OUT",
         "write the text to OUT (default: stdout); OUT.zst is compressed"},
    };
  }
  absl::string_view details() const override {
    return R"(LOG is an event log in any of its forms, told apart by its content: text,
text compressed with zstd, or the binary log (.mme) that `mmreplay replay
-o x.mme` writes. `log print` writes its text form, byte for byte what
`mmreplay replay` writes as text, checking the log as it reads: a log cut
short or corrupt, or a file that is no log (a trace), is refused with one
line naming the file and what is wrong. `mmreplay convert LOG OUT` does the
same. OUT is written whole or not at all.

exit status: 0 printed, 2 trouble.

examples:
  mmreplay replay trace.mmt -o trace.mme && mmreplay log print trace.mme
  mmreplay log print trace.mme -o trace.log.zst
)";
  }
  int min_positional() const override { return 2; }
  int max_positional() const override { return 2; }

  absl::StatusOr<int> Run(const Args& args) override {
    if (args.positional()[0] != "print") {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown action '", args.positional()[0], "' (known: print)"));
    }
    RETURN_IF_ERROR(PrintLog(args.positional()[1], args.Get("--output", "-")));
    return kExitOk;
  }
};

}  // namespace

absl::Status PrintLog(const std::string& input, const std::string& output) {
  RETURN_IF_ERROR(RefuseOutputOverInput(input, output));
  const LogFormat format = LogFormatForPath(output);
  if (trace::FormatForPath(output).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(output,
                     ": a log is printed as text (.log, .log.zst), not as a "
                     "trace"));
  }
  if (format == LogFormat::kBinary) {
    return absl::InvalidArgumentError(absl::StrCat(
        output,
        ": logs are printed as text (.log, .log.zst); a binary log "
        "is written by `mmreplay replay -o x.mme`"));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<LogReader> reader, LogReader::Open(input));
  ASSIGN_OR_RETURN(std::unique_ptr<trace::OutputFile> out,
                   trace::OutputFile::Create(output));
  LogTextWriter text(out.get(), format == LogFormat::kTextZstd);
  absl::string_view line;
  while (reader->Next(&line)) {
    text.buffer().append(line.data(), line.size());
    text.buffer().push_back('\n');
    RETURN_IF_ERROR(text.MaybeFlush());
  }
  RETURN_IF_ERROR(reader->status());
  RETURN_IF_ERROR(text.Finish());
  return out->Commit();
}

std::unique_ptr<Command> NewLogCommand() {
  return std::make_unique<LogCommand>();
}

}  // namespace mmreplay::replay
