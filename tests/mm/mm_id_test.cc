// MM owner tracking of large folios (mm/mm_id.h): the slot rules of
// folio_add_return_large_mapcount() / folio_sub_return_large_mapcount(), on
// the table alone, and through the model where a split rebuilds the slots.
// The kernel's answers for three processes sharing a 64K folio are in
// traces/captured/mthp64k_fork_last_of_three*, mthp64k_fork_slot_owner_last.
#include "mm/mm_id.h"

#include "base/page_geometry.h"
#include "tests/mm/model_harness.h"

namespace mmreplay::mm {
namespace {

// A 16-page anon folio process 1 maps whole.
Folio MappedFolio() {
  Folio f;
  f.head = 0x100;
  f.order = 4;
  f.set(kFolioAnon);
  f.mapcount = 16;
  return f;
}

TEST(MmIdTableTest, SecondProcessSetsTheBitAndItsExitClearsIt) {
  MmIdTable t;
  Folio f = MappedFolio();
  f.mapcount += 16;
  t.Share(f, /*owner=*/1, 16, /*pid=*/2, 16);
  EXPECT_TRUE(f.test(kFolioMaybeMappedShared));
  // Process 2 unmaps part of it: its slot keeps mappings, the bit stays.
  f.mapcount -= 15;
  t.Sub(f, 2, 15);
  EXPECT_TRUE(f.test(kFolioMaybeMappedShared));
  ASSERT_NE(t.Find(f.head), nullptr);
  EXPECT_EQ(t.Find(f.head)->count[1], 1);
  // Its last one: slot 1 is freed, and slot 0 holds every mapping.
  f.mapcount -= 1;
  t.Sub(f, 2, 1);
  EXPECT_FALSE(f.test(kFolioMaybeMappedShared));
  EXPECT_EQ(t.Find(f.head), nullptr);
  EXPECT_EQ(t.size(), 0u);
}

TEST(MmIdTableTest, ThirdProcessHasNoSlotAndKeepsTheBitSet) {
  MmIdTable t;
  Folio f = MappedFolio();
  f.mapcount += 16;
  t.Share(f, 1, 16, 2, 16);
  f.mapcount += 16;
  t.Add(f, 3, 16);  // both slots held: uncounted
  EXPECT_EQ(t.Find(f.head)->pid[0], 1u);
  EXPECT_EQ(t.Find(f.head)->pid[1], 2u);
  // Processes 1 and 2 go; 3 maps the folio alone, and the bit stays set:
  // no slot holds its mappings.
  f.mapcount -= 16;
  t.Sub(f, 1, 16);
  f.mapcount -= 16;
  t.Sub(f, 2, 16);
  EXPECT_TRUE(f.test(kFolioMaybeMappedShared));
  EXPECT_EQ(t.Find(f.head)->pid[0], MmIdTable::kNoPid);
  EXPECT_EQ(t.Find(f.head)->pid[1], MmIdTable::kNoPid);
  // Its unmapping of all of it clears it at last (both slots free, no
  // mapping left).
  f.mapcount -= 16;
  t.Sub(f, 3, 16);
  EXPECT_FALSE(f.test(kFolioMaybeMappedShared));
}

TEST(MmIdTableTest, AFreedSlotGoesToTheNextProcessAndSomeMappingsAreUncounted) {
  MmIdTable t;
  Folio f = MappedFolio();
  f.mapcount += 16 + 16;
  t.Share(f, 1, 16, 2, 16);
  t.Add(f, 3, 16);
  // Process 3 unmaps 8 while it has no slot; process 1 goes and frees slot
  // 0; process 3's next mapping takes it, counting only what it adds.
  f.mapcount -= 8;
  t.Sub(f, 3, 8);
  f.mapcount -= 16;
  t.Sub(f, 1, 16);
  f.mapcount += 4;
  t.Add(f, 3, 4);
  EXPECT_EQ(t.Find(f.head)->pid[0], 3u);
  EXPECT_EQ(t.Find(f.head)->count[0], 4);
  // Process 3 unmaps 6 (more than its slot counts): the slot is freed, not
  // taken below none, and slot 1 (process 2, 16 mappings) does not hold
  // all 22.
  f.mapcount -= 6;
  t.Sub(f, 3, 6);
  EXPECT_EQ(t.Find(f.head)->pid[0], MmIdTable::kNoPid);
  EXPECT_EQ(t.Find(f.head)->count[0], 0);
  EXPECT_TRUE(f.test(kFolioMaybeMappedShared));
}

class MmIdModelTest : public ModelTest {
 protected:
  // A THP of process 1 shared with children 2 and 3 (in that order), split
  // at page 2 down to order 0 without a uniform split: pieces of orders
  // 0 x4, 2, ..., 8, each mapped by all three.
  void ShareWithTwoChildrenThenSplit() {
    Start("linux-6.18");
    FaultThps(1);
    ASSERT_TRUE(model_->ProcessFork(1, 2).ok());
    ASSERT_TRUE(model_->ProcessFork(1, 3).ok());
    ASSERT_TRUE(
        model_->SplitRange(1, kBase, kPageSize, {0, SplitKind::kNonUniform, 2})
            .ok());
    ASSERT_EQ(LayoutOf(3), "O-0 x4 O-2 O-3 O-4 O-5 O-6 O-7 O-8");
  }
  std::string LayoutOf(uint32_t pid) {
    uint64_t pmd;
    return RenderLayout(*model_->RangeLayout(pid, kBase, kThp, &pmd));
  }
};

// remap_page() maps the pieces again process by process: 1 and 2 take the
// slots of each piece, 3 has none. Once 1 and 2 exit, 3 maps the pieces
// alone, yet a write to one still copies the page.
TEST_F(MmIdModelTest, SplitPiecesKeepTheThirdProcessWithoutASlot) {
  ShareWithTwoChildrenThenSplit();
  ASSERT_TRUE(model_->ProcessExit(1).ok());
  ASSERT_TRUE(model_->ProcessExit(2).ok());
  ASSERT_TRUE(
      model_->Touch(3, kBase + 300 * kPageSize, kPageSize, ACCESS_WRITE).ok());
  EXPECT_EQ(LayoutOf(3),
            "O-0 x4 O-2 O-3 O-4 O-5 O-6 O-7 O-8[0+44] O-0 O-8[45+211]");
  Verify();
}

// The same pieces, but the children exit: process 1 holds a slot of each,
// so each piece is its alone again and a write reuses the page.
TEST_F(MmIdModelTest, SplitPiecesGoBackToTheSlotHolder) {
  ShareWithTwoChildrenThenSplit();
  ASSERT_TRUE(model_->ProcessExit(3).ok());
  ASSERT_TRUE(model_->ProcessExit(2).ok());
  ASSERT_TRUE(
      model_->Touch(1, kBase + 300 * kPageSize, kPageSize, ACCESS_WRITE).ok());
  EXPECT_EQ(LayoutOf(1), "O-0 x4 O-2 O-3 O-4 O-5 O-6 O-7 O-8");
  Verify();
}

}  // namespace
}  // namespace mmreplay::mm
