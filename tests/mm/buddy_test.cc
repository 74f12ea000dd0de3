// The buddy allocator: the fixed hand-out rule, expand() and merging.
#include "mm/buddy.h"

#include "gtest/gtest.h"

namespace mmreplay::mm {
namespace {

TEST(BuddyTest, LowestPfnOfTheSmallestOrderThenExpand) {
  BuddyAllocator b({{0, 2048}});
  EXPECT_EQ(b.free_blocks(10), 2u);
  EXPECT_EQ(b.Alloc(0), 0u);
  // expand() left one free block of each order 0..9 above page 0.
  for (uint32_t o = 0; o < 10; ++o) EXPECT_EQ(b.free_blocks(o), 1u) << o;
  EXPECT_EQ(b.Alloc(0), 1u);
  EXPECT_EQ(b.Alloc(9), 512u);
  EXPECT_EQ(b.Alloc(2), 4u);
  EXPECT_EQ(b.free_pages(), 2048u - 1 - 1 - 512 - 4);
}

TEST(BuddyTest, FreeingMergesBackToMaxOrder) {
  BuddyAllocator b({{0, 1024}});
  std::vector<uint64_t> pages;
  for (int i = 0; i < 1024; ++i) pages.push_back(*b.Alloc(0));
  EXPECT_FALSE(b.Alloc(0).has_value());
  for (uint64_t p : pages) b.Free(p, 0);
  EXPECT_EQ(b.free_blocks(10), 1u);
  EXPECT_EQ(b.free_pages(), 1024u);
}

TEST(BuddyTest, HighestZoneFirst) {
  BuddyAllocator b({{0, 1024}, {1024, 1024}});
  EXPECT_EQ(b.Alloc(9), 1024u);
  EXPECT_EQ(b.Alloc(10), 0u);
  EXPECT_EQ(b.Alloc(9), 1536u);
  EXPECT_FALSE(b.Alloc(9).has_value());
}

TEST(BuddyTest, FreeOrderAt) {
  BuddyAllocator b({{0, 1024}});
  ASSERT_EQ(b.Alloc(0), 0u);
  EXPECT_FALSE(b.FreeOrderAt(0).has_value());
  EXPECT_EQ(b.FreeOrderAt(1), 0u);
  EXPECT_EQ(b.FreeOrderAt(3), 1u);
  EXPECT_EQ(b.FreeOrderAt(700), 9u);
}

}  // namespace
}  // namespace mmreplay::mm
