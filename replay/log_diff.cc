#include "replay/log_diff.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "replay/event_chunk.h"
#include "replay/event_log.h"
#include "replay/folio_namer.h"
#include "replay/log_line.h"
#include "trace/writer_thread.h"

namespace mmreplay::replay {
namespace {

// Lines of one op shown per side in a report; the rest are counted.
constexpr size_t kMaxShownLines = 40;

struct Line {
  uint64_t number = 0;
  uint64_t op = 0;
  // The line as compared (its PFNs named and its addr starred where the
  // options say): a text log's, or for a line held as its event, made from
  // it when first asked for (Side::Text()).
  mutable std::string text;
  // A binary log's event line, held as its event and its names, and
  // compared as such: the PFN fields named are 0 in `event`, and so is
  // addr with ignore_addr.
  bool held = false;
  mm::Event event;
  FolioNamer::Names names;
};

// Replaces the value of addr= with "*".
void StarAddr(std::string* line) {
  size_t begin, end;
  if (FindField(*line, " addr=", &begin, &end)) {
    line->replace(begin, end - begin, "*");
  }
}

// A line of a side; lines are reused (Side::Recycle) rather than made anew
// for each line, so that an event is copied once, as it is read.
using LinePtr = std::unique_ptr<Line>;

// One log, read a line at a time with a few lines of lookahead and
// history.
class Side {
 public:
  // With `namer`, the names of the lines before this side's next.
  Side(LogReader& reader, const DiffOptions& options, FolioNamer namer)
      : reader_(reader), options_(options), namer_(std::move(namer)) {}

  const std::string& name() const { return reader_.name(); }
  absl::Status status() const {
    return status_.ok() ? reader_.status() : status_;
  }

  // Whether the next line is of `op`.
  bool Has(uint64_t op) { return ReadAhead(1) && ahead_.front()->op == op; }
  // The next line's op, or UINT64_MAX at the end.
  uint64_t NextOp() { return ReadAhead(1) ? ahead_.front()->op : UINT64_MAX; }
  const Line& Front() { return *ahead_.front(); }
  LinePtr Take() {
    LinePtr l = std::move(ahead_.front());
    ahead_.pop_front();
    return l;
  }
  // Up to `context` lines read before the current op's.
  const std::deque<LinePtr>& history() const { return history_; }
  void Remember(LinePtr l) {
    history_.push_back(std::move(l));
    if (history_.size() > static_cast<size_t>(std::max(options_.context, 0))) {
      spare_.push_back(std::move(history_.front()));
      history_.pop_front();
    }
  }
  // Up to n lines after the ones taken, for trailing context.
  std::vector<const Line*> Peek(size_t n) {
    ReadAhead(n);
    std::vector<const Line*> lines;
    for (size_t i = 0; i < n && i < ahead_.size(); ++i) {
      lines.push_back(ahead_[i].get());
    }
    return lines;
  }
  LogReader& reader() { return reader_; }
  // Whether no line is read ahead.
  bool idle() const { return ahead_.empty(); }
  // The names of the next n events read, a run's (ignore_pfn).
  void NameRun(const FolioNamer::Fields& first, uint32_t n,
               FolioNamer::Names* names) {
    namer_.NameRun(first, n, names);
  }
  // The line `number`, the event `nth` of `run` (mm::Event::Nth), read and
  // named elsewhere:
  // held, and put next in line (Ahead) or remembered as read (Behind).
  enum class Where { kAhead, kBehind };
  void Put(Where where, const mm::Event& run, uint32_t nth,
           const FolioNamer::Names& names, uint64_t number) {
    if (where == Where::kBehind && options_.context <= 0) return;
    LinePtr l = Spare();
    l->event.CopyFrom(run);
    l->event.ToNth(nth);
    l->number = number;
    l->op = run.op_index();
    l->held = true;
    l->names = names;
    Mask(*l);
    if (where == Where::kAhead) {
      ahead_.push_back(std::move(l));
    } else {
      Remember(std::move(l));
    }
  }

  // The text of a line of this side.
  const std::string& Text(const Line& l) const {
    if (l.held && l.text.empty()) {
      AppendEventLine(l.event, &l.text);
      FolioNamer::Apply(l.names, &l.text);
      if (options_.ignore_addr) StarAddr(&l.text);
    }
    return l.text;
  }

 private:
  // Reads lines until n are waiting or the log ends; whether one is.
  bool ReadAhead(size_t n) {
    absl::string_view text;
    bool is_event = false;
    while (ahead_.size() < n && status_.ok()) {
      LinePtr l = Spare();
      if (!reader_.NextEvent(&text, &l->event, &is_event)) {
        spare_.push_back(std::move(l));
        break;
      }
      l->number = reader_.line_number();
      if (is_event) {
        Hold(*l);
        ahead_.push_back(std::move(l));
        continue;
      }
      if (absl::StartsWith(text, "#")) {
        spare_.push_back(std::move(l));
        continue;
      }
      l->text.assign(text.data(), text.size());
      if (!absl::SimpleAtoi(text.substr(0, text.find(' ')), &l->op)) {
        status_ = absl::InvalidArgumentError(absl::StrCat(
            name(), ": line ", l->number, ": the op index is out of range"));
        break;
      }
      if (options_.ignore_pfn) {
        FolioNamer::Apply(
            namer_.Name(FolioNamer::FieldsOfLine(l->op, l->text, &runs_)),
            &l->text);
      }
      if (options_.ignore_addr) StarAddr(&l->text);
      ahead_.push_back(std::move(l));
    }
    return !ahead_.empty();
  }

  // A line to read into: a spare one, emptied, or a new one.
  LinePtr Spare() {
    if (spare_.empty()) return std::make_unique<Line>();
    LinePtr l = std::move(spare_.back());
    spare_.pop_back();
    l->text.clear();
    l->held = false;
    l->names = {};
    return l;
  }

  // Makes the line of the event just read into l.event its event's, named.
  void Hold(Line& l) {
    l.held = true;
    l.op = l.event.op_index();
    if (options_.ignore_pfn)
      l.names = namer_.Name(FolioNamer::FieldsOf(l.event));
    Mask(l);
  }

  // Unsets, in a held line's event, the fields compared by name (and
  // addr, with ignore_addr): they stay set, as 0.
  void Mask(Line& l) const {
    mm::Event& event = l.event;
    if (l.names.pfn.named()) event.set_pfn(0);
    if (l.names.dst.named()) event.set_dst_pfn(0);
    if (l.names.parent.named()) event.set_parent_pfn(0);
    if (options_.ignore_addr && event.has_addr()) event.set_addr(0);
  }

  LogReader& reader_;
  const DiffOptions& options_;
  absl::Status status_;
  FolioNamer namer_;
  std::vector<mm::Event::OrderRun> runs_;
  std::deque<LinePtr> ahead_;
  std::deque<LinePtr> history_;
  std::vector<LinePtr> spare_;
};

// Where both logs hold the current op's next events as runs (binary logs:
// mm::Event::repeat()), compares them a run at a time: the fields every
// event of the two runs shares once, then, with ignore_pfn, each event's
// folio names. Consumes the events the two sides have alike (the last of
// them kept as history, as line by line), up to the shorter run's end; an
// event that differs is read, named, into the lines ahead of both sides.
// Whether it consumed or read any event (false: compare line by line).
// CompareRuns()'s buffers, made once for a diff.
struct RunBuffers {
  // The names of a batch of events, on each side.
  static constexpr uint32_t kBatch = 256;
  std::vector<FolioNamer::Names> a = std::vector<FolioNamer::Names>(kBatch);
  std::vector<FolioNamer::Names> b = std::vector<FolioNamer::Names>(kBatch);
  // The names of the last `context` events alike.
  std::vector<std::pair<FolioNamer::Names, FolioNamer::Names>> kept;
};

bool CompareRuns(Side& sa, Side& sb, uint64_t op, const DiffOptions& options,
                 RunBuffers& buffers) {
  if (!sa.idle() || !sb.idle()) return false;
  const mm::Event *ra, *rb;
  uint32_t na, nb;
  if (!sa.reader().PeekRow(&ra, &na) || !sb.reader().PeekRow(&rb, &nb) ||
      ra->op_index() != op || rb->op_index() != op) {
    return false;
  }
  const uint32_t n = std::min(ra->repeat() - na, rb->repeat() - nb);
  // The runs' next events; event i of each is its head with pfn + i and
  // addr + i pages (mm::Event::Nth).
  mm::Event ha, hb;
  ha.CopyFrom(*ra);
  hb.CopyFrom(*rb);
  ha.ToNth(na);
  hb.ToNth(nb);
  // The fields the events of a run share: all but the PFN fields (addr the
  // two runs count up alike).
  if (!SameEventLine(ha, hb, /*skip_pfns=*/true, options.ignore_addr)) {
    return false;
  }
  // A PFN field without a name is compared as its number.
  const bool same_pfn = ha.pfn() == hb.pfn(),
             same_dst = ha.dst_pfn() == hb.dst_pfn(),
             same_parent = ha.parent_pfn() == hb.parent_pfn();
  const uint64_t before_a = sa.reader().line_number(),
                 before_b = sb.reader().line_number();
  const size_t context = static_cast<size_t>(std::max(options.context, 0));
  // The names of the last `context` events alike, by i % context.
  auto& kept = buffers.kept;
  kept.resize(std::min<size_t>(context, n));
  // Events alike, and events named past them (a batch's, from the first
  // that differs on).
  uint32_t alike = 0, named = 0, batch_start = 0;
  constexpr uint32_t kBatch = RunBuffers::kBatch;
  FolioNamer::Names* names_a = buffers.a.data();
  FolioNamer::Names* names_b = buffers.b.data();
  if (!options.ignore_pfn) {
    if (!same_pfn || !same_dst || !same_parent) return false;
    alike = named = n;
  } else {
    FolioNamer::Fields fa = FolioNamer::FieldsOf(ha),
                       fb = FolioNamer::FieldsOf(hb);
    while (alike == named && named < n) {
      const uint32_t batch = std::min(kBatch, n - named);
      batch_start = named;
      fa.pfn = ha.pfn() + named;
      fb.pfn = hb.pfn() + named;
      sa.NameRun(fa, batch, names_a);
      sb.NameRun(fb, batch, names_b);
      named += batch;
      uint32_t j = 0;
      for (; j < batch; ++j) {
        const FolioNamer::Names& a = names_a[j];
        if (!(a == names_b[j]) || (!a.pfn.named() && !same_pfn) ||
            (!a.dst.named() && !same_dst) ||
            (!a.parent.named() && !same_parent)) {
          break;
        }
      }
      for (uint32_t i = j - std::min<uint32_t>(j, kept.size()); i < j; ++i) {
        kept[(alike + i) % kept.size()] = {names_a[i], names_b[i]};
      }
      alike += j;
    }
  }
  sa.reader().SkipEvents(alike);
  sb.reader().SkipEvents(alike);
  for (uint32_t i = alike - std::min<uint32_t>(alike, kept.size()); i < alike;
       ++i) {
    const auto& [a, b] = kept[i % kept.size()];
    sa.Put(Side::Where::kBehind, ha, i, a, before_a + i + 1);
    sb.Put(Side::Where::kBehind, hb, i, b, before_b + i + 1);
  }
  if (alike == named) return alike > 0;
  // The events named from the first that differs on are read now, as
  // lines: their names are given.
  sa.reader().SkipEvents(named - alike);
  sb.reader().SkipEvents(named - alike);
  for (uint32_t i = alike; i < named; ++i) {
    sa.Put(Side::Where::kAhead, ha, i, names_a[i - batch_start],
           before_a + i + 1);
    sb.Put(Side::Where::kAhead, hb, i, names_b[i - batch_start],
           before_b + i + 1);
  }
  return true;
}

// Whether the next lines of the two sides are the same.
bool SameFront(Side& sa, Side& sb) {
  const Line& a = sa.Front();
  const Line& b = sb.Front();
  if (a.held && b.held) {
    return a.names == b.names && SameEventLine(a.event, b.event);
  }
  return sa.Text(a) == sb.Text(b);
}

// One side of a reported op: context before, the op's lines from the
// first difference with those only this side has marked, context after.
void AppendSide(Side& side, char mark, const std::vector<LinePtr>& lines,
                const std::vector<bool>& marked, bool op_ended, int context,
                std::string* out) {
  absl::StrAppend(out, mark == '-' ? "--- " : "+++ ", side.name(), "\n");
  for (const LinePtr& l : side.history()) {
    absl::StrAppend(out,
                    absl::StrFormat("   %7d | %s\n", l->number, side.Text(*l)));
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
                                    lines[i]->number, side.Text(*lines[i])));
  }
  if (hidden > 0) {
    absl::StrAppend(out, absl::StrFormat("   %7s | (%d more lines of op %d)\n",
                                         "", hidden, lines[0]->op));
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
  for (const Line* l : side.Peek(more)) {
    absl::StrAppend(out,
                    absl::StrFormat("   %7d | %s\n", l->number, side.Text(*l)));
  }
}

// Marks the lines of each side that the other does not have (a multiset
// difference: a line both have twice and once is marked once), and counts
// them by kind.
void MarkDifference(
    const std::vector<LinePtr>& a, const std::vector<LinePtr>& b,
    std::vector<bool>* mark_a, std::vector<bool>* mark_b,
    absl::btree_map<std::string, std::pair<uint64_t, uint64_t>>* by_kind) {
  // Left over after matching: positive counts are only in A, negative
  // only in B.
  absl::flat_hash_map<absl::string_view, int64_t> left;
  for (const LinePtr& l : a) ++left[l->text];
  for (const LinePtr& l : b) --left[l->text];
  mark_a->assign(a.size(), false);
  mark_b->assign(b.size(), false);
  // The last occurrences are the unmatched ones, so a line both sides have
  // at the start stays unmarked.
  for (size_t i = a.size(); i-- > 0;) {
    int64_t& n = left[a[i]->text];
    if (n > 0) {
      (*mark_a)[i] = true;
      --n;
    }
  }
  for (size_t i = b.size(); i-- > 0;) {
    int64_t& n = left[b[i]->text];
    if (n < 0) {
      (*mark_b)[i] = true;
      ++n;
    }
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if ((*mark_a)[i]) ++(*by_kind)[std::string(KindOf(a[i]->text))].first;
  }
  for (size_t i = 0; i < b.size(); ++i) {
    if ((*mark_b)[i]) ++(*by_kind)[std::string(KindOf(b[i]->text))].second;
  }
}

}  // namespace

absl::StatusOr<DiffResult> DiffLogs(LogReader& a, LogReader& b,
                                    const DiffOptions& options) {
  DiffResult result;
  // Two binary logs' records that are the same byte for byte hold the same
  // lines: those are not compared line by line. With --ignore pfn, their
  // events are named once, for both sides: the same events give the same
  // names.
  SkippedChunks skipped;
  FolioNamer namer;
  {
    // Named on a thread of their own, while the next records are read.
    std::optional<trace::WriterThread<std::vector<mm::Event>>> naming;
    SkippedEvents name_events;
    if (options.ignore_pfn) {
      naming.emplace([&namer](std::vector<mm::Event>& events) {
        for (const mm::Event& e : events) {
          namer.NameRun(FolioNamer::FieldsOf(e), e.repeat(), nullptr);
        }
        events.clear();
        return absl::OkStatus();
      });
      name_events = [&naming](std::vector<mm::Event>& events) {
        naming->Submit(&events).IgnoreError();  // naming never fails
      };
    }
    // The records kept before a difference hold the context.
    absl::StatusOr<SkippedChunks> s = SkipEqualChunks(
        a, b, static_cast<uint64_t>(std::max(options.context, 0)), name_events);
    if (naming.has_value()) naming->Finish().IgnoreError();
    if (!s.ok()) return s.status();
    skipped = *s;
  }
  Side sb(b, options, namer);
  Side sa(a, options, std::move(namer));
  RunBuffers run_buffers;
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
    for (;;) {
      if (CompareRuns(sa, sb, op, options, run_buffers)) continue;
      if (!sa.Has(op) || !sb.Has(op) || !SameFront(sa, sb)) break;
      sa.Remember(sa.Take());
      sb.Remember(sb.Take());
    }
    if (!sa.Has(op) && !sb.Has(op)) continue;
    if (ops_differ++ == 0) first_op = op;
    last_op = op;
    bool first_window = true;
    while (sa.Has(op) || sb.Has(op)) {
      std::vector<LinePtr> la, lb;
      while (la.size() < kWindowLines && sa.Has(op)) la.push_back(sa.Take());
      while (lb.size() < kWindowLines && sb.Has(op)) lb.push_back(sb.Take());
      for (const LinePtr& l : la) sa.Text(*l);
      for (const LinePtr& l : lb) sb.Text(*l);
      std::vector<bool> mark_a, mark_b;
      MarkDifference(la, lb, &mark_a, &mark_b, &by_kind);
      if (first_window && ops_differ <= options.max_ops) {
        absl::StrAppend(&report,
                        ops_differ == 1 ? "first difference" : "difference",
                        " at op ", op);
        if (!la.empty()) {
          absl::StrAppend(&report, ", line ", la[0]->number, " of ", a.name());
        }
        if (!lb.empty()) {
          absl::StrAppend(&report, ", line ", lb[0]->number, " of ", b.name());
        }
        absl::StrAppend(&report, ":\n");
        AppendSide(sa, '-', la, mark_a, !sa.Has(op), options.context, &report);
        AppendSide(sb, '+', lb, mark_b, !sb.Has(op), options.context, &report);
        absl::StrAppend(&report, "\n");
      }
      first_window = false;
      for (LinePtr& l : la) sa.Remember(std::move(l));
      for (LinePtr& l : lb) sb.Remember(std::move(l));
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
