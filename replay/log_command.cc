// mmreplay log print LOG [-o OUT]: the text of an event log in any form.
// mmreplay log grep --pfn P|--folio P LOG: the lines about one page or
// folio, followed across the log.
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "replay/commands.h"
#include "replay/event_log.h"
#include "replay/log_grep.h"
#include "replay/log_reader.h"
#include "trace/output_file.h"
#include "trace/trace_format.h"

namespace mmreplay::replay {
namespace {

class LogCommand : public Command {
 public:
  absl::string_view name() const override { return "log"; }
  absl::string_view summary() const override {
    return "Print an event log (text, .log.zst or .mme) as text, or the "
           "lines about one folio.";
  }
  absl::string_view usage() const override {
    return "print LOG [-o OUT] | grep (--pfn P | --folio P) LOG [-o OUT]";
  }
  std::vector<FlagSpec> flags() const override {
    return {
        {"--output", "-o", "OUT",
         "write the text to OUT (default: stdout); OUT.zst is compressed"},
        {"--pfn", "", "P",
         "grep: follow page P (hex 0x200 or decimal): the folio holding it, "
         "through splits and migrations, and each later one"},
        {"--folio", "", "P",
         "grep: follow the folio first named at head PFN P and all its "
         "pieces, from its first line to its last free"},
    };
  }
  absl::string_view details() const override {
    return R"(LOG is an event log in any of its forms, told apart by its content: text,
text compressed with zstd, or the binary log (.mme) that `mmreplay replay
-o x.mme` writes.

log print writes its text form, byte for byte what `mmreplay replay` writes
as text, checking the log as it reads: a log cut short or corrupt, or a
file that is no log (a trace), is refused with one line naming the file and
what is wrong. `mmreplay convert LOG OUT` does the same. OUT is written
whole or not at all.

log grep prints the lines about one folio, followed as its PFNs change, so
that its life reads in one place: the header, then each matching event with
the "# op N: ..." line of its op before the first:

  --pfn P    the page at PFN P: the folio holding it, whichever that is. A
             THP holding P is followed (allocation, maps, pmd_split, ref
             changes, deferred queue, its split); after a split, only the
             piece holding P (its split_piece line names the parent); after
             a migration, P's new place (dst + P's offset in the folio);
             after its free, the next folio over the page where it was
             last.
  --folio P  the folio whose head PFN is P at the first line naming it,
             and every piece split from it (each split_piece line links a
             piece to its parent), under their new PFNs after migrations,
             until the last of them is freed: one folio's whole life.

P is hex with 0x (0x200) or decimal (512), as pfn= shows it in hex.

exit status: print: 0 printed, 2 trouble. grep: 0 lines found, 1 none, 2
trouble (a bad P is one line and exit 2).

examples:
  mmreplay replay trace.mmt -o trace.mme && mmreplay log print trace.mme
  mmreplay log print trace.mme -o trace.log.zst
  mmreplay log grep --pfn 0x205 trace.mme       # page 0x205's folios
  mmreplay log grep --folio 0x200 trace.log     # the THP at 0x200 and its pieces
)";
  }
  int min_positional() const override { return 2; }
  int max_positional() const override { return 2; }

  absl::StatusOr<int> Run(const Args& args) override {
    const std::string& action = args.positional()[0];
    const bool pfn = args.Has("--pfn"), folio = args.Has("--folio");
    if (action == "print") {
      if (pfn || folio) {
        return absl::InvalidArgumentError(
            "--pfn and --folio are for log grep, not log print");
      }
      RETURN_IF_ERROR(
          PrintLog(args.positional()[1], args.Get("--output", "-")));
      return kExitOk;
    }
    if (action != "grep") {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown action '", action, "' (known: print, grep)"));
    }
    if (pfn == folio) {
      return absl::InvalidArgumentError(
          "log grep: give one of --pfn P and --folio P");
    }
    GrepOptions options;
    options.follow =
        pfn ? GrepOptions::Follow::kPage : GrepOptions::Follow::kFolio;
    const std::string flag = pfn ? "--pfn" : "--folio";
    ASSIGN_OR_RETURN(options.pfn, ParsePfn(flag, args.Get(flag, "")));
    return GrepToOutput(args.positional()[1], args.Get("--output", "-"),
                        options);
  }

 private:
  // Writes the lines GrepLog() finds to `output` as text.
  static absl::StatusOr<int> GrepToOutput(const std::string& input,
                                          const std::string& output,
                                          const GrepOptions& options) {
    RETURN_IF_ERROR(RefuseOutputOverInput(input, output));
    RETURN_IF_ERROR(RefuseNonTextOutput(output));
    ASSIGN_OR_RETURN(std::unique_ptr<LogReader> reader, LogReader::Open(input));
    ASSIGN_OR_RETURN(std::unique_ptr<trace::OutputFile> out,
                     trace::OutputFile::Create(output));
    LogStreamWriter text(out.get(),
                         LogFormatForPath(output) == LogFormat::kTextZstd);
    absl::Status written;
    ASSIGN_OR_RETURN(uint64_t matched,
                     GrepLog(*reader, options, [&](absl::string_view line) {
                       text.buffer().append(line.data(), line.size());
                       text.buffer().push_back('\n');
                       written.Update(text.MaybeFlush());
                     }));
    RETURN_IF_ERROR(written);
    RETURN_IF_ERROR(text.Finish());
    RETURN_IF_ERROR(out->Commit());
    return matched > 0 ? kExitOk : kExitDifferent;
  }
};

}  // namespace

absl::Status RefuseNonTextOutput(const std::string& output) {
  if (trace::FormatForPath(output).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(output,
                     ": a log is printed as text (.log, .log.zst), not as a "
                     "trace"));
  }
  if (LogFormatForPath(output) == LogFormat::kBinary) {
    return absl::InvalidArgumentError(absl::StrCat(
        output,
        ": logs are printed as text (.log, .log.zst); a binary log "
        "is written by `mmreplay replay -o x.mme`"));
  }
  return absl::OkStatus();
}

absl::Status PrintLog(const std::string& input, const std::string& output) {
  RETURN_IF_ERROR(RefuseOutputOverInput(input, output));
  RETURN_IF_ERROR(RefuseNonTextOutput(output));
  const LogFormat format = LogFormatForPath(output);
  ASSIGN_OR_RETURN(std::unique_ptr<LogReader> reader, LogReader::Open(input));
  ASSIGN_OR_RETURN(std::unique_ptr<trace::OutputFile> out,
                   trace::OutputFile::Create(output));
  LogStreamWriter text(out.get(), format == LogFormat::kTextZstd);
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
