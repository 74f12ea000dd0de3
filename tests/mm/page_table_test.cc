// PageTable: the radix levels made on first use and freed with their last
// entry, PMD entries of each kind, PTEs, and range walks in address order.
#include "mm/page_table.h"

#include <vector>

#include "gtest/gtest.h"
#include "mm/match_run.h"

namespace mmreplay::mm {
namespace {

constexpr uint64_t kA = 0x7f0000000000ull;

TEST(PageTableTest, PtesAndTheirTables) {
  PageTable pt;
  size_t empty = pt.bytes();
  EXPECT_EQ(pt.FindPmd(kA), nullptr);
  EXPECT_TRUE(pt.GetPte(kA).none());
  pt.SetPte(kA + 5 * 4096, Pte::Page(77, true));
  ASSERT_NE(pt.FindPmd(kA), nullptr);
  EXPECT_EQ(pt.FindPmd(kA)->kind, Pmd::Kind::kTable);
  EXPECT_EQ(pt.GetPte(kA + 5 * 4096).pfn(), 77u);
  EXPECT_TRUE(pt.GetPte(kA + 6 * 4096).none());
  EXPECT_EQ(pt.Table(*pt.FindPmd(kA)).used, 1);
  EXPECT_EQ(pt.tables(), 1u);
  EXPECT_GT(pt.bytes(), empty);
  pt.ClearPmd(kA);
  EXPECT_EQ(pt.FindPmd(kA), nullptr);
  EXPECT_EQ(pt.tables(), 0u);
  // The PMD and PUD tables went with the last entry, kept as spares with
  // the PTE table; the PTE table's slot stays for reuse.
  EXPECT_GT(pt.spare_bytes(), 0u);
  EXPECT_LE(pt.bytes() - pt.spare_bytes(), empty + 64);
  // Made again from the spares: nothing new.
  const size_t before = pt.bytes();
  pt.SetPte(kA, Pte::Page(78, true));
  EXPECT_EQ(pt.spare_bytes(), 0u);
  EXPECT_EQ(pt.GetPte(kA).pfn(), 78u);
  EXPECT_TRUE(pt.GetPte(kA + 5 * 4096).none()) << "a spare is empty";
  EXPECT_EQ(pt.Table(*pt.FindPmd(kA)).used, 1);
  EXPECT_LE(pt.bytes(), before + 64);
}

TEST(PageTableTest, SparesAreBounded) {
  PageTable pt;
  // Tables in 64 PGD entries' ranges (512 GiB apart), all made, then all
  // freed: 64 of each level, more than are kept.
  constexpr uint64_t kStep = uint64_t{1} << 39;
  for (uint64_t i = 0; i < 64; ++i) pt.SetPte(i * kStep, Pte::Page(1, true));
  EXPECT_EQ(pt.tables(), 64u);
  for (uint64_t i = 0; i < 64; ++i) pt.ClearPmd(i * kStep);
  EXPECT_EQ(pt.tables(), 0u);
  EXPECT_GT(pt.spare_bytes(), 0u);
  EXPECT_LE(pt.spare_bytes(), PageTable::max_spare_bytes());
}

TEST(PageTableTest, ATableFreedWithEntriesComesBackEmpty) {
  PageTable pt;
  PteTable& t = pt.MakeTable(kA);
  t.pte[7] = Pte::Page(9, true);
  t.used = 1;
  // A PMD made huge over a table drops the table (SetHuge requires it
  // empty), so clear the PMD with its entry still set.
  pt.ClearPmd(kA);
  PteTable& again = pt.MakeTable(kA);
  EXPECT_EQ(again.used, 0);
  EXPECT_EQ(again.NoneRun(0, kPtesPerTable), kPtesPerTable);
}

TEST(PageTableTest, HugeEntriesAndSplitIntoATable) {
  PageTable pt;
  Pmd& m = pt.SetHuge(kA, Pmd::Kind::kFolio);
  m.head = 512;
  m.writable = true;
  EXPECT_EQ(pt.FindPmd(kA + 4096)->head, 512u);
  EXPECT_TRUE(pt.GetPte(kA).none());  // a huge mapping has no PTEs
  PteTable& t = pt.MakeTable(kA);
  t.pte[3] = Pte::Page(515, true);
  t.used = 1;
  EXPECT_EQ(pt.FindPmd(kA)->kind, Pmd::Kind::kTable);
  EXPECT_EQ(pt.GetPte(kA + 3 * 4096).pfn(), 515u);
  // An empty table gives way to a huge mapping.
  t.pte[3] = Pte::None();
  t.used = 0;
  pt.SetHuge(kA, Pmd::Kind::kHugeZero);
  EXPECT_EQ(pt.FindPmd(kA)->kind, Pmd::Kind::kHugeZero);
  EXPECT_EQ(pt.tables(), 0u);
}

TEST(PageTableTest, ForEachPmdWalksInOrderAndSkipsGaps) {
  PageTable pt;
  std::vector<uint64_t> at = {kA + kPmdSize, 0x1000000000ull, kA,
                              kA + (uint64_t{1} << 30) * 3};
  for (uint64_t a : at) pt.SetPte(a, Pte::ZeroPage());
  std::vector<uint64_t> seen;
  pt.ForEachPmd(0, UINT64_MAX, [&](uint64_t a, Pmd&) { seen.push_back(a); });
  EXPECT_EQ(seen, (std::vector<uint64_t>{0x1000000000ull, kA, kA + kPmdSize,
                                         kA + (uint64_t{1} << 30) * 3}));
  // A walk may clear what it visits.
  pt.ForEachPmd(kA, kA + (uint64_t{1} << 31),
                [&](uint64_t a, Pmd&) { pt.ClearPmd(a); });
  seen.clear();
  pt.ForEachPmd(0, UINT64_MAX, [&](uint64_t a, Pmd&) { seen.push_back(a); });
  EXPECT_EQ(seen, (std::vector<uint64_t>{0x1000000000ull,
                                         kA + (uint64_t{1} << 30) * 3}));
}

// folio_pte_batch() and the none runs, at every length and break position
// around the eight-at-a-time blocks of the scan.
TEST(PageTableTest, BatchesAndNoneRuns) {
  for (int len = 1; len <= 40; ++len) {
    PteTable t;
    for (int k = 0; k < len; ++k) {
      t.pte[100 + k] = Pte::Page(1000 + static_cast<uint32_t>(k), true);
    }
    // A dirty PTE in the middle: one batch for the zap, two for the write.
    int dirty = len / 2;
    t.pte[100 + dirty] = t.pte[100 + dirty].Dirty();
    EXPECT_EQ(t.Batch(100, 64, /*same_bits=*/false), len) << len;
    EXPECT_EQ(t.Batch(100, len - 1 > 0 ? len - 1 : 1, false),
              len - 1 > 0 ? len - 1 : 1);
    EXPECT_EQ(t.Batch(100, 64, /*same_bits=*/true), dirty == 0 ? 1 : dirty);
    EXPECT_EQ(t.NoneRun(0, 100), 100);
    EXPECT_EQ(t.NoneRun(100 + len, 512 - 100 - len), 512 - 100 - len);
    EXPECT_EQ(t.NextUsed(3, 512), 100);
    EXPECT_EQ(t.NextUsed(100 + len, 512), 512);
  }
  // A gap in the PFNs, and the zero page, end a batch.
  PteTable t;
  for (int k = 0; k < 20; ++k) t.pte[k] = Pte::Page(5 + k, false);
  t.pte[9] = Pte::Page(99, false);
  EXPECT_EQ(t.Batch(0, 20, false), 9);
  t.pte[9] = Pte::ZeroPage();
  EXPECT_EQ(t.Batch(0, 20, false), 9);
  EXPECT_EQ(t.NoneRun(9, 5), 0);
}

// MatchRun at its boundaries: runs that end at every position around the
// eight-entry blocks (and past n), with a key that masks and a step.
TEST(PageTableTest, MatchRunEndsWhereTheFirstEntryDiffers) {
  for (int n : {0, 1, 7, 8, 9, 15, 16, 17, 64}) {
    for (int bad = 0; bad <= n; ++bad) {
      std::vector<uint32_t> a(static_cast<size_t>(n) + 1);
      for (int k = 0; k <= n; ++k) {
        // Flag bits above the mask vary and are ignored.
        a[k] = (100u + 3u * static_cast<uint32_t>(k)) |
               (k % 2 == 0 ? 0x80000000u : 0u);
      }
      a[bad] ^= 0x10;  // inside the mask: the run ends here
      EXPECT_EQ(
          MatchRun(
              a.data(), n, [](uint32_t v) { return v & 0x7fffffffu; }, 100, 3),
          std::min(bad, n))
          << "n " << n << " bad " << bad;
    }
  }
  const int32_t same[10] = {5, 5, 5, 5, 5, 5, 5, 5, 5, -1};
  EXPECT_EQ(
      MatchRun(
          same, 10, [](int32_t v) { return static_cast<uint32_t>(v); }, 5, 0),
      9);
}

}  // namespace
}  // namespace mmreplay::mm
