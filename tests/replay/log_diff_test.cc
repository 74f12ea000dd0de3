// mmreplay diff: a planted divergence is reported at its op, with context,
// and counted by event kind; every differing op is listed up to --max;
// --ignore pfn sees through PFNs that drift, and not through a real
// difference.
#include "replay/log_diff.h"

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "replay/event_log.h"
#include "replay/log_reader.h"
#include "tests/replay/log_files.h"
#include "trace/output_file.h"

namespace mmreplay::replay {
namespace {

constexpr char kLog[] =
    "# mmreplay event log v2 profile=linux-6.18\n"
    "4 folio_alloc pfn=0x200 order=9 ref=1 reason=anon_fault\n"
    "4 map pfn=0x200 order=9 pid=1 addr=0x7f0000000000 pages=512 level=pmd "
    "map=0->1 reason=anon_fault\n"
    "6 pmd_split pfn=0x200 order=9 pid=1 addr=0x7f0000000000 "
    "reason=madv_dontneed\n"
    "6 unmap pfn=0x200 order=9 pid=1 addr=0x7f0000001000 pages=1 level=pte "
    "map=512->511 reason=madv_dontneed\n"
    "6 deferred_add pfn=0x200 order=9 reason=partially_mapped\n"
    "9 split pfn=0x200 order=9 type=uniform orders=0*512 "
    "reason=deferred_scan\n";

DiffResult Diff(const std::string& a, const std::string& b,
                const DiffOptions& options = DiffOptions()) {
  std::unique_ptr<LogReader> la = LogReader::FromText("a.log", a);
  std::unique_ptr<LogReader> lb = LogReader::FromText("b.log", b);
  absl::StatusOr<DiffResult> r = DiffLogs(*la, *lb, options);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : DiffResult{};
}

// kLog with its line starting with `prefix` replaced by `line`.
std::string WithLine(const std::string& prefix, const std::string& line) {
  std::string log = kLog;
  size_t at = log.find(prefix);
  log.replace(at, log.find('\n', at) - at, line);
  return log;
}

TEST(LogDiffTest, EqualLogsAreEqual) { EXPECT_TRUE(Diff(kLog, kLog).equal); }

TEST(LogDiffTest, CommentsNeverDiffer) {
  std::string other = kLog;
  other.replace(0, other.find('\n'),
                "# mmreplay event log v2 profile=linux-6.1");
  EXPECT_TRUE(Diff(kLog, other).equal);
}

TEST(LogDiffTest, PlantedDivergenceIsReportedAtItsOp) {
  DiffResult r = Diff(
      kLog,
      WithLine("6 deferred_add", "6 folio_free pfn=0x200 order=9 reason=free"));
  ASSERT_FALSE(r.equal);
  EXPECT_NE(r.report.find("first difference at op 6, line 6 of a.log, line 6 "
                          "of b.log:"),
            std::string::npos)
      << r.report;
  EXPECT_NE(r.report.find(" - "
                          "      6 | 6 deferred_add pfn=0x200"),
            std::string::npos)
      << r.report;
  EXPECT_NE(r.report.find(" + "
                          "      6 | 6 folio_free pfn=0x200"),
            std::string::npos)
      << r.report;
  // Context: the line before the difference, on both sides.
  EXPECT_NE(r.report.find("      5 | 6 unmap"), std::string::npos) << r.report;
  // The summary is the report's last line.
  EXPECT_TRUE(absl::EndsWith(
      r.report,
      "\n3 ops compared, 1 differ (first op 6, last op 6); events only in "
      "a.log / only in b.log: deferred_add 1/0, folio_free 0/1\n"))
      << r.report;
}

TEST(LogDiffTest, ContextFollowsTheDifferenceToo) {
  // A divergence at op 4's first line: --context 3 shows the three lines
  // after it on each side, from this op and the next ones.
  DiffResult r =
      Diff(kLog,
           WithLine("4 folio_alloc",
                    "4 folio_alloc pfn=0x400 order=9 ref=1 reason=anon_fault"));
  ASSERT_FALSE(r.equal);
  for (const char* line :
       {"      3 | 4 map", "      4 | 6 pmd_split", "      5 | 6 unmap"}) {
    size_t first = r.report.find(line);
    ASSERT_NE(first, std::string::npos) << line << "\n" << r.report;
    EXPECT_NE(r.report.find(line, first + 1), std::string::npos)
        << line << " on both sides\n"
        << r.report;
  }
  EXPECT_EQ(r.report.find("      6 | 6 deferred_add"), std::string::npos)
      << r.report;
}

TEST(LogDiffTest, EventsOfAnOpOnlyOneSideHas) {
  std::string b = kLog;
  b += "12 folio_free pfn=0x200 order=0 reason=free\n";
  DiffResult r = Diff(kLog, b);
  ASSERT_FALSE(r.equal);
  EXPECT_NE(r.report.find("first difference at op 12, line 8 of b.log"),
            std::string::npos)
      << r.report;
}

TEST(LogDiffTest, ReorderedEventsDifferWithoutKindCounts) {
  std::string b = kLog;
  size_t a1 = b.find("6 unmap"), a2 = b.find("6 deferred_add");
  std::string l1 = b.substr(a1, a2 - a1);
  b.erase(a1, a2 - a1);
  size_t end = b.find('\n', b.find("6 deferred_add")) + 1;
  b.insert(end, l1);
  DiffResult r = Diff(kLog, b);
  ASSERT_FALSE(r.equal);
  EXPECT_NE(r.report.find("none (the same events in a different order)"),
            std::string::npos)
      << r.report;
}

// kLog with every PFN moved by `delta` pages: what another allocator gives.
std::string Drifted(uint64_t delta) {
  std::string log = kLog;
  const std::string from = "pfn=0x200";
  const std::string to = absl::StrCat("pfn=0x", absl::Hex(0x200 + delta));
  for (size_t at = log.find(from); at != std::string::npos;
       at = log.find(from, at + to.size())) {
    log.replace(at, from.size(), to);
  }
  return log;
}

TEST(LogDiffTest, EveryDifferingOpIsListed) {
  DiffResult r = Diff(kLog, Drifted(0x400));
  ASSERT_FALSE(r.equal);
  EXPECT_NE(r.report.find("first difference at op 4, line 2"),
            std::string::npos)
      << r.report;
  EXPECT_NE(r.report.find("\ndifference at op 6, line 4"), std::string::npos)
      << r.report;
  EXPECT_NE(r.report.find("\ndifference at op 9, line 7"), std::string::npos)
      << r.report;
  EXPECT_NE(r.report.find("3 ops compared, 3 differ (first op 4, last op 9)"),
            std::string::npos)
      << r.report;
}

TEST(LogDiffTest, MaxCapsTheOpsShownNotTheCount) {
  DiffOptions options;
  options.max_ops = 1;
  DiffResult r = Diff(kLog, Drifted(0x400), options);
  ASSERT_FALSE(r.equal);
  EXPECT_NE(r.report.find("first difference at op 4"), std::string::npos);
  EXPECT_EQ(r.report.find("difference at op 6"), std::string::npos) << r.report;
  EXPECT_NE(r.report.find("(2 more ops differ; --max 1 shows the first 1)"),
            std::string::npos)
      << r.report;
  EXPECT_NE(r.report.find("3 ops compared, 3 differ"), std::string::npos)
      << r.report;
}

TEST(LogDiffTest, IgnorePfnSeesThroughADriftedAllocator) {
  DiffOptions options;
  options.ignore_pfn = true;
  EXPECT_TRUE(Diff(kLog, Drifted(0x400), options).equal);
  // Without it, the same logs differ.
  EXPECT_FALSE(Diff(kLog, Drifted(0x400)).equal);
}

TEST(LogDiffTest, IgnorePfnStillFindsARealDifference) {
  DiffOptions options;
  options.ignore_pfn = true;
  std::string b = Drifted(0x400);
  const std::string queued = "reason=partially_mapped";
  b.replace(b.find(queued), queued.size(), "reason=underused");
  DiffResult r = Diff(kLog, b, options);
  ASSERT_FALSE(r.equal);
  // The events are named by identity: op 4's first allocation.
  EXPECT_NE(r.report.find(" -       6 | 6 deferred_add pfn=@4.1 order=9 "
                          "reason=partially_mapped"),
            std::string::npos)
      << r.report;
  EXPECT_NE(r.report.find(" +       6 | 6 deferred_add pfn=@4.1 order=9 "
                          "reason=underused"),
            std::string::npos)
      << r.report;
  EXPECT_NE(r.report.find("1 differ (first op 6, last op 6); events only in "
                          "a.log / only in b.log: deferred_add 1/1\n"),
            std::string::npos)
      << r.report;
}

TEST(LogDiffTest, IgnorePfnNamesSplitPiecesAfterTheirParent) {
  // After the split, the piece at +3 is freed: on both sides the same
  // piece, at other PFNs.
  std::string a = kLog, b = Drifted(0x400);
  a += "12 folio_free pfn=0x203 order=0 reason=free\n";
  b += "12 folio_free pfn=0x603 order=0 reason=free\n";
  DiffOptions options;
  options.ignore_pfn = true;
  EXPECT_TRUE(Diff(a, b, options).equal);
  // Another piece is another folio.
  std::string c = Drifted(0x400) +
                  "12 folio_free pfn=0x604 order=0 "
                  "reason=free\n";
  DiffResult r = Diff(a, c, options);
  ASSERT_FALSE(r.equal);
  EXPECT_NE(r.report.find("12 folio_free pfn=@4.1+3 order=0"),
            std::string::npos)
      << r.report;
  EXPECT_NE(r.report.find("12 folio_free pfn=@4.1+4 order=0"),
            std::string::npos)
      << r.report;
}

// A split_piece line names its parent by PFN too: by identity under
// ignore_pfn, so drifted pieces still match, and a piece of another parent
// does not.
TEST(LogDiffTest, IgnorePfnNamesSplitPieceParents) {
  std::string a = kLog, b = Drifted(0x400);
  a += "12 split_piece pfn=0x203 order=0 parent=0x200\n";
  b += "12 split_piece pfn=0x603 order=0 parent=0x600\n";
  DiffOptions options;
  options.ignore_pfn = true;
  EXPECT_TRUE(Diff(a, b, options).equal);
  std::string c =
      Drifted(0x400) + "12 split_piece pfn=0x603 order=0 parent=0x603\n";
  DiffResult r = Diff(a, c, options);
  ASSERT_FALSE(r.equal);
  EXPECT_NE(r.report.find("12 split_piece pfn=@4.1+3 order=0 parent=@4.1\n"),
            std::string::npos)
      << r.report;
  EXPECT_NE(r.report.find("12 split_piece pfn=@4.1+3 order=0 parent=@4.1+3\n"),
            std::string::npos)
      << r.report;
}

TEST(LogDiffTest, IgnorePfnNamesNoPieceBeyondTheParent) {
  // A damaged split line claims 2^32 order-0 pieces of an order-9 folio
  // (a fuzz input that once named 4G pieces): only the parent's 512 pages
  // are named, so +511 is a piece and +512 is no folio of this log.
  std::string a = WithLine("9 split",
                           "9 split pfn=0x200 order=9 "
                           "type=uniform orders=0*4294967295 "
                           "reason=deferred_scan");
  a += "12 folio_free pfn=0x3ff order=0 reason=free\n"
       "13 folio_free pfn=0x400 order=0 reason=free\n";
  std::string b = a;
  b.replace(b.find("13 folio_free pfn=0x400"), 23, "13 folio_free pfn=0x401");
  DiffOptions options;
  options.ignore_pfn = true;
  DiffResult r = Diff(a, b, options);
  ASSERT_FALSE(r.equal);
  EXPECT_NE(r.report.find("first difference at op 13"), std::string::npos)
      << r.report;
  EXPECT_NE(r.report.find("13 folio_free pfn=0x400"), std::string::npos)
      << r.report;
}

TEST(LogDiffTest, IgnoreAddr) {
  std::string b = kLog;
  b.replace(b.find("addr=0x7f0000001000"), 19, "addr=0x7f0000002000");
  EXPECT_FALSE(Diff(kLog, b).equal);
  DiffOptions options;
  options.ignore_addr = true;
  EXPECT_TRUE(Diff(kLog, b, options).equal);
}

TEST(LogDiffTest, NotALogIsAnError) {
  std::unique_ptr<LogReader> a = LogReader::FromText("a.log", kLog);
  std::unique_ptr<LogReader> b =
      LogReader::FromText("b.log", "header { format_version: 1 }\n");
  absl::StatusOr<DiffResult> r = DiffLogs(*a, *b, DiffOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "b.log: not an event log: it does not start with '# mmreplay "
            "event log v2'");
}

// Two binary logs: the records they share at their start are skipped
// unread as lines (SkipEqualChunks), and the report is still the one the
// text forms give, wherever the difference is: in the first chunk, at a
// chunk's edge, after several, or one log cut short.
// `n` events, four an op, alternately an allocation and a map.
std::vector<mm::Event> ManyEvents(int n) {
  std::vector<mm::Event> events;
  mm::Event e;
  for (int i = 0; i < n; ++i) {
    e.Clear();
    e.set_op_index(1 + static_cast<uint64_t>(i) / 4);
    e.set_kind(i % 2 == 0 ? EVENT_FOLIO_ALLOC : EVENT_MAP);
    e.set_pfn(static_cast<uint64_t>(i) * 7919 % 262144);
    e.set_order(0);
    if (i % 2 == 1) {
      e.set_pid(1);
      e.set_addr(0x7f0000000000 + static_cast<uint64_t>(i) * 4096);
    }
    e.set_reason(REASON_ANON_FAULT);
    events.push_back(e);
  }
  return events;
}

DiffResult DiffFiles(const std::string& a, const std::string& b,
                     const DiffOptions& options) {
  auto la = LogReader::Open(a);
  auto lb = LogReader::Open(b);
  EXPECT_TRUE(la.ok() && lb.ok());
  if (!la.ok() || !lb.ok()) return DiffResult{};
  absl::StatusOr<DiffResult> r = DiffLogs(**la, **lb, options);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : DiffResult{};
}

TEST(LogDiffTest, BinaryLogsSkipWhatTheyShareAndReportAsTheText) {
  const std::vector<mm::Event> base = ManyEvents(30000);
  std::vector<std::pair<std::string, std::vector<mm::Event>>> others;
  others.emplace_back("equal", base);
  for (int at : {5, kChunkEvents - 1, kChunkEvents, 2 * kChunkEvents + 1, 20000,
                 29999}) {
    std::vector<mm::Event> changed = base;
    changed[at].set_pfn(changed[at].pfn() + 1);
    others.emplace_back(absl::StrCat("pfn at ", at), changed);
  }
  others.emplace_back(
      "cut short",
      std::vector<mm::Event>(base.begin(), base.begin() + 3 * kChunkEvents));
  WriteLog(TempPath("a.log"), LogFormat::kText, base);
  WriteLog(TempPath("a.mme"), LogFormat::kBinary, base);
  DiffOptions context0, max1, addr, pfn;
  context0.context = 0;
  max1.max_ops = 1;
  addr.ignore_addr = true;
  // The records skipped are named once, for both sides.
  pfn.ignore_pfn = true;
  for (const auto& [what, events] : others) {
    SCOPED_TRACE(what);
    WriteLog(TempPath("b.log"), LogFormat::kText, events);
    WriteLog(TempPath("b.mme"), LogFormat::kBinary, events);
    for (const DiffOptions& options :
         {DiffOptions(), context0, max1, addr, pfn}) {
      const DiffResult text =
          DiffFiles(TempPath("a.log"), TempPath("b.log"), options);
      const DiffResult binary =
          DiffFiles(TempPath("a.mme"), TempPath("b.mme"), options);
      EXPECT_EQ(binary.equal, text.equal);
      EXPECT_EQ(binary.ops, text.ops);
      EXPECT_EQ(absl::StrReplaceAll(binary.report, {{".mme", ".log"}}),
                text.report);
      // A folio_alloc one page off is the same folio under --ignore pfn;
      // the map at an odd event is not.
      const bool alloc_moved = what != "equal" && what != "cut short" &&
                               std::stoi(what.substr(7)) % 2 == 0;
      EXPECT_EQ(text.equal,
                what == "equal" || (options.ignore_pfn && alloc_moved));
    }
  }
}

// A folio's life with every rule of --ignore pfn's names, its PFNs from
// `base` (a drifted allocator gives another), and a compaction zone that
// starts at `zone`: an order-9 allocation (the first of op 1) split
// uniformly, its pieces, piece +3 migrated to a block no allocation named
// and freed there, piece +4 migrated onto a block allocated in the log,
// and a zone's PFN, which stays a number.
std::vector<mm::Event> FolioLife(uint64_t base, uint64_t zone) {
  std::vector<mm::Event> events;
  auto add = [&](uint64_t op, EventKind kind, uint64_t pfn, uint32_t order) {
    mm::Event e;
    e.set_op_index(op);
    e.set_kind(kind);
    e.set_pfn(pfn);
    e.set_order(order);
    events.push_back(e);
    return &events.back();
  };
  add(1, EVENT_FOLIO_ALLOC, base, 9)->set_ref_after(1);
  mm::Event* map = add(1, EVENT_MAP, base, 9);
  map->set_pid(1);
  map->set_addr(0x7f0000000000);
  map->set_nr_pages(512);
  map->set_level(MAP_LEVEL_PMD);
  add(2, EVENT_SPLIT, base, 9)->add_new_orders(0, 512);
  for (uint64_t i = 0; i < 3; ++i) {
    add(2, EVENT_SPLIT_PIECE, base + i, 0)->set_parent_pfn(base);
  }
  add(3, EVENT_COMPACT_BEGIN, zone, 0);
  add(3, EVENT_MIGRATE, base + 3, 0)->set_dst_pfn(base + 0x1000);
  add(3, EVENT_FOLIO_FREE, base + 0x1000, 0);
  add(3, EVENT_FOLIO_ALLOC, base + 0x2000, 0);
  add(3, EVENT_MIGRATE, base + 4, 0)->set_dst_pfn(base + 0x2000);
  add(3, EVENT_REF_GET, base + 0x2000, 0)->set_ref_after(2);
  add(3, EVENT_COMPACT_END, zone, 0)
      ->set_compact_result(COMPACT_RESULT_SUCCESS);
  return events;
}

// The names are the same whether diff reads a log's text or its events
// (a binary log's, never made into text), and so is the report: a drifted
// allocator is seen through in every pairing of forms, a real difference
// is reported alike.
TEST(LogDiffTest, IgnorePfnNamesAlikeInEveryForm) {
  const std::vector<mm::Event> a = FolioLife(0x200, 0x0);
  std::vector<std::pair<std::string, std::vector<mm::Event>>> others;
  others.emplace_back("drifted", FolioLife(0x600, 0x0));
  // Past the PFNs a machine has (a damaged log's): named all the same.
  others.emplace_back("drifted far", FolioLife(uint64_t{1} << 40, 0x0));
  for (size_t at = 0; at < a.size(); ++at) {
    // Each event's PFN one page off: a folio of another name, or for the
    // zone's, another number.
    std::vector<mm::Event> b = FolioLife(0x600, 0x0);
    b[at].set_pfn(b[at].pfn() + 1);
    others.emplace_back(absl::StrCat("pfn of event ", at), b);
  }
  for (size_t at : {6u, 9u}) {  // a migration's destination one page off
    std::vector<mm::Event> b = FolioLife(0x600, 0x0);
    b[at].set_dst_pfn(b[at].dst_pfn() + 1);
    others.emplace_back(absl::StrCat("dst of event ", at), b);
  }
  std::vector<mm::Event> parent = FolioLife(0x600, 0x0);
  parent[4].set_parent_pfn(0x601);
  others.emplace_back("parent of a piece", parent);
  WriteLog(TempPath("life_a.log"), LogFormat::kText, a);
  WriteLog(TempPath("life_a.mme"), LogFormat::kBinary, a);
  DiffOptions options;
  options.ignore_pfn = true;
  for (const auto& [what, events] : others) {
    SCOPED_TRACE(what);
    WriteLog(TempPath("life_b.log"), LogFormat::kText, events);
    WriteLog(TempPath("life_b.mme"), LogFormat::kBinary, events);
    const DiffResult text =
        DiffFiles(TempPath("life_a.log"), TempPath("life_b.log"), options);
    EXPECT_EQ(text.equal, absl::StartsWith(what, "drifted")) << text.report;
    for (const auto& [fa, fb] :
         std::vector<std::pair<const char*, const char*>>{
             {"life_a.mme", "life_b.mme"},
             {"life_a.log", "life_b.mme"},
             {"life_a.mme", "life_b.log"}}) {
      const DiffResult r = DiffFiles(TempPath(fa), TempPath(fb), options);
      EXPECT_EQ(r.equal, text.equal) << fa << " " << fb;
      EXPECT_EQ(absl::StrReplaceAll(r.report, {{".mme", ".log"}}), text.report)
          << fa << " " << fb;
    }
  }
}

// A binary log holds the pieces of a split as one run: the run is compared
// whole, and a PFN no allocation named (here the parent's) is still
// compared as its number.
TEST(LogDiffTest, IgnorePfnComparesUnnamedPfnsOfARun) {
  auto pieces = [](uint64_t base, uint64_t parent) {
    std::vector<mm::Event> events = FolioLife(base, 0x0);
    for (size_t i = 3; i < 6; ++i) events[i].set_parent_pfn(parent);
    return events;
  };
  WriteLog(TempPath("run_a.log"), LogFormat::kText, pieces(0x200, 0x9000));
  WriteLog(TempPath("run_a.mme"), LogFormat::kBinary, pieces(0x200, 0x9000));
  DiffOptions options;
  options.ignore_pfn = true;
  for (uint64_t parent : {0x9000, 0x9001}) {
    SCOPED_TRACE(parent);
    WriteLog(TempPath("run_b.log"), LogFormat::kText, pieces(0x600, parent));
    WriteLog(TempPath("run_b.mme"), LogFormat::kBinary, pieces(0x600, parent));
    const DiffResult text =
        DiffFiles(TempPath("run_a.log"), TempPath("run_b.log"), options);
    EXPECT_EQ(text.equal, parent == 0x9000) << text.report;
    const DiffResult binary =
        DiffFiles(TempPath("run_a.mme"), TempPath("run_b.mme"), options);
    EXPECT_EQ(binary.equal, text.equal);
    EXPECT_EQ(absl::StrReplaceAll(binary.report, {{".mme", ".log"}}),
              text.report);
  }
}

// A run longer than the batches its names are read in: the first event
// whose names differ (past the first batch) is found, and the report is
// the text's, with context shorter and longer than a batch.
TEST(LogDiffTest, IgnorePfnFindsADifferenceDeepInARun) {
  // An order-9 folio split into `orders`, then its 512 pages freed in one
  // run.
  auto life = [](uint64_t base,
                 std::vector<std::pair<uint32_t, uint32_t>> orders) {
    std::vector<mm::Event> events;
    mm::Event e;
    e.set_op_index(1);
    e.set_kind(EVENT_FOLIO_ALLOC);
    e.set_pfn(base);
    e.set_order(9);
    events.push_back(e);
    e.Clear();
    e.set_op_index(2);
    e.set_kind(EVENT_SPLIT);
    e.set_pfn(base);
    e.set_order(9);
    for (const auto& [order, count] : orders) e.add_new_orders(order, count);
    events.push_back(e);
    // One event for the run, as the model emits a batch.
    e.Clear();
    e.set_op_index(3);
    e.set_kind(EVENT_FOLIO_FREE);
    e.set_pfn(base);
    e.set_order(0);
    e.set_repeat(512);
    events.push_back(e);
    return events;
  };
  WriteLog(TempPath("deep_a.log"), LogFormat::kText, life(0x200, {{0, 512}}));
  WriteLog(TempPath("deep_a.mme"), LogFormat::kBinary, life(0x200, {{0, 512}}));
  // Pages +385 on are no piece's (an order-7 piece at +384): their names
  // first differ at the 386th free.
  for (const auto& orders :
       std::vector<std::vector<std::pair<uint32_t, uint32_t>>>{
           {{0, 512}}, {{0, 384}, {7, 1}}}) {
    SCOPED_TRACE(orders.size());
    WriteLog(TempPath("deep_b.log"), LogFormat::kText, life(0x600, orders));
    WriteLog(TempPath("deep_b.mme"), LogFormat::kBinary, life(0x600, orders));
    for (int context : {3, 300}) {
      DiffOptions options;
      options.ignore_pfn = true;
      options.context = context;
      const DiffResult text =
          DiffFiles(TempPath("deep_a.log"), TempPath("deep_b.log"), options);
      EXPECT_EQ(text.equal, orders.size() == 1) << text.report;
      if (!text.equal) {
        EXPECT_NE(text.report.find("3 folio_free pfn=@1.1+385 order=0"),
                  std::string::npos)
            << text.report;
      }
      const DiffResult binary =
          DiffFiles(TempPath("deep_a.mme"), TempPath("deep_b.mme"), options);
      EXPECT_EQ(binary.equal, text.equal);
      EXPECT_EQ(absl::StrReplaceAll(binary.report, {{".mme", ".log"}}),
                text.report);
    }
  }
}

// The records two binary logs share are skipped, but their folios are
// still named: a folio allocated there keeps its name after.
TEST(LogDiffTest, IgnorePfnNamesFoliosOfTheRecordsSkipped) {
  std::vector<mm::Event> a = ManyEvents(3 * kChunkEvents);
  mm::Event e;
  e.set_op_index(1);
  e.set_kind(EVENT_FOLIO_ALLOC);
  e.set_pfn(0x7777777);
  e.set_order(0);
  a.insert(a.begin(), e);
  e.set_op_index(a.back().op_index() + 1);
  e.set_kind(EVENT_FOLIO_FREE);
  a.push_back(e);
  std::vector<mm::Event> b = a;
  e.set_kind(EVENT_REF_PUT);
  b.push_back(e);
  WriteLog(TempPath("early_a.log"), LogFormat::kText, a);
  WriteLog(TempPath("early_a.mme"), LogFormat::kBinary, a);
  WriteLog(TempPath("early_b.log"), LogFormat::kText, b);
  WriteLog(TempPath("early_b.mme"), LogFormat::kBinary, b);
  DiffOptions options;
  options.ignore_pfn = true;
  const DiffResult text =
      DiffFiles(TempPath("early_a.log"), TempPath("early_b.log"), options);
  ASSERT_FALSE(text.equal);
  EXPECT_NE(text.report.find(" folio_free pfn=@1.1 "), std::string::npos)
      << text.report;
  const DiffResult binary =
      DiffFiles(TempPath("early_a.mme"), TempPath("early_b.mme"), options);
  EXPECT_EQ(absl::StrReplaceAll(binary.report, {{".mme", ".log"}}),
            text.report);
}

// The record kept before the first that differs may hold no events (a
// chunk is also written when its ops' lines fill it): the records skipped
// still leave the context the text has. 4097 ops with an allocation each
// (a chunk's 4096, one more in the next), 12904 without events, then one
// that differs: the three lines of context are in two chunks.
TEST(LogDiffTest, ContextBeforeRecordsWithoutEvents) {
  std::vector<mm::Event> base;
  mm::Event e;
  for (uint64_t op = 1; op <= 4097; ++op) {
    e.Clear();
    e.set_op_index(op);
    e.set_kind(EVENT_FOLIO_ALLOC);
    e.set_pfn(op * 16);
    e.set_order(0);
    base.push_back(e);
  }
  constexpr uint64_t kOps = 17001;
  std::vector<mm::Event> a = base, b = base;
  e.set_op_index(kOps);
  e.set_pfn(0x100000);
  a.push_back(e);
  e.set_order(1);
  b.push_back(e);
  for (const char* form : {"log", "mme"}) {
    const LogFormat format =
        form[0] == 'l' ? LogFormat::kText : LogFormat::kBinary;
    WriteLogWithOps(TempPath(absl::StrCat("quiet_a.", form)), format, a, kOps);
    WriteLogWithOps(TempPath(absl::StrCat("quiet_b.", form)), format, b, kOps);
  }
  for (bool ignore_pfn : {false, true}) {
    SCOPED_TRACE(ignore_pfn);
    DiffOptions options;
    options.ignore_pfn = ignore_pfn;
    const DiffResult text =
        DiffFiles(TempPath("quiet_a.log"), TempPath("quiet_b.log"), options);
    ASSERT_FALSE(text.equal);
    // The context: ops 4095 to 4097's allocations.
    EXPECT_NE(text.report.find("| 4095 folio_alloc"), std::string::npos)
        << text.report;
    const DiffResult binary =
        DiffFiles(TempPath("quiet_a.mme"), TempPath("quiet_b.mme"), options);
    EXPECT_EQ(absl::StrReplaceAll(binary.report, {{".mme", ".log"}}),
              text.report);
  }
}

TEST(LogDiffTest, EqualBinaryLogsAreSkippedToTheirLastChunk) {
  const std::vector<mm::Event> events = ManyEvents(30000);
  WriteLog(TempPath("s1.mme"), LogFormat::kBinary, events);
  WriteLog(TempPath("s2.mme"), LogFormat::kBinary, events);
  auto a = LogReader::Open(TempPath("s1.mme"));
  auto b = LogReader::Open(TempPath("s2.mme"));
  ASSERT_TRUE(a.ok() && b.ok());
  // Three event lines kept before any difference.
  absl::StatusOr<SkippedChunks> skipped = SkipEqualChunks(**a, **b, 3);
  ASSERT_TRUE(skipped.ok()) << skipped.status();
  // The header and every chunk but the last, which the end record after it
  // (no events) leaves for Next(), with the end record.
  const uint64_t chunks = (30000 + kChunkEvents - 1) / kChunkEvents;
  EXPECT_EQ(skipped->records, chunks);
  const uint64_t last_op = (chunks - 1) * kChunkEvents / 4;
  EXPECT_EQ(skipped->ops, last_op);
  EXPECT_EQ(skipped->last_op, last_op);
  absl::string_view line;
  // Both logs read on from the last chunk, counted as far.
  for (LogReader* log : {a->get(), b->get()}) {
    ASSERT_TRUE(log->Next(&line));
    EXPECT_EQ(log->line_number(), (chunks - 1) * kChunkEvents + 2);
    EXPECT_TRUE(absl::StartsWith(line, absl::StrCat(last_op + 1, " "))) << line;
    while (log->Next(&line)) {
    }
    EXPECT_TRUE(log->status().ok()) << log->status();
    EXPECT_EQ(log->line_number(), 30001u);  // the header and the events
  }
  // Nothing to skip for a text log.
  WriteLog(TempPath("s3.log"), LogFormat::kText, events);
  auto c = LogReader::Open(TempPath("s3.log"));
  auto d = LogReader::Open(TempPath("s1.mme"));
  ASSERT_TRUE(c.ok() && d.ok());
  skipped = SkipEqualChunks(**c, **d, 3);
  ASSERT_TRUE(skipped.ok());
  EXPECT_EQ(skipped->records, 0u);
}

}  // namespace
}  // namespace mmreplay::replay
