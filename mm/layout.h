// Folio layout of a range of pages: which folio (by order and position)
// backs each page, where the holes are, and where the zero page is mapped.
// Both the model and the live-kernel capture describe what they see as a
// Layout, and both print it in the notation of traces/FORMAT.md:
//
//   O-1 [hole*1] O-0 O-2 O-3 O-4 O-5 O-6 O-7 O-8
//   O-9[0+1] [hole*1] O-9[2+510]
//   O-0 [hole*1] O-0 x510
#ifndef MMREPLAY_MM_LAYOUT_H_
#define MMREPLAY_MM_LAYOUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mmreplay::mm {

// A maximal run of consecutive pages of one kind.
struct LayoutRun {
  enum class Kind : uint8_t {
    kHole,          // nothing there:            [hole*n]
    kFolio,         // pages of one folio:       O-k  or  O-k[first+n]
    kZeroPage,      // the shared zero page:     [Z*n]
    kHugeZeroPage,  // the huge zero folio:      [HZ*n]
  };
  Kind kind = Kind::kHole;
  // kFolio: the folio's order and the index in it of the run's first page.
  uint32_t order = 0;
  uint64_t first = 0;
  uint64_t pages = 0;

  bool operator==(const LayoutRun& o) const {
    return kind == o.kind && order == o.order && first == o.first &&
           pages == o.pages;
  }
};

using Layout = std::vector<LayoutRun>;

// Builds a Layout page by page, in address (or file index) order, merging
// each page into the previous run when it continues it: the same folio at
// the next index, or another hole or zero page.
class LayoutBuilder {
 public:
  void AddHole(uint64_t pages = 1);
  void AddZeroPage(bool huge, uint64_t pages = 1);
  // `pages` pages of the folio whose identity is `folio_id` (any value that
  // differs between folios, e.g. a head PFN), of order `order`, starting at
  // its page `index`.
  void AddFolio(uint64_t folio_id, uint32_t order, uint64_t index,
                uint64_t pages = 1);
  Layout Finish() { return std::move(layout_); }

 private:
  Layout layout_;
  uint64_t last_folio_ = 0;
};

// Prints `layout` in the canonical notation: one token per run, runs of
// identical tokens as "<token> x<count>".
std::string RenderLayout(const Layout& layout);

// Parses the notation (canonical or not: "O-0 O-0" and "O-0 x2" are the
// same); the error names the bad token.
absl::StatusOr<Layout> ParseLayout(absl::string_view text);

// Total pages a layout spans.
uint64_t LayoutPages(const Layout& layout);

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_LAYOUT_H_
