#include "replay/log_diff.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace mmreplay::replay {
namespace {

struct Line {
  uint64_t number;
  std::string text;
};

// The op index a line starts with; lines without one sort last.
uint64_t OpOf(const std::string& line) {
  uint64_t op;
  size_t space = line.find(' ');
  if (!absl::SimpleAtoi(absl::string_view(line).substr(0, space), &op)) {
    return UINT64_MAX;
  }
  return op;
}

std::string KindOf(const std::string& line) {
  size_t a = line.find(' ');
  if (a == std::string::npos) return line;
  size_t b = line.find(' ', a + 1);
  return line.substr(a + 1, b == std::string::npos ? b : b - a - 1);
}

// Reads one op's lines at a time, remembering the last few lines read and
// reading ahead as far as the trailing context asks.
class Grouper {
 public:
  Grouper(LogLines& lines, int context) : lines_(lines), context_(context) {
    ReadAhead(1);
  }
  bool done() const { return ahead_.empty(); }
  uint64_t next_op() const { return OpOf(ahead_.front().text); }
  // The lines of the next op.
  std::vector<Line> Take() {
    std::vector<Line> group;
    const uint64_t op = next_op();
    while (!ahead_.empty() && OpOf(ahead_.front().text) == op) {
      group.push_back(std::move(ahead_.front()));
      ahead_.pop_front();
      ReadAhead(1);
    }
    return group;
  }
  // Up to `context` lines read before the current group.
  const std::deque<Line>& history() const { return history_; }
  void Remember(const std::vector<Line>& group) {
    for (const Line& l : group) {
      history_.push_back(l);
      if (history_.size() > static_cast<size_t>(context_)) history_.pop_front();
    }
  }
  // Up to n lines after the current group, for trailing context.
  std::vector<Line> Peek(int n) {
    const size_t want = n > 0 ? static_cast<size_t>(n) : 0;
    ReadAhead(want);
    const auto k = static_cast<long>(std::min(ahead_.size(), want));
    return std::vector<Line>(ahead_.begin(), ahead_.begin() + k);
  }

 private:
  // Reads lines until n are waiting or the log ends.
  void ReadAhead(size_t n) {
    while (!ended_ && ahead_.size() < n) {
      Line l;
      if (!lines_.Next(&l.text, &l.number)) {
        ended_ = true;
        break;
      }
      ahead_.push_back(std::move(l));
    }
  }

  LogLines& lines_;
  int context_;
  bool ended_ = false;
  // Lines read and not yet taken, in order.
  std::deque<Line> ahead_;
  std::deque<Line> history_;
};

void AppendSide(absl::string_view name, char mark,
                const std::deque<Line>& before, const std::vector<Line>& group,
                size_t at, int context, const std::vector<Line>& after,
                std::string* out) {
  absl::StrAppend(out, mark == '-' ? "--- " : "+++ ", name, "\n");
  for (const Line& l : before) {
    absl::StrAppend(out, absl::StrFormat("   %7d | %s\n", l.number, l.text));
  }
  for (size_t i = 0; i < at && i < group.size(); ++i) {
    absl::StrAppend(
        out, absl::StrFormat("   %7d | %s\n", group[i].number, group[i].text));
  }
  int shown = 0;
  for (size_t i = at; i < group.size() && shown <= context; ++i, ++shown) {
    absl::StrAppend(out, absl::StrFormat(" %c %7d | %s\n", i == at ? mark : ' ',
                                         group[i].number, group[i].text));
  }
  for (const Line& l : after) {
    if (shown++ > context) break;
    absl::StrAppend(out, absl::StrFormat("   %7d | %s\n", l.number, l.text));
  }
  if (at >= group.size()) {
    absl::StrAppend(
        out,
        absl::StrFormat(" %c         | (no more events for this op)\n", mark));
  }
}

}  // namespace

absl::StatusOr<LogLines> LogLines::FromFile(const std::string& path) {
  LogLines lines;
  lines.name_ = path;
  lines.file_ = path == "-" ? stdin : fopen(path.c_str(), "r");
  if (lines.file_ == nullptr) {
    std::string why = strerror(errno);
    if (errno == ENOENT)
      return absl::NotFoundError(absl::StrCat(path, ": ", why));
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", why));
  }
  // fopen() opens a directory for reading; its first read fails.
  struct stat st;
  if (fstat(fileno(lines.file_), &st) == 0 && S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", strerror(EISDIR)));
  }
  return lines;
}

LogLines LogLines::FromText(std::string name, std::string text) {
  LogLines lines;
  lines.name_ = std::move(name);
  lines.text_ = std::move(text);
  return lines;
}

LogLines::LogLines(LogLines&& o) noexcept { *this = std::move(o); }

LogLines& LogLines::operator=(LogLines&& o) noexcept {
  name_ = std::move(o.name_);
  file_ = std::exchange(o.file_, nullptr);
  text_ = std::move(o.text_);
  pos_ = o.pos_;
  number_ = o.number_;
  return *this;
}

LogLines::~LogLines() {
  if (file_ != nullptr && file_ != stdin) fclose(file_);
}

bool LogLines::Next(std::string* line, uint64_t* number) {
  for (;;) {
    if (file_ != nullptr) {
      char* buf = nullptr;
      size_t cap = 0;
      ssize_t n = getline(&buf, &cap, file_);
      if (n < 0) {
        free(buf);
        return false;
      }
      line->assign(buf, n > 0 && buf[n - 1] == '\n' ? n - 1 : n);
      free(buf);
    } else {
      if (pos_ >= text_.size()) return false;
      size_t eol = text_.find('\n', pos_);
      if (eol == std::string::npos) eol = text_.size();
      line->assign(text_, pos_, eol - pos_);
      pos_ = eol + 1;
    }
    ++number_;
    if (!line->empty() && (*line)[0] == '#') continue;
    *number = number_;
    return true;
  }
}

DiffResult DiffLogs(LogLines& a, LogLines& b, const DiffOptions& options) {
  DiffResult result;
  Grouper ga(a, options.context), gb(b, options.context);
  // Per kind: events only in A, only in B.
  absl::btree_map<std::string, std::pair<uint64_t, uint64_t>> by_kind;
  uint64_t ops_differ = 0, first_op = 0, last_op = 0;
  std::string first;
  while (!ga.done() || !gb.done()) {
    uint64_t op_a = ga.done() ? UINT64_MAX : ga.next_op();
    uint64_t op_b = gb.done() ? UINT64_MAX : gb.next_op();
    uint64_t op = std::min(op_a, op_b);
    // A line with no op number sorts last (UINT64_MAX), as does a side that
    // is done: only a side with lines left gives its group.
    std::vector<Line> la =
        !ga.done() && op_a == op ? ga.Take() : std::vector<Line>();
    std::vector<Line> lb =
        !gb.done() && op_b == op ? gb.Take() : std::vector<Line>();
    size_t at = 0;
    while (at < la.size() && at < lb.size() && la[at].text == lb[at].text) ++at;
    if (at == la.size() && at == lb.size()) {
      ga.Remember(la);
      gb.Remember(lb);
      continue;
    }
    ++ops_differ;
    last_op = op;
    if (first.empty()) {
      first_op = op;
      uint64_t line_a = at < la.size() ? la[at].number : 0;
      uint64_t line_b = at < lb.size() ? lb[at].number : 0;
      first = absl::StrCat("first difference at op ", op);
      if (line_a) absl::StrAppend(&first, ", line ", line_a, " of ", a.name());
      if (line_b) absl::StrAppend(&first, ", line ", line_b, " of ", b.name());
      absl::StrAppend(&first, ":\n");
      AppendSide(a.name(), '-', ga.history(), la, at, options.context,
                 ga.Peek(options.context), &first);
      AppendSide(b.name(), '+', gb.history(), lb, at, options.context,
                 gb.Peek(options.context), &first);
    }
    // Multiset difference of the op's events.
    absl::btree_map<std::string, int64_t> count;
    for (const Line& l : la) ++count[l.text];
    for (const Line& l : lb) --count[l.text];
    for (const auto& [text, n] : count) {
      if (n > 0) by_kind[KindOf(text)].first += n;
      if (n < 0) by_kind[KindOf(text)].second += -n;
    }
    ga.Remember(la);
    gb.Remember(lb);
  }
  if (ops_differ == 0) return result;
  result.equal = false;
  result.report = first;
  absl::StrAppend(&result.report, "\nevents that differ, by kind (only in ",
                  a.name(), " / only in ", b.name(), "):\n");
  for (const auto& [kind, n] : by_kind) {
    absl::StrAppend(&result.report, absl::StrFormat("  %-20s %8d %8d\n", kind,
                                                    n.first, n.second));
  }
  if (by_kind.empty()) {
    absl::StrAppend(&result.report,
                    "  (none: the same events in a different order)\n");
  }
  absl::StrAppend(&result.report, "ops that differ: ", ops_differ,
                  " (first op ", first_op, ", last op ", last_op, ")\n");
  return result;
}

}  // namespace mmreplay::replay
