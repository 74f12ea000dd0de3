// PageTable: the radix levels made on first use and freed with their last
// entry, PMD entries of each kind, PTEs, and range walks in address order.
#include "mm/page_table.h"

#include <vector>

#include "gtest/gtest.h"

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
  // The PMD and PUD tables went with the last entry; the PTE table slot
  // stays for reuse.
  EXPECT_LE(pt.bytes(), empty + 64);
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

}  // namespace
}  // namespace mmreplay::mm
