#include "replay/log_diff.h"

#include <algorithm>
#include <deque>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "base/page_geometry.h"
#include "replay/event_chunk.h"
#include "replay/log_line.h"

namespace mmreplay::replay {
namespace {

// Lines of one op shown per side in a report; the rest are counted.
constexpr size_t kMaxShownLines = 40;

struct Line {
  uint64_t number;
  uint64_t op;
  std::string text;
};

// Names folios by their allocation instead of their PFN (DiffOptions::
// ignore_pfn), one log at a time, as its lines come.
class FolioNamer {
 public:
  void Rewrite(uint64_t op, std::string* line) {
    if (op != op_) {
      op_ = op;
      allocated_ = 0;
    }
    const absl::string_view kind = KindOf(*line);
    // A compaction zone's first PFN is no folio's.
    if (kind == "compact_begin" || kind == "compact_end") return;
    size_t begin, end;
    uint64_t pfn;
    if (!FindHexField(*line, " pfn=", &begin, &end, &pfn)) return;
    if (kind == "folio_alloc") ids_[pfn] = {op, ++allocated_, 0};
    auto it = ids_.find(pfn);
    if (it == ids_.end()) return;
    const Id id = it->second;
    if (kind == "split") Split(*line, pfn, id);
    if (kind == "folio_free") ids_.erase(pfn);
    if (kind == "migrate") Migrate(line, id);
    if (kind == "split_piece") NameParent(line);
    line->replace(begin, end - begin, Name(id));
  }

 private:
  struct Id {
    uint64_t op;
    uint64_t n;
    uint64_t offset;
  };

  static std::string Name(const Id& id) {
    if (id.offset == 0) return absl::StrCat("@", id.op, ".", id.n);
    return absl::StrCat("@", id.op, ".", id.n, "+", id.offset);
  }

  // The pieces of a split are named after their parent. They cover the
  // parent's 2^order pages and no more, and no folio is larger than
  // MAX_PAGE_ORDER: a line that claims otherwise (a damaged log) names
  // nothing past that, so its cost is bounded.
  void Split(absl::string_view line, uint64_t pfn, const Id& id) {
    size_t begin, end;
    uint32_t parent_order;
    if (!FindField(line, " order=", &begin, &end) ||
        !absl::SimpleAtoi(line.substr(begin, end - begin), &parent_order) ||
        parent_order > kMaxPageOrder ||
        !FindField(line, " orders=", &begin, &end)) {
      return;
    }
    const uint64_t pages = uint64_t{1} << parent_order;
    uint64_t offset = 0;
    for (absl::string_view run :
         absl::StrSplit(line.substr(begin, end - begin), ',')) {
      std::pair<absl::string_view, absl::string_view> oc =
          absl::StrSplit(run, absl::MaxSplits('*', 1));
      uint32_t order = 0, count = 1;
      if (!absl::SimpleAtoi(oc.first, &order) || order > parent_order ||
          (!oc.second.empty() && !absl::SimpleAtoi(oc.second, &count))) {
        return;
      }
      for (uint32_t i = 0; i < count && offset < pages; ++i) {
        if (offset != 0) ids_[pfn + offset] = {id.op, id.n, id.offset + offset};
        offset += uint64_t{1} << order;
      }
    }
  }

  // parent= of a split piece names the folio split (after pfn= on the
  // line, so pfn='s place stays where it was found).
  void NameParent(std::string* line) {
    size_t begin, end;
    uint64_t parent;
    if (!FindHexField(*line, " parent=", &begin, &end, &parent)) return;
    auto it = ids_.find(parent);
    if (it != ids_.end()) line->replace(begin, end - begin, Name(it->second));
  }

  // A folio moved whole keeps its name at its new PFN; dst= names where it
  // went as that block was named (a compaction target allocated in the
  // log), or as a new allocation.
  void Migrate(std::string* line, const Id& id) {
    size_t begin, end;
    uint64_t dst;
    if (!FindHexField(*line, " dst=", &begin, &end, &dst)) return;
    auto it = ids_.find(dst);
    const Id target = it != ids_.end() ? it->second : Id{op_, ++allocated_, 0};
    line->replace(begin, end - begin, Name(target));
    ids_[dst] = id;
  }

  absl::flat_hash_map<uint64_t, Id> ids_;
  uint64_t op_ = UINT64_MAX;
  uint64_t allocated_ = 0;
};

// One log, read a line at a time with a few lines of lookahead and
// history.
class Side {
 public:
  Side(LogReader& reader, const DiffOptions& options)
      : reader_(reader), options_(options) {}

  const std::string& name() const { return reader_.name(); }
  absl::Status status() const {
    return status_.ok() ? reader_.status() : status_;
  }

  // Whether the next line is of `op`.
  bool Has(uint64_t op) { return ReadAhead(1) && ahead_.front().op == op; }
  // The next line's op, or UINT64_MAX at the end.
  uint64_t NextOp() { return ReadAhead(1) ? ahead_.front().op : UINT64_MAX; }
  const Line& Front() { return ahead_.front(); }
  Line Take() {
    Line l = std::move(ahead_.front());
    ahead_.pop_front();
    return l;
  }
  // Up to `context` lines read before the current op's.
  const std::deque<Line>& history() const { return history_; }
  void Remember(Line l) {
    if (options_.context <= 0) return;
    history_.push_back(std::move(l));
    if (history_.size() > static_cast<size_t>(options_.context)) {
      history_.pop_front();
    }
  }
  // Up to n lines after the ones taken, for trailing context.
  std::vector<Line> Peek(size_t n) {
    ReadAhead(n);
    return std::vector<Line>(ahead_.begin(),
                             ahead_.begin() + std::min(n, ahead_.size()));
  }

 private:
  // Reads lines until n are waiting or the log ends; whether one is.
  bool ReadAhead(size_t n) {
    absl::string_view text;
    while (ahead_.size() < n && status_.ok() && reader_.Next(&text)) {
      if (absl::StartsWith(text, "#")) continue;
      Line l{reader_.line_number(), 0, std::string(text)};
      if (!absl::SimpleAtoi(text.substr(0, text.find(' ')), &l.op)) {
        status_ = absl::InvalidArgumentError(absl::StrCat(
            name(), ": line ", l.number, ": the op index is out of range"));
        break;
      }
      if (options_.ignore_pfn) namer_.Rewrite(l.op, &l.text);
      if (options_.ignore_addr) {
        size_t begin, end;
        if (FindField(l.text, " addr=", &begin, &end)) {
          l.text.replace(begin, end - begin, "*");
        }
      }
      ahead_.push_back(std::move(l));
    }
    return !ahead_.empty();
  }

  LogReader& reader_;
  const DiffOptions& options_;
  absl::Status status_;
  FolioNamer namer_;
  std::deque<Line> ahead_;
  std::deque<Line> history_;
};

// One side of a reported op: context before, the op's lines from the
// first difference with those only this side has marked, context after.
void AppendSide(Side& side, char mark, const std::vector<Line>& lines,
                const std::vector<bool>& marked, bool op_ended, int context,
                std::string* out) {
  absl::StrAppend(out, mark == '-' ? "--- " : "+++ ", side.name(), "\n");
  for (const Line& l : side.history()) {
    absl::StrAppend(out, absl::StrFormat("   %7d | %s\n", l.number, l.text));
  }
  size_t last = 0;
  bool any = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (marked[i]) {
      last = i;
      any = true;
    }
  }
  const auto ctx = static_cast<size_t>(std::max(context, 0));
  size_t shown = any ? std::min(lines.size(), last + 1 + ctx) : 0;
  size_t hidden = 0;
  if (shown > kMaxShownLines) {
    hidden = shown - kMaxShownLines;
    shown = kMaxShownLines;
  }
  for (size_t i = 0; i < shown; ++i) {
    absl::StrAppend(out,
                    absl::StrFormat(" %c %7d | %s\n", marked[i] ? mark : ' ',
                                    lines[i].number, lines[i].text));
  }
  if (hidden > 0) {
    absl::StrAppend(out, absl::StrFormat("   %7s | (%d more lines of op %d)\n",
                                         "", hidden, lines[0].op));
  }
  if (lines.empty()) {
    absl::StrAppend(
        out,
        absl::StrFormat(" %c %7s | (no more events for this op)\n", mark, ""));
  }
  if (!op_ended || shown < lines.size()) return;
  // The context left after the last marked line, from the ops after.
  size_t after_last = any ? shown - last - 1 : 0;
  size_t more = ctx > after_last ? ctx - after_last : 0;
  for (const Line& l : side.Peek(more)) {
    absl::StrAppend(out, absl::StrFormat("   %7d | %s\n", l.number, l.text));
  }
}

// Marks the lines of each side that the other does not have (a multiset
// difference: a line both have twice and once is marked once), and counts
// them by kind.
void MarkDifference(
    const std::vector<Line>& a, const std::vector<Line>& b,
    std::vector<bool>* mark_a, std::vector<bool>* mark_b,
    absl::btree_map<std::string, std::pair<uint64_t, uint64_t>>* by_kind) {
  // Left over after matching: positive counts are only in A, negative
  // only in B.
  absl::flat_hash_map<absl::string_view, int64_t> left;
  for (const Line& l : a) ++left[l.text];
  for (const Line& l : b) --left[l.text];
  mark_a->assign(a.size(), false);
  mark_b->assign(b.size(), false);
  // The last occurrences are the unmatched ones, so a line both sides have
  // at the start stays unmarked.
  for (size_t i = a.size(); i-- > 0;) {
    int64_t& n = left[a[i].text];
    if (n > 0) {
      (*mark_a)[i] = true;
      --n;
    }
  }
  for (size_t i = b.size(); i-- > 0;) {
    int64_t& n = left[b[i].text];
    if (n < 0) {
      (*mark_b)[i] = true;
      ++n;
    }
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if ((*mark_a)[i]) ++(*by_kind)[std::string(KindOf(a[i].text))].first;
  }
  for (size_t i = 0; i < b.size(); ++i) {
    if ((*mark_b)[i]) ++(*by_kind)[std::string(KindOf(b[i].text))].second;
  }
}

}  // namespace

absl::StatusOr<DiffResult> DiffLogs(LogReader& a, LogReader& b,
                                    const DiffOptions& options) {
  DiffResult result;
  // Two binary logs' records that are the same byte for byte hold the same
  // lines: those are not compared line by line (the folio names of
  // --ignore pfn need every line read).
  SkippedChunks skipped;
  // The record kept before a difference holds kChunkEvents lines or more
  // (every chunk but the last): the context before it needs no more.
  if (!options.ignore_pfn && options.context <= kChunkEvents) {
    absl::StatusOr<SkippedChunks> s = SkipEqualChunks(a, b);
    if (!s.ok()) return s.status();
    skipped = *s;
  }
  Side sa(a, options), sb(b, options);
  // Per kind: events only in A, only in B.
  absl::btree_map<std::string, std::pair<uint64_t, uint64_t>> by_kind;
  uint64_t ops = skipped.ops, ops_differ = 0, first_op = 0, last_op = 0;
  // The last op counted: an op whose events began in the records skipped
  // is counted once.
  uint64_t counted = skipped.ops > 0 ? skipped.last_op : UINT64_MAX;
  std::string& report = result.report;
  for (;;) {
    const uint64_t op_a = sa.NextOp(), op_b = sb.NextOp();
    if (!sa.status().ok()) return sa.status();
    if (!sb.status().ok()) return sb.status();
    if (op_a == UINT64_MAX && op_b == UINT64_MAX) break;
    const uint64_t op = std::min(op_a, op_b);
    if (op != counted) ++ops;
    counted = op;
    if (options.progress != nullptr) options.progress->Update(ops);
    // The lines both sides have, in the same order, are not held.
    while (sa.Has(op) && sb.Has(op) && sa.Front().text == sb.Front().text) {
      sa.Remember(sa.Take());
      sb.Remember(sb.Take());
    }
    if (!sa.Has(op) && !sb.Has(op)) continue;
    if (ops_differ++ == 0) first_op = op;
    last_op = op;
    bool first_window = true;
    while (sa.Has(op) || sb.Has(op)) {
      std::vector<Line> la, lb;
      while (la.size() < kWindowLines && sa.Has(op)) la.push_back(sa.Take());
      while (lb.size() < kWindowLines && sb.Has(op)) lb.push_back(sb.Take());
      std::vector<bool> mark_a, mark_b;
      MarkDifference(la, lb, &mark_a, &mark_b, &by_kind);
      if (first_window && ops_differ <= options.max_ops) {
        absl::StrAppend(&report,
                        ops_differ == 1 ? "first difference" : "difference",
                        " at op ", op);
        if (!la.empty()) {
          absl::StrAppend(&report, ", line ", la[0].number, " of ", a.name());
        }
        if (!lb.empty()) {
          absl::StrAppend(&report, ", line ", lb[0].number, " of ", b.name());
        }
        absl::StrAppend(&report, ":\n");
        AppendSide(sa, '-', la, mark_a, !sa.Has(op), options.context, &report);
        AppendSide(sb, '+', lb, mark_b, !sb.Has(op), options.context, &report);
        absl::StrAppend(&report, "\n");
      }
      first_window = false;
      for (Line& l : la) sa.Remember(std::move(l));
      for (Line& l : lb) sb.Remember(std::move(l));
    }
  }
  result.ops = ops;
  if (ops_differ == 0) return result;
  result.equal = false;
  if (ops_differ > options.max_ops) {
    absl::StrAppend(&report, "(", ops_differ - options.max_ops,
                    " more ops differ; --max ", options.max_ops,
                    " shows the first ", options.max_ops, ")\n");
  }
  absl::StrAppend(&report, ops, " ops compared, ", ops_differ,
                  " differ (first op ", first_op, ", last op ", last_op,
                  "); events only in ", a.name(), " / only in ", b.name(), ":");
  if (by_kind.empty()) {
    absl::StrAppend(&report, " none (the same events in a different order)");
  }
  const char* sep = " ";
  for (const auto& [kind, n] : by_kind) {
    absl::StrAppend(&report, sep, kind, " ", n.first, "/", n.second);
    sep = ", ";
  }
  absl::StrAppend(&report, "\n");
  return result;
}

}  // namespace mmreplay::replay
