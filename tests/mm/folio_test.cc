// FolioTable: folios found from any of their pages, slots reused, and the
// per-page "non-zero" bits set a page or a range at a time.
#include "mm/folio.h"

#include "gtest/gtest.h"

namespace mmreplay::mm {
namespace {

TEST(FolioTableTest, PagesFindTheirFolio) {
  FolioTable t(4096);
  Folio& f = t.Create(512, 9);
  f.refcount = 3;
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.Of(511), nullptr);
  EXPECT_EQ(t.HeadOf(512), 512u);
  EXPECT_EQ(t.HeadOf(1023), 512u);
  EXPECT_EQ(t.Of(700)->refcount, 3);
  EXPECT_EQ(t.Of(1024), nullptr);
  t.Destroy(512);
  EXPECT_EQ(t.Of(700), nullptr);
  EXPECT_EQ(t.size(), 0u);
}

TEST(FolioTableTest, RecordsStayPutAndSlotsAreReused) {
  FolioTable t(1 << 16);
  Folio& a = t.Create(0, 0);
  for (uint32_t pfn = 1; pfn < 10000; ++pfn) t.Create(pfn, 0);
  EXPECT_EQ(&t.At(0), &a);
  for (uint32_t pfn = 1; pfn < 10000; ++pfn) t.Destroy(pfn);
  for (uint32_t pfn = 20000; pfn < 29999; ++pfn) t.Create(pfn, 0);
  // Reused slots, not 20000 records' worth of slab.
  EXPECT_LT(t.record_bytes(), 20000 * sizeof(Folio));
  EXPECT_EQ(t.SortedHeads().size(), 10000u);
  EXPECT_EQ(t.SortedHeads().front(), 0u);
  EXPECT_EQ(t.SortedHeads().back(), 29998u);
}

TEST(FolioTableTest, NonzeroRangeMatchesPageByPage) {
  FolioTable ranged(1024), paged(1024);
  struct Step {
    uint32_t pfn, n;
    bool v;
  };
  for (Step s : {Step{3, 200, true}, Step{60, 8, false}, Step{64, 64, false},
                 Step{127, 1, true}, Step{0, 512, true}, Step{5, 70, false},
                 Step{511, 1, false}}) {
    ranged.set_nonzero_range(s.pfn, s.n, s.v);
    for (uint32_t i = 0; i < s.n; ++i) paged.set_nonzero(s.pfn + i, s.v);
    for (uint32_t pfn = 0; pfn < 1024; ++pfn) {
      ASSERT_EQ(ranged.nonzero(pfn), paged.nonzero(pfn))
          << "pfn " << pfn << " after " << s.pfn << "+" << s.n;
    }
  }
}

}  // namespace
}  // namespace mmreplay::mm
