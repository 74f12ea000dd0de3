// log grep: a page followed through a split (only its piece after it), a
// migration (to its new PFN) and its free, then the next folio over it
// there (not at the PFN it started from); a
// folio followed with all its pieces to the last free; compaction's zone
// lines and other folios left out; the op lines of the ops shown only.
#include "replay/log_grep.h"

#include <initializer_list>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace mmreplay::replay {
namespace {

// The log, a line each; the tests pick the lines they expect by number.
constexpr const char* kLines[] = {
    "# mmreplay event log v2 profile=linux-6.18",  // 0
    "# op 1: touch { pid: 1 }",
    "1 folio_alloc pfn=0x10 order=2 ref=1 reason=anon_fault",
    "1 folio_alloc pfn=0x14 order=2 ref=1 reason=anon_fault",
    "# op 2: split_request { pid: 1 }",
    "2 split pfn=0x10 order=2 type=uniform orders=0*4 ref=4 map=4 "
    "reason=split_request",  // 5
    "2 split_piece pfn=0x10 order=0 parent=0x10",
    "2 split_piece pfn=0x11 order=0 parent=0x10",
    "2 split_piece pfn=0x12 order=0 parent=0x10",
    "2 split_piece pfn=0x13 order=0 parent=0x10",
    "# op 3: compact { mode: COMPACT_MODE_MEMORY }",  // 10
    "3 compact_begin pfn=0x10 order=9",
    "3 migrate pfn=0x12 order=0 dst=0x40 ref=1 map=1 reason=compaction",
    "3 folio_free pfn=0x12 order=0 reason=compaction",
    "3 migrate pfn=0x13 order=0 dst=0x41 ref=1 map=1 reason=compaction",
    "3 folio_free pfn=0x13 order=0 reason=compaction",  // 15
    "# op 4: munmap { pid: 1 }",
    "4 unmap pfn=0x40 order=0 pid=1 addr=0x2000 pages=1 level=pte ref=1->0 "
    "map=1->0 reason=munmap",
    "4 folio_free pfn=0x40 order=0 reason=munmap",
    "4 folio_free pfn=0x10 order=0 reason=munmap",
    "4 folio_free pfn=0x11 order=0 reason=munmap",  // 20
    "4 folio_free pfn=0x41 order=0 reason=munmap",
    "# op 5: touch { pid: 1 }",
    "5 folio_alloc pfn=0x12 order=0 ref=1 reason=anon_fault",
    "5 folio_alloc pfn=0x40 order=1 ref=1 reason=anon_fault",
    "# op 6: process_exit { pid: 1 }",  // 25
    "6 folio_free pfn=0x14 order=2 reason=exit",
};

// Lines `numbers` of the log, each with its newline.
std::string Pick(std::initializer_list<int> numbers) {
  std::string out;
  for (int n : numbers) absl::StrAppend(&out, kLines[n], "\n");
  return out;
}

// The lines grep gives, and after them "= <events matched>".
std::string Grep(GrepOptions::Follow follow, uint64_t pfn) {
  std::string text;
  for (const char* line : kLines) absl::StrAppend(&text, line, "\n");
  std::unique_ptr<LogReader> log = LogReader::FromText("t.log", text);
  std::string out;
  auto matched = GrepLog(*log, {follow, pfn}, [&](absl::string_view line) {
    absl::StrAppend(&out, line, "\n");
  });
  if (!matched.ok()) return std::string(matched.status().message());
  return absl::StrCat(out, "= ", *matched);
}

// Its piece only after the split, its new PFN after the migration and the
// source's free, then the next folio there: not the one back at 0x12.
TEST(LogGrepTest, PageIsFollowedThroughSplitMigrationAndFree) {
  EXPECT_EQ(Grep(GrepOptions::Follow::kPage, 0x12),
            Pick({0, 1, 2, 4, 5, 8, 10, 12, 13, 16, 17, 18, 22, 24}) + "= 8");
}

// Every piece, under its new PFN too, to the last free; no later folio.
TEST(LogGrepTest, FolioIsFollowedWithAllItsPiecesToTheLastFree) {
  EXPECT_EQ(Grep(GrepOptions::Follow::kFolio, 0x10),
            Pick({0,  1,  2,  4,  5,  6,  7,  8,  9,  10,
                  12, 13, 14, 15, 16, 17, 18, 19, 20, 21}) +
                "= 15");
}

TEST(LogGrepTest, OtherFoliosAndUnusedPfnsMatchNothing) {
  EXPECT_EQ(Grep(GrepOptions::Follow::kFolio, 0x14),
            Pick({0, 1, 3, 25, 26}) + "= 2");
  EXPECT_EQ(Grep(GrepOptions::Follow::kPage, 0x1000), Pick({0}) + "= 0");
}

TEST(LogGrepTest, ABadLogIsAnError) {
  std::unique_ptr<LogReader> log =
      LogReader::FromText("t.log", "# mmreplay event log v2 p\nnot a line\n");
  auto matched = GrepLog(*log, {}, [](absl::string_view) {});
  EXPECT_EQ(matched.status().message(),
            "t.log: line 2: not an event line: it must be '<op> <kind> "
            "<fields>'");
}

TEST(LogGrepTest, PfnsAreHexOrDecimal) {
  EXPECT_EQ(*ParsePfn("--pfn", "0x200"), 0x200u);
  EXPECT_EQ(*ParsePfn("--pfn", "512"), 512u);
  EXPECT_EQ(*ParsePfn("--pfn", "0xffffffffffffffff"), UINT64_MAX);
  for (const char* bad : {"", "0x", "zz", "-1", "+1", " 5", "0x1g", "1.5",
                          "0x10000000000000000", "99999999999999999999"}) {
    EXPECT_EQ(ParsePfn("--folio", bad).status().message(),
              absl::StrCat("--folio: '", bad,
                           "' is not a PFN (hex like 0x200, or decimal)"))
        << bad;
  }
}

}  // namespace
}  // namespace mmreplay::replay
