// `mmreplay log grep`: the lines of an event log about one folio or one
// page, followed across the log as PFNs change: its allocation, mappings,
// reference changes, deferred-queue moves, splits, migrations, frees.
//
//   page  (--pfn P): the folio holding page P, whichever that is: before a
//         split the large folio, after it the piece holding P alone; a
//         migration moves P with its folio (to dst + P's offset, and the
//         free of the copy left behind is shown); after a free, the next
//         folio that holds the page where it was last, to the log's end.
//   folio (--folio P): the folio first named at head PFN P and every piece
//         split from it (split_piece lines link each to its parent), at
//         their new PFNs after migrations, until the last of them is freed:
//         one folio's whole life.
//
// The output is a log: its header line, each matching event line, and
// before the first of each op the op's "# op N: ..." line when the log has
// one. It streams: memory holds one line (and, following a folio, the
// PFNs of its live pieces).
#ifndef MMREPLAY_REPLAY_LOG_GREP_H_
#define MMREPLAY_REPLAY_LOG_GREP_H_

#include <cstdint>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "replay/log_reader.h"

namespace mmreplay::replay {

struct GrepOptions {
  enum class Follow { kPage, kFolio };
  Follow follow = Follow::kPage;
  uint64_t pfn = 0;
};

// A PFN as the flag gives it: hex with 0x ("0x200") or decimal ("512").
// InvalidArgument names `flag` and the text.
absl::StatusOr<uint64_t> ParsePfn(absl::string_view flag,
                                  absl::string_view text);

// Reads `log` to its end (or, following a folio, to its last free) and
// passes each line of the result, without its newline, to `emit`.
// Returns the number of event lines that matched. Errors: the reader's.
absl::StatusOr<uint64_t> GrepLog(
    LogReader& log, const GrepOptions& options,
    absl::FunctionRef<void(absl::string_view)> emit);

}  // namespace mmreplay::replay

#endif  // MMREPLAY_REPLAY_LOG_GREP_H_
