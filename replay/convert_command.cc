// mmreplay convert IN OUT: between .mmt and .textproto, losslessly; an
// event log to its text (as `log print`).
#include "base/status_macros.h"
#include "replay/commands.h"
#include "replay/driver.h"
#include "trace/trace_format.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

namespace mmreplay::replay {
namespace {

class ConvertCommand : public Command {
 public:
  absl::string_view name() const override { return "convert"; }
  absl::string_view summary() const override {
    return "Convert a trace between .mmt and .textproto, or a log to text.";
  }
  absl::string_view usage() const override { return "IN OUT [-q]"; }
  std::vector<FlagSpec> flags() const override {
    return {{"--quiet", "-q", "", "no progress line on stderr"}};
  }
  absl::string_view details() const override {
    return R"(The formats are chosen by the file extensions (.mmt, .textproto); OUT may be
"-" for text on stdout. The input is checked record by record as it is read;
OUT is written whole or not at all. Converting is lossless both ways:
.textproto -> .mmt -> .textproto gives the canonical text byte for byte, so
`mmreplay convert x.textproto x.textproto` rewrites a trace in canonical
form. Comments (#) are not kept; use an op's `note` field instead.

IN may also be an event log in any form (text, .log.zst, .mme; any name
but a trace's): OUT is then its text, compressed if OUT ends in .zst, as
`mmreplay log print IN -o OUT` writes it.

On a terminal, a long conversion shows its progress on stderr (ops, ops/s,
elapsed); -q turns it off, and a file or a pipe gets none.

exit status: 0 converted, 2 trouble.

examples:
  mmreplay convert traces/golden/seed000_anon_split_at_2.textproto /tmp/seed.mmt
  mmreplay convert /tmp/seed.mmt -
  mmreplay convert /tmp/seed.mme /tmp/seed.log
)";
  }
  int min_positional() const override { return 2; }
  int max_positional() const override { return 2; }

  absl::StatusOr<int> Run(const Args& args) override {
    if (!trace::FormatForPath(args.positional()[0]).ok()) {
      RETURN_IF_ERROR(PrintLog(args.positional()[0], args.positional()[1]));
      return kExitOk;
    }
    RETURN_IF_ERROR(
        RefuseOutputOverInput(args.positional()[0], args.positional()[1]));
    ASSIGN_OR_RETURN(std::unique_ptr<trace::TraceReader> reader,
                     trace::TraceReader::Open(args.positional()[0]));
    // Every command rejects the traces replay rejects (traces/FORMAT.md).
    RETURN_IF_ERROR(ResolveProfile(*reader, {}).status());
    ASSIGN_OR_RETURN(std::unique_ptr<trace::TraceWriter> out,
                     trace::TraceWriter::Create(args.positional()[1]));
    Progress progress("convert", Progress::Wanted(args.Has("--quiet")));
    ProgressTraceWriter counted(out.get(), &progress);
    trace::TraceWriter* writer = &counted;
    RETURN_IF_ERROR(writer->WriteHeader(reader->header()));
    while (const trace::TraceOp* op = reader->Next()) {
      RETURN_IF_ERROR(writer->Write(*op));
    }
    RETURN_IF_ERROR(reader->status());
    RETURN_IF_ERROR(writer->Commit());
    return kExitOk;
  }
};

}  // namespace

std::unique_ptr<Command> NewConvertCommand() {
  return std::make_unique<ConvertCommand>();
}

}  // namespace mmreplay::replay
