// Folio layout of a range of pages: which folio (by order and position)
// backs each page, where the holes are, and where the zero page is mapped.
// Both the model and the live-kernel capture describe what they see as a
// Layout; trace/layout_notation.h prints and parses it in the notation of
// traces/FORMAT.md:
//
//   O-1 [hole*1] O-0 O-2 O-3 O-4 O-5 O-6 O-7 O-8
//   O-9[0+1] [hole*1] O-9[2+510]
//   O-0 [hole*1] O-0 x510
//
// Header-only and free of the trace format, so that mm/ can use it (mm/ sees
// no other part of trace/; see trace/BUILD.bazel).
#ifndef MMREPLAY_TRACE_LAYOUT_H_
#define MMREPLAY_TRACE_LAYOUT_H_

#include <cstdint>
#include <utility>
#include <vector>

namespace mmreplay::trace {

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

// Appends `run` to `layout`, merging holes and zero pages into a previous
// run of their kind (folio runs stay as given).
inline void AppendRun(Layout* layout, const LayoutRun& run) {
  if (run.kind != LayoutRun::Kind::kFolio && !layout->empty() &&
      layout->back().kind == run.kind) {
    layout->back().pages += run.pages;
    return;
  }
  layout->push_back(run);
}

// Builds a Layout page by page, in address (or file index) order, merging
// each page into the previous run when it continues it: the same folio at
// the next index, or another hole or zero page.
class LayoutBuilder {
 public:
  void AddHole(uint64_t pages = 1) {
    AppendRun(&layout_, LayoutRun{LayoutRun::Kind::kHole, 0, 0, pages});
  }
  void AddZeroPage(bool huge, uint64_t pages = 1) {
    AppendRun(&layout_, LayoutRun{huge ? LayoutRun::Kind::kHugeZeroPage
                                       : LayoutRun::Kind::kZeroPage,
                                  0, 0, pages});
  }
  // `pages` pages of the folio whose identity is `folio_id` (any value that
  // differs between folios, e.g. a head PFN), of order `order`, starting at
  // its page `index`.
  void AddFolio(uint64_t folio_id, uint32_t order, uint64_t index,
                uint64_t pages = 1) {
    if (!layout_.empty()) {
      LayoutRun& last = layout_.back();
      if (last.kind == LayoutRun::Kind::kFolio && last_folio_ == folio_id &&
          last.first + last.pages == index) {
        last.pages += pages;
        return;
      }
    }
    layout_.push_back(LayoutRun{LayoutRun::Kind::kFolio, order, index, pages});
    last_folio_ = folio_id;
  }
  Layout Finish() { return std::move(layout_); }

 private:
  Layout layout_;
  uint64_t last_folio_ = 0;
};

}  // namespace mmreplay::trace

#endif  // MMREPLAY_TRACE_LAYOUT_H_
