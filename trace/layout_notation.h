// The text notation of folio layouts (trace/layout.h) that expect_layout
// records, mmcapture and `mmreplay replay --check` use (traces/FORMAT.md).
#ifndef MMREPLAY_TRACE_LAYOUT_NOTATION_H_
#define MMREPLAY_TRACE_LAYOUT_NOTATION_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/trace.pb.h"
#include "trace/layout.h"

namespace mmreplay::trace {

// Prints `layout` in the canonical notation: one token per run, runs of
// identical tokens as "<token> x<count>".
std::string RenderLayout(const Layout& layout);

// Parses the notation (canonical or not: "O-0 O-0" and "O-0 x2" are the
// same); the error names the bad token.
absl::StatusOr<Layout> ParseLayout(absl::string_view text);

// Total pages a layout spans.
uint64_t LayoutPages(const Layout& layout);

// The word for an expect_compaction outcome, as mmcapture's and `replay
// --check`'s messages print it: "stayed", "moved", "split"; "(none)" when
// unset.
absl::string_view FolioOutcomeName(FolioOutcome outcome);

}  // namespace mmreplay::trace

#endif  // MMREPLAY_TRACE_LAYOUT_NOTATION_H_
