// FolioTable: folios found from any of their pages, slots reused, and the
// per-page state of large folios (PTE mapcounts, contents) kept as one
// number while the pages agree, per page once they differ, and carried
// into the pieces of a split.
#include "mm/folio.h"

#include <algorithm>
#include <vector>

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
  t.Create(1024, 0);
  t.Create(1028, 2);
  EXPECT_EQ(t.HeadOf(1031), 1028u);
  EXPECT_EQ(t.Of(1025), nullptr);
  t.Destroy(512);
  EXPECT_EQ(t.Of(700), nullptr);
  EXPECT_EQ(t.HeadOf(1024), 1024u);
  EXPECT_EQ(t.size(), 2u);
}

TEST(FolioTableTest, RecordsStayPutAndSlotsAreReused) {
  FolioTable t(1 << 16);
  Folio& a = t.Create(0, 0);
  for (uint32_t pfn = 1; pfn < 10000; ++pfn) t.Create(pfn, 0);
  EXPECT_EQ(&t.At(0), &a);
  size_t full = t.record_bytes();
  for (uint32_t pfn = 1; pfn < 10000; ++pfn) t.Destroy(pfn);
  // The emptied top chunks were given back.
  EXPECT_LT(t.record_bytes(), full / 4);
  for (uint32_t pfn = 20000; pfn < 29999; ++pfn) t.Create(pfn, 0);
  EXPECT_EQ(t.record_bytes(), full);
  std::vector<uint32_t> heads;
  t.ForEach([&heads](const Folio& f) { heads.push_back(f.head); });
  std::sort(heads.begin(), heads.end());
  EXPECT_EQ(heads.size(), 10000u);
  EXPECT_EQ(heads.front(), 0u);
  EXPECT_EQ(heads.back(), 29998u);
}

TEST(FolioTableTest, ContentsPerPageOnlyWhileMixed) {
  FolioTable t(1024);
  Folio& f = t.Create(512, 9);
  size_t base = t.large_bytes();
  std::vector<bool> want(512, false);
  struct Step {
    uint32_t first, n;
    bool v;
  };
  for (Step s : {Step{3, 200, true}, Step{60, 8, false}, Step{64, 64, false},
                 Step{127, 1, true}, Step{0, 512, true}, Step{5, 70, false},
                 Step{511, 1, false}, Step{0, 1, true}}) {
    t.set_nonzero(f, 512 + s.first, s.n, s.v);
    for (uint32_t i = 0; i < s.n; ++i) want[s.first + i] = s.v;
    uint32_t count = 0;
    for (uint32_t i = 0; i < 512; ++i) {
      ASSERT_EQ(t.nonzero(f, 512 + i), want[i])
          << "page " << i << " after " << s.first << "+" << s.n;
      count += want[i];
    }
    EXPECT_EQ(t.Large(f).nonzero_pages, count);
  }
  EXPECT_GT(t.large_bytes(), base);
  t.set_nonzero(f, 512, 512, true);
  EXPECT_TRUE(t.all_nonzero(f));
  EXPECT_EQ(t.large_bytes(), base);  // one number again
}

TEST(FolioTableTest, PageMapcountsPerPageOnlyOnceTheyDiffer) {
  FolioTable t(1024);
  Folio& f = t.Create(0, 4);
  size_t base = t.large_bytes();
  // Mapped whole (a fault of the mTHP): one number.
  EXPECT_EQ(t.AddPageMapcounts(f, 0, 16, +1), 16);
  EXPECT_EQ(t.nr_pages_mapped(f), 16);
  EXPECT_EQ(t.large_bytes(), base);
  EXPECT_EQ(t.AddPageMapcounts(f, 0, 16, +1), 0);  // a second mapping
  EXPECT_EQ(t.page_mapcount(f, 7), 2);
  // Part of one mapping goes: now per page.
  EXPECT_EQ(t.AddPageMapcounts(f, 4, 4, -1), 0);
  EXPECT_EQ(t.AddPageMapcounts(f, 4, 2, -1), 2);
  const size_t per_page = t.large_bytes();
  EXPECT_GT(per_page, base);
  EXPECT_EQ(t.page_mapcount(f, 3), 2);
  EXPECT_EQ(t.page_mapcount(f, 4), 0);
  EXPECT_EQ(t.page_mapcount(f, 6), 1);
  EXPECT_EQ(t.nr_pages_mapped(f), 14);
  // Everything unmapped: one number again.
  EXPECT_EQ(t.AddPageMapcounts(f, 0, 4, -1), 0);
  EXPECT_EQ(t.AddPageMapcounts(f, 0, 4, -1), 4);
  EXPECT_EQ(t.AddPageMapcounts(f, 6, 2, -1), 2);
  EXPECT_EQ(t.AddPageMapcounts(f, 8, 8, -1), 0);
  EXPECT_EQ(t.AddPageMapcounts(f, 8, 8, -1), 8);
  EXPECT_EQ(t.nr_pages_mapped(f), 0);
  // The array went (the slab keeps its chunk for the next one).
  EXPECT_EQ(t.large_bytes(), per_page - 16 * sizeof(int32_t));
  EXPECT_EQ(t.page_mapcount(f, 3), 0);
}

TEST(FolioTableTest, SplitCarriesEachPagesState) {
  FolioTable t(1024);
  Folio& f = t.Create(512, 9);
  f.owner = 7;
  f.index = 1000;
  f.set(kFolioAnon);
  f.set(kFolioPartiallyMapped);
  t.AddPageMapcounts(f, 512, 512, +1);
  t.AddPageMapcounts(f, 512 + 1, 1, -1);   // page 1 unmapped
  t.AddPageMapcounts(f, 512 + 64, 3, +1);  // pages 64-66 mapped twice
  t.set_nonzero(f, 512 + 8, 8, true);      // pages 8-15 written
  t.set_nonzero(f, 512 + 256, 256, true);  // the upper half written
  // Non-uniform at page 1, anon: 0 0 0 0 2 3 4 5 6 7 8.
  std::vector<FolioPiece> pieces = {{512, 0}, {513, 0}, {514, 0}, {515, 0},
                                    {516, 2}, {520, 3}, {528, 4}, {544, 5},
                                    {576, 6}, {640, 7}, {768, 8}};
  std::vector<Folio*> made;
  t.Split(512, pieces, kFolioPartiallyMapped, /*runs=*/false, &made);
  EXPECT_EQ(t.size(), 11u);
  ASSERT_EQ(made.size(), 11u);
  EXPECT_EQ(made[5]->head, 520u);
  const Folio& p1 = t.At(513);
  EXPECT_EQ(p1.mapcount, 0);
  EXPECT_EQ(p1.index, 1001u);
  EXPECT_EQ(p1.owner, 7u);
  EXPECT_TRUE(p1.test(kFolioAnon));
  EXPECT_FALSE(p1.test(kFolioPartiallyMapped));
  EXPECT_EQ(t.At(514).mapcount, 1);
  EXPECT_FALSE(t.At(514).nonzero);
  const Folio& o3 = t.At(520);  // pages 8-15: written, mapped once
  EXPECT_EQ(o3.mapcount, 8);
  EXPECT_TRUE(t.all_nonzero(o3));
  const Folio& o6 = t.At(576);  // pages 64-127: 64-66 mapped twice
  EXPECT_EQ(o6.mapcount, 64 + 3);
  EXPECT_EQ(t.nr_pages_mapped(o6), 64);
  EXPECT_EQ(t.page_mapcount(o6, 576 + 1), 2);
  EXPECT_EQ(t.page_mapcount(o6, 576 + 10), 1);
  EXPECT_EQ(t.Large(o6).nonzero_pages, 0u);
  const Folio& o8 = t.At(768);
  EXPECT_TRUE(t.all_nonzero(o8));
  EXPECT_EQ(t.page_mapcount(o8, 800), 1);
}

TEST(FolioTableTest, RunsShareARecordUntilOneIsChangedAlone) {
  FolioTable t(2048);
  Folio& f = t.Create(512, 9);
  f.set(kFolioAnon);
  f.index = 5000;
  t.AddPageMapcounts(f, 512, 512, +1);
  t.AddPageMapcounts(f, 512 + 100, 10, -1);  // pages 100-109 unmapped
  t.set_nonzero(f, 512, 512, true);
  // The 512 order-0 folios as one FolioPiece: cut by state all the same.
  std::vector<Folio*> made;
  t.Split(512, {{512, 0, 512}}, 0, /*runs=*/true, &made);
  // Three runs: mapped, unmapped, mapped; 512 folios.
  ASSERT_EQ(made.size(), 3u);
  EXPECT_EQ(t.size(), 512u);
  EXPECT_EQ(made[0]->run, 99u);
  EXPECT_EQ(made[1]->mapcount, 0);
  EXPECT_EQ(made[1]->span(), 10u);
  EXPECT_EQ(made[2]->head, 622u);
  // A page of a run reads as its own folio...
  EXPECT_EQ(t.HeadOf(700), 700u);
  EXPECT_EQ(t.Peek(700), made[2]);
  EXPECT_TRUE(t.PageNonzero(700));
  // ...and gets a record of its own when it is changed alone.
  Folio& own = *t.Of(700);
  EXPECT_EQ(own.head, 700u);
  EXPECT_EQ(own.index, 5000u + 188);
  EXPECT_EQ(own.run, 0u);
  own.refcount = 7;
  EXPECT_EQ(t.Peek(699)->refcount, 0);
  EXPECT_EQ(t.Peek(701)->refcount, 0);
  EXPECT_EQ(t.Peek(701)->head, 701u);
  EXPECT_EQ(t.Peek(701)->index, 5000u + 189);
  EXPECT_EQ(t.Peek(1023)->head, 701u);  // the tail run
  EXPECT_EQ(t.size(), 512u);
  std::vector<uint32_t> heads;
  t.ForEach([&heads](const Folio& x) { heads.push_back(x.head); });
  EXPECT_EQ(heads.size(), 512u);
  // A destroyed range takes its runs whole.
  t.DestroyRange(512, 1024);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.Peek(800), nullptr);
}

}  // namespace
}  // namespace mmreplay::mm
