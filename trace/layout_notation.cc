#include "trace/layout_notation.h"

#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/page_geometry.h"

namespace mmreplay::trace {
namespace {

using Kind = LayoutRun::Kind;

// Bounds what a bad "x<n>" can make the parser allocate (a 2^24-page range is
// 64 GiB).
constexpr uint64_t kMaxRepeat = uint64_t{1} << 24;

std::string Token(const LayoutRun& run) {
  switch (run.kind) {
    case Kind::kHole:
      return absl::StrCat("[hole*", run.pages, "]");
    case Kind::kZeroPage:
      return absl::StrCat("[Z*", run.pages, "]");
    case Kind::kHugeZeroPage:
      return absl::StrCat("[HZ*", run.pages, "]");
    case Kind::kFolio:
      if (run.first == 0 && run.pages == (uint64_t{1} << run.order)) {
        return absl::StrCat("O-", run.order);
      }
      return absl::StrCat("O-", run.order, "[", run.first, "+", run.pages, "]");
  }
  return "";
}

absl::Status BadToken(absl::string_view token, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("layout token '", token, "': ", why));
}

bool ParseCount(absl::string_view s, uint64_t* n) {
  return absl::SimpleAtoi(s, n) && *n > 0;
}

absl::StatusOr<LayoutRun> ParseToken(absl::string_view token) {
  LayoutRun run;
  absl::string_view rest = token;
  if (absl::ConsumePrefix(&rest, "O-")) {
    run.kind = Kind::kFolio;
    absl::string_view order_text = rest;
    absl::string_view range;
    if (size_t bracket = rest.find('['); bracket != rest.npos) {
      order_text = rest.substr(0, bracket);
      range = rest.substr(bracket);
      if (!absl::ConsumePrefix(&range, "[") ||
          !absl::ConsumeSuffix(&range, "]")) {
        return BadToken(token, "expected O-<order>[<first>+<pages>]");
      }
    }
    if (!absl::SimpleAtoi(order_text, &run.order) ||
        run.order > kMaxPageOrder) {
      return BadToken(token, "order must be 0..10");
    }
    uint64_t size = uint64_t{1} << run.order;
    run.pages = size;
    if (!range.empty()) {
      std::pair<absl::string_view, absl::string_view> parts =
          absl::StrSplit(range, absl::MaxSplits('+', 1));
      if (!absl::SimpleAtoi(parts.first, &run.first) ||
          !ParseCount(parts.second, &run.pages)) {
        return BadToken(token, "expected O-<order>[<first>+<pages>]");
      }
      if (run.first + run.pages > size) {
        return BadToken(token, "pages run past the end of the folio");
      }
    }
    return run;
  }
  if (absl::ConsumePrefix(&rest, "[") && absl::ConsumeSuffix(&rest, "]")) {
    std::pair<absl::string_view, absl::string_view> parts =
        absl::StrSplit(rest, absl::MaxSplits('*', 1));
    if (parts.first == "hole") {
      run.kind = Kind::kHole;
    } else if (parts.first == "Z") {
      run.kind = Kind::kZeroPage;
    } else if (parts.first == "HZ") {
      run.kind = Kind::kHugeZeroPage;
    } else {
      return BadToken(token, "expected [hole*n], [Z*n] or [HZ*n]");
    }
    if (!ParseCount(parts.second, &run.pages)) {
      return BadToken(token, "count must be a positive integer");
    }
    return run;
  }
  return BadToken(token, "expected O-<order>, [hole*n], [Z*n] or [HZ*n]");
}

}  // namespace

std::string RenderLayout(const Layout& layout) {
  std::string out;
  for (size_t i = 0; i < layout.size();) {
    size_t j = i + 1;
    while (j < layout.size() && layout[j] == layout[i]) ++j;
    if (!out.empty()) out += ' ';
    absl::StrAppend(&out, Token(layout[i]));
    if (j - i > 1) absl::StrAppend(&out, " x", j - i);
    i = j;
  }
  return out;
}

absl::StatusOr<Layout> ParseLayout(absl::string_view text) {
  Layout layout;
  // The last token, which a following "x<n>" repeats.
  std::optional<LayoutRun> last;
  for (absl::string_view token : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (token[0] == 'x') {
      uint64_t count;
      if (!last.has_value() || !ParseCount(token.substr(1), &count)) {
        return BadToken(token, "a repeat count x<n> must follow a token");
      }
      if (count > kMaxRepeat) {
        return BadToken(token, absl::StrCat("repeat count over ", kMaxRepeat));
      }
      for (uint64_t i = 1; i < count; ++i) AppendRun(&layout, *last);
      last.reset();
      continue;
    }
    absl::StatusOr<LayoutRun> run = ParseToken(token);
    if (!run.ok()) return run.status();
    AppendRun(&layout, *run);
    last = *run;
  }
  if (layout.empty()) return absl::InvalidArgumentError("empty layout");
  return layout;
}

uint64_t LayoutPages(const Layout& layout) {
  uint64_t pages = 0;
  for (const LayoutRun& run : layout) pages += run.pages;
  return pages;
}

absl::string_view FolioOutcomeName(FolioOutcome outcome) {
  switch (outcome) {
    case FOLIO_OUTCOME_STAYED:
      return "stayed";
    case FOLIO_OUTCOME_MOVED:
      return "moved";
    case FOLIO_OUTCOME_SPLIT:
      return "split";
    default:
      return "(none)";
  }
}

}  // namespace mmreplay::trace
