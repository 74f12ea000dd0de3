#include "replay/log_grep.h"

#include <string>

#include "absl/container/btree_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "replay/log_line.h"

namespace mmreplay::replay {
namespace {

// Whether [pfn, pfn + 2^order) holds page `page`.
bool Holds(uint64_t pfn, uint64_t order, uint64_t page) {
  return page >= pfn && (order >= 64 || page - pfn < (uint64_t{1} << order));
}

// What one line is about, as the following needs it.
struct Fields {
  absl::string_view kind;
  uint64_t pfn = 0;
  uint64_t order = 0;
};

// Whether `line` is an event about a folio (pfn= names one; a compaction
// zone's first PFN does not), and its fields.
bool FolioEvent(absl::string_view line, Fields* f) {
  f->kind = KindOf(line);
  if (f->kind == "compact_begin" || f->kind == "compact_end") return false;
  if (!HexField(line, " pfn=", &f->pfn)) return false;
  size_t begin, end;
  f->order = 0;
  if (FindField(line, " order=", &begin, &end)) {
    (void)absl::SimpleAtoi(line.substr(begin, end - begin), &f->order);
  }
  return true;
}

// The page view: the folio holding page_.
class PageFollower {
 public:
  explicit PageFollower(uint64_t pfn) : page_(pfn) {}
  bool Match(absl::string_view line, const Fields& f) {
    // The free of the copy a migration left behind.
    if (f.kind == "folio_free" && f.pfn == source_) {
      source_ = kNone;
      return true;
    }
    if (!Holds(f.pfn, f.order, page_)) return false;
    uint64_t dst;
    if (f.kind == "migrate" && HexField(line, " dst=", &dst)) {
      page_ = dst + (page_ - f.pfn);
      source_ = f.pfn;
    }
    return true;
  }
  bool done() const { return false; }

 private:
  static constexpr uint64_t kNone = UINT64_MAX;
  uint64_t page_;
  uint64_t source_ = kNone;
};

// The folio view: the folio first named at pfn_ and its pieces.
class FolioFollower {
 public:
  explicit FolioFollower(uint64_t pfn) : pfn_(pfn) {}
  bool Match(absl::string_view line, const Fields& f) {
    if (!started_) {
      if (f.pfn != pfn_) return false;
      started_ = true;
      heads_.insert(pfn_);
    }
    uint64_t other;
    if (f.kind == "split_piece" && HexField(line, " parent=", &other) &&
        heads_.contains(other)) {
      heads_.insert(f.pfn);
    }
    if (!heads_.contains(f.pfn)) return false;
    if (f.kind == "migrate" && HexField(line, " dst=", &other)) {
      heads_.insert(other);
    }
    if (f.kind == "folio_free") heads_.erase(f.pfn);
    return true;
  }
  bool done() const { return started_ && heads_.empty(); }

 private:
  uint64_t pfn_;
  bool started_ = false;
  // Head PFNs of the folio's live pieces (a migrated one under both PFNs
  // until the source is freed).
  absl::btree_set<uint64_t> heads_;
};

template <typename Follower>
absl::StatusOr<uint64_t> Grep(LogReader& log, Follower follower,
                              absl::FunctionRef<void(absl::string_view)> emit) {
  uint64_t matched = 0;
  std::string op_line;
  bool op_shown = true;
  absl::string_view line;
  while (!follower.done() && log.Next(&line)) {
    if (log.line_number() == 1) {
      emit(line);
      continue;
    }
    if (absl::StartsWith(line, "# op ")) {
      op_line.assign(line.data(), line.size());
      op_shown = false;
      continue;
    }
    Fields f;
    if (absl::StartsWith(line, "#") || !FolioEvent(line, &f) ||
        !follower.Match(line, f)) {
      continue;
    }
    if (!op_shown) {
      emit(op_line);
      op_shown = true;
    }
    emit(line);
    ++matched;
  }
  if (!log.status().ok()) return log.status();
  return matched;
}

}  // namespace

absl::StatusOr<uint64_t> ParsePfn(absl::string_view flag,
                                  absl::string_view text) {
  absl::string_view digits = text;
  const bool hex = absl::ConsumePrefix(&digits, "0x");
  uint64_t pfn = 0;
  bool ok = !digits.empty() && digits.size() <= 16;
  for (char c : digits) {
    ok = ok && (hex ? absl::ascii_isxdigit(c) : absl::ascii_isdigit(c));
  }
  ok = ok && (hex ? absl::SimpleHexAtoi(digits, &pfn)
                  : absl::SimpleAtoi(digits, &pfn));
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": '", text, "' is not a PFN (hex like 0x200, or decimal)"));
  }
  return pfn;
}

absl::StatusOr<uint64_t> GrepLog(
    LogReader& log, const GrepOptions& options,
    absl::FunctionRef<void(absl::string_view)> emit) {
  if (options.follow == GrepOptions::Follow::kFolio) {
    return Grep(log, FolioFollower(options.pfn), emit);
  }
  return Grep(log, PageFollower(options.pfn), emit);
}

}  // namespace mmreplay::replay
