// mmreplay diff: a planted divergence is reported at its op, with context,
// and counted by event kind.
#include "replay/log_diff.h"

#include <string>

#include "gtest/gtest.h"

namespace mmreplay::replay {
namespace {

constexpr char kLog[] =
    "# mmreplay event log v1 profile=linux-6.18\n"
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

DiffResult Diff(const std::string& a, const std::string& b) {
  LogLines la = LogLines::FromText("a.log", a);
  LogLines lb = LogLines::FromText("b.log", b);
  return DiffLogs(la, lb, DiffOptions());
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
                "# mmreplay event log v1 profile=linux-6.1");
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
  EXPECT_NE(r.report.find("  deferred_add                1        0\n"),
            std::string::npos)
      << r.report;
  EXPECT_NE(r.report.find("  folio_free                  0        1\n"),
            std::string::npos)
      << r.report;
  EXPECT_NE(r.report.find("ops that differ: 1 (first op 6, last op 6)"),
            std::string::npos)
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
  EXPECT_NE(r.report.find("(none: the same events in a different order)"),
            std::string::npos)
      << r.report;
}

}  // namespace
}  // namespace mmreplay::replay
