// docs/results.md's tables, made by running the commands the document
// shows. Each table sits in a block:
//
//   <!-- results NAME: METRIC METRIC ... -->
//   ```
//   mmreplay gen ... -o x.mmt
//   mmreplay compare x.mmt ... --json
//   ```
//   (the table this program writes)
//   <!-- end results -->
//
// The commands run in a scratch directory with `mmreplay` the binary given;
// the last one's stdout is a Comparison (proto/summary.proto) in JSON, and
// the table has one row per METRIC: A, B, B-A and B/A.
//
//   results [--mmreplay BIN] --check DOC    exit 1 if a table is not what
//                                           its commands print now
//   results [--mmreplay BIN] --update DOC   rewrite the tables
//
// BIN is replay/mmreplay of the runfiles by default; under `bazel run`, a
// relative DOC is the workspace's:
//
//   bazel run -c opt //tests/docs:results -- --update docs/results.md
//
// So the numbers in results.md come from a run, never typed in, and
// tests/docs:results_test fails when the model changes them.
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"
#include "proto/summary.pb.h"

namespace {

using mmreplay::Comparison;
using mmreplay::Summary;

// One row of a table: its label and its value in a summary. A metric
// named `family[ARG]` picks the entry ARG of a list (bytes_freed[punch_hole],
// collapses[collapsed], compactions[complete], counter[split_deferred]:
// a per-size counter summed over its sizes).
struct Metric {
  std::string label;
  std::function<int64_t(const Summary&)> value;
  // For `family[ARG]`: whether a summary lists ARG at all. A name neither
  // side lists is a typo in the document, not a 0.
  std::function<bool(const Summary&)> lists = nullptr;
};

template <typename List, typename Pred, typename Get>
int64_t Sum(const List& list, Pred pred, Get get) {
  int64_t sum = 0;
  for (const auto& e : list) {
    if (pred(e)) sum += static_cast<int64_t>(get(e));
  }
  return sum;
}

absl::StatusOr<Metric> FindMetric(const std::string& key) {
  const auto all = [](const auto&) { return true; };
  const auto large = [](const auto& e) { return e.order() > 0; };
  const auto small = [](const auto& e) { return e.order() == 0; };
  const auto count = [](const auto& e) { return e.count(); };
  const auto bytes = [](const auto& e) { return e.bytes(); };
  if (key == "splits") {
    return Metric{"folio splits", [=](const Summary& s) {
                    return Sum(s.splits(), all, count);
                  }};
  }
  if (key == "split_pieces") {
    return Metric{"folios made by splits", [=](const Summary& s) {
                    return Sum(s.splits(), all,
                               [](const auto& e) { return e.pieces(); });
                  }};
  }
  if (key == "xa_nodes_allocated") {
    return Metric{"xarray nodes allocated", [](const Summary& s) {
                    return static_cast<int64_t>(s.xa_nodes_allocated());
                  }};
  }
  if (key == "pmd_splits") {
    return Metric{"PMD splits", [](const Summary& s) {
                    return static_cast<int64_t>(s.pmd_splits());
                  }};
  }
  if (key == "deferred_adds" || key == "deferred_removes" ||
      key == "deferred_max_length") {
    return Metric{absl::StrCat("deferred split queue: ",
                               key == "deferred_adds"      ? "adds"
                               : key == "deferred_removes" ? "removes"
                                                           : "longest"),
                  [key](const Summary& s) {
                    const auto& d = s.deferred();
                    return static_cast<int64_t>(
                        key == "deferred_adds"      ? d.adds()
                        : key == "deferred_removes" ? d.removes()
                                                    : d.max_length());
                  }};
  }
  if (key == "migrations") {
    return Metric{"folios migrated", [](const Summary& s) {
                    return static_cast<int64_t>(s.migrations());
                  }};
  }
  if (key == "large_folios_at_end") {
    return Metric{"large folios at the end", [=](const Summary& s) {
                    return Sum(s.folios_at_end(), large, count);
                  }};
  }
  if (key == "large_folio_kib_at_end") {
    return Metric{"KiB in large folios at the end", [=](const Summary& s) {
                    return Sum(s.folios_at_end(), large, bytes) / 1024;
                  }};
  }
  if (key == "small_folio_kib_at_end") {
    return Metric{"KiB in order-0 folios at the end", [=](const Summary& s) {
                    return Sum(s.folios_at_end(), small, bytes) / 1024;
                  }};
  }
  if (key == "kib_at_end") {
    return Metric{"KiB in folios at the end", [=](const Summary& s) {
                    return Sum(s.folios_at_end(), all, bytes) / 1024;
                  }};
  }
  std::string family, arg;
  if (absl::EndsWith(key, "]") && key.find('[') != std::string::npos) {
    family = key.substr(0, key.find('['));
    arg = key.substr(family.size() + 1, key.size() - family.size() - 2);
  }
  const auto named = [arg](const auto& e) { return e.name() == arg; };
  // One entry of a list: its label, the list, and the value of an entry.
  const auto entry = [&](std::string label, auto list,
                         auto get) -> absl::StatusOr<Metric> {
    return Metric{std::move(label),
                  [=](const Summary& s) { return Sum(list(s), named, get); },
                  [=](const Summary& s) {
                    for (const auto& e : list(s)) {
                      if (named(e)) return true;
                    }
                    return false;
                  }};
  };
  if (family == "bytes_freed") {
    return entry(
        absl::StrCat("KiB freed by ", arg),
        [](const Summary& s) -> const auto& { return s.bytes_freed(); },
        [](const auto& e) { return e.count() / 1024; });
  }
  if (family == "collapses") {
    return entry(
        absl::StrCat("collapses: ", arg),
        [](const Summary& s) -> const auto& { return s.collapses(); }, count);
  }
  if (family == "compactions") {
    return entry(
        absl::StrCat("compaction runs: ", arg),
        [](const Summary& s) -> const auto& { return s.compactions(); }, count);
  }
  if (family == "counter") {
    return entry(
        arg, [](const Summary& s) -> const auto& { return s.counters(); },
        [](const auto& e) { return e.value(); });
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown metric '", key,
                                                 "' (tests/docs/results.cc "
                                                 "lists them)"));
}

std::string Quote(const std::string& s) {
  return absl::StrCat("'", absl::StrReplaceAll(s, {{"'", "'\\''"}}), "'");
}

// Runs one command line of a block in `dir`; returns its stdout.
absl::StatusOr<std::string> Run(const std::string& mmreplay,
                                const std::string& dir,
                                const std::string& line) {
  std::vector<std::string> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
  if (words.empty() || words[0] != "mmreplay") {
    return absl::InvalidArgumentError(
        absl::StrCat("a command must start with mmreplay: ", line));
  }
  words[0] = mmreplay;
  std::vector<std::string> quoted;
  for (const std::string& w : words) quoted.push_back(Quote(w));
  const std::string cmd =
      absl::StrCat("cd ", Quote(dir), " && ", absl::StrJoin(quoted, " "));
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return absl::InternalError("popen failed");
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  // compare exits 1 when the two sides differ, which is what a result
  // shows; 2 is trouble.
  if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {
    return absl::InternalError(absl::StrCat("failed: ", line));
  }
  return out;
}

std::string Signed(int64_t v) { return absl::StrFormat("%+d", v); }

absl::StatusOr<std::string> Table(const Comparison& c,
                                  const std::vector<std::string>& keys) {
  std::string t =
      absl::StrCat("| | A: ", c.a().profile(), " | B: ", c.b().profile(),
                   " | B-A | B/A |\n", "| --- | ---: | ---: | ---: | ---: |\n");
  for (const std::string& key : keys) {
    absl::StatusOr<Metric> m = FindMetric(key);
    if (!m.ok()) return m.status();
    if (m->lists != nullptr && !m->lists(c.a()) && !m->lists(c.b())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metric '", key, "': neither side's summary lists that name"));
    }
    const int64_t a = m->value(c.a()), b = m->value(c.b());
    absl::StrAppend(
        &t, "| ", m->label, " | ", a, " | ", b, " | ", Signed(b - a), " | ",
        a == 0 ? std::string("-")
               : absl::StrFormat(
                     "%.3f", static_cast<double>(b) / static_cast<double>(a)),
        " |\n");
  }
  return t;
}

// A block's table from its commands.
absl::StatusOr<std::string> MakeTable(const std::string& mmreplay,
                                      const std::vector<std::string>& commands,
                                      const std::vector<std::string>& keys) {
  const char* base = getenv("TEST_TMPDIR");
  std::string dir_template =
      absl::StrCat(base != nullptr ? base : "/tmp", "/mmreplay-results-XXXXXX");
  if (mkdtemp(dir_template.data()) == nullptr) {
    return absl::InternalError("mkdtemp failed");
  }
  std::string out;
  absl::Status status;
  for (const std::string& line : commands) {
    absl::StatusOr<std::string> o = Run(mmreplay, dir_template, line);
    if (!o.ok()) {
      status = o.status();
      break;
    }
    out = *o;
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_template, ignored);
  if (!status.ok()) return status;
  Comparison c;
  if (!google::protobuf::util::JsonStringToMessage(out, &c).ok()) {
    return absl::InvalidArgumentError(
        "the last command did not print a Comparison in JSON (compare "
        "--json)");
  }
  return Table(c, keys);
}

constexpr char kUsage[] =
    "usage: results [--mmreplay BIN] (--check|--update) DOC\n";

int Main(int argc, char** argv) {
  std::string mmreplay = "replay/mmreplay", doc;
  bool update = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--mmreplay" && i + 1 < argc) {
      mmreplay = argv[++i];
    } else if ((a == "--check" || a == "--update") && i + 1 < argc) {
      update = a == "--update";
      doc = argv[++i];
    } else {
      std::cerr << kUsage;
      return 2;
    }
  }
  if (doc.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  // The commands run in a scratch directory: paths must be absolute.
  char cwd[4096];
  if (mmreplay[0] != '/' && getcwd(cwd, sizeof cwd) != nullptr) {
    mmreplay = absl::StrCat(cwd, "/", mmreplay);
  }
  const char* workspace = getenv("BUILD_WORKSPACE_DIRECTORY");
  if (doc[0] != '/' && workspace != nullptr) {
    doc = absl::StrCat(workspace, "/", doc);
  }
  std::ifstream in(doc);
  if (!in) {
    std::cerr << "results: cannot read " << doc << "\n";
    return 2;
  }
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);

  std::string out;
  int stale = 0, blocks = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    absl::string_view l = lines[i];
    out += lines[i] + "\n";
    if (!absl::ConsumePrefix(&l, "<!-- results ") ||
        !absl::ConsumeSuffix(&l, " -->")) {
      continue;
    }
    ++blocks;
    const std::vector<std::string> head = absl::StrSplit(l, ": ");
    if (head.size() != 2) {
      std::cerr << doc << ":" << i + 1 << ": expected <!-- results NAME: "
                << "METRIC ... -->\n";
      return 2;
    }
    const std::string name = head[0];
    const std::vector<std::string> keys =
        absl::StrSplit(head[1], ' ', absl::SkipEmpty());
    // The fenced commands, copied as they are.
    std::vector<std::string> commands;
    size_t j = i + 1;
    if (j >= lines.size() || lines[j] != "```") {
      std::cerr << doc << ":" << j + 1 << ": " << name
                << ": expected ``` and the commands\n";
      return 2;
    }
    out += lines[j++] + "\n";
    for (; j < lines.size() && lines[j] != "```"; ++j) {
      out += lines[j] + "\n";
      if (!lines[j].empty()) commands.push_back(lines[j]);
    }
    if (j >= lines.size()) {
      std::cerr << doc << ": " << name << ": the commands' ``` never ends\n";
      return 2;
    }
    out += lines[j++] + "\n";
    // The table written last time, up to the end marker.
    std::string old;
    for (; j < lines.size() && lines[j] != "<!-- end results -->"; ++j) {
      old += lines[j] + "\n";
    }
    if (j >= lines.size()) {
      std::cerr << doc << ": " << name << ": no <!-- end results -->\n";
      return 2;
    }
    absl::StatusOr<std::string> table = MakeTable(mmreplay, commands, keys);
    if (!table.ok()) {
      std::cerr << doc << ": " << name << ": " << table.status().message()
                << "\n";
      return 2;
    }
    const std::string now = "\n" + *table + "\n";
    if (now != old) {
      ++stale;
      if (!update) {
        std::cerr << doc << ": " << name
                  << ": the table is not what its commands print now.\n"
                  << "in the document:\n"
                  << old << "now:\n"
                  << now;
      }
    }
    out += now + lines[j] + "\n";
    i = j;
  }
  if (blocks == 0) {
    std::cerr << doc << ": no <!-- results --> blocks\n";
    return 2;
  }
  if (!update) {
    std::cout << blocks << " tables, " << stale << " stale\n";
    if (stale != 0) {
      std::cerr << "remake them with: bazel run -c opt //tests/docs:results "
                   "-- --update docs/results.md (and review the diff)\n";
    }
    return stale == 0 ? 0 : 1;
  }
  const std::string tmp = doc + ".tmp";
  {
    std::ofstream o(tmp);
    o << out;
    if (!o.flush()) {
      std::cerr << "results: cannot write " << tmp << "\n";
      return 2;
    }
  }
  if (rename(tmp.c_str(), doc.c_str()) != 0) {
    std::cerr << "results: cannot rename " << tmp << "\n";
    return 2;
  }
  std::cout << blocks << " tables, " << stale << " changed\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
