// PfnIndex against a plain per-page array: random aligned folios stored
// and removed, every page looked up after each step, and the nodes given
// back when the folios go.
#include "mm/pfn_index.h"

#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace mmreplay::mm {
namespace {

TEST(PfnIndexTest, MatchesAPerPageArray) {
  constexpr uint32_t kPages = 4096;
  PfnIndex index(kPages);
  size_t empty = index.bytes();
  std::vector<uint32_t> want(kPages, PfnIndex::kNone);
  struct Stored {
    uint32_t head, order;
    bool by_set;  // stored by Set() alone: Clear() may take it
  };
  std::vector<Stored> stored;
  std::mt19937_64 rng(1);
  uint32_t value = 0;
  for (int step = 0; step < 3000; ++step) {
    if (!stored.empty() && rng() % 3 == 0) {
      size_t k = rng() % stored.size();
      Stored s = stored[k];
      stored.erase(stored.begin() + static_cast<long>(k));
      if (s.by_set && rng() % 2 == 0) {
        ASSERT_EQ(index.Clear(s.head, s.order), want[s.head]);
      } else {
        index.ClearRange(s.head, s.head + (1u << s.order));
      }
      for (uint32_t i = 0; i < (1u << s.order); ++i) {
        want[s.head + i] = PfnIndex::kNone;
      }
    } else {
      uint32_t order = static_cast<uint32_t>(rng() % 10);
      uint32_t head =
          static_cast<uint32_t>(rng() % kPages) & ~((1u << order) - 1);
      bool free = true;
      for (uint32_t i = 0; i < (1u << order); ++i) {
        free &= want[head + i] == PfnIndex::kNone;
      }
      if (!free) continue;
      ++value;
      const bool by_set = rng() % 2 == 0;
      if (by_set) {
        index.Set(head, order, value);
      } else {
        index.Set(head, order, value + 1000);
        index.Assign(head, head + (1u << order), value);
      }
      stored.push_back({head, order, by_set});
      for (uint32_t i = 0; i < (1u << order); ++i) want[head + i] = value;
    }
    for (uint32_t pfn = 0; pfn < kPages; ++pfn) {
      ASSERT_EQ(index.Get(pfn), want[pfn]) << "pfn " << pfn << " step " << step;
    }
  }
  for (const Stored& s : stored) {
    index.ClearRange(s.head, s.head + (1u << s.order));
  }
  for (uint32_t pfn = 0; pfn < kPages; ++pfn) {
    ASSERT_EQ(index.Get(pfn), PfnIndex::kNone);
  }
  // Every node is free again (the pool keeps its capacity).
  PfnIndex fresh(kPages);
  fresh.Set(0, 0, 1);
  fresh.ClearRange(0, 1);
  EXPECT_EQ(fresh.Get(0), PfnIndex::kNone);
  EXPECT_GE(index.bytes(), empty);
}

TEST(PfnIndexTest, FoliosTakeTheirOwnLevel) {
  PfnIndex index(1024);
  size_t empty = index.bytes();
  index.Set(512, 9, 7);  // a root entry: no node
  EXPECT_EQ(index.bytes(), empty);
  EXPECT_EQ(index.Get(1023), 7u);
  index.Set(64, 6, 8);  // one node over the first 512 pages
  EXPECT_EQ(index.Get(127), 8u);
  EXPECT_EQ(index.Get(63), PfnIndex::kNone);
  EXPECT_EQ(index.Get(128), PfnIndex::kNone);
  index.Set(3, 0, 9);  // two more nodes down to single pages
  EXPECT_EQ(index.Get(3), 9u);
  EXPECT_EQ(index.Get(2), PfnIndex::kNone);
}

TEST(PfnIndexTest, ClearUndoesSetAndGivesBackItsNodes) {
  PfnIndex index(2048);
  index.Set(512 + 16, 4, 7);
  index.Set(512 + 40, 0, 8);
  EXPECT_EQ(index.Clear(512 + 16, 4), 7u);
  for (uint32_t p = 512 + 16; p < 512 + 32; ++p) {
    EXPECT_EQ(index.Get(p), PfnIndex::kNone);
  }
  EXPECT_EQ(index.Get(512 + 40), 8u);
  EXPECT_EQ(index.Clear(512 + 40, 0), 8u);
  EXPECT_EQ(index.Get(512 + 40), PfnIndex::kNone);
  // The nodes went back to the pool: storing the same again needs no more.
  size_t bytes = index.bytes();
  index.Set(512 + 16, 4, 9);
  index.Set(512 + 40, 0, 10);
  EXPECT_EQ(index.bytes(), bytes);
  EXPECT_EQ(index.Get(512 + 20), 9u);
  index.Set(1024, 9, 11);
  EXPECT_EQ(index.Clear(1024, 9), 11u);
  EXPECT_EQ(index.Get(1024 + 5), PfnIndex::kNone);
}

TEST(PfnIndexTest, ClearRangeTakesWholeFoliosAndTheirNodes) {
  PfnIndex index(2048);
  // 512 order-0 folios (a split THP), then an order-4 and an order-9.
  for (uint32_t p = 0; p < 512; ++p) index.Set(p, 0, p);
  index.Set(512, 4, 1000);
  index.Set(1024, 9, 1001);
  index.Set(528, 0, 1002);
  index.ClearRange(100, 529);
  for (uint32_t p = 0; p < 100; ++p) ASSERT_EQ(index.Get(p), p);
  for (uint32_t p = 100; p < 529; ++p) ASSERT_EQ(index.Get(p), PfnIndex::kNone);
  EXPECT_EQ(index.Get(1500), 1001u);
  index.ClearRange(0, 2048);
  for (uint32_t p = 0; p < 2048; ++p) ASSERT_EQ(index.Get(p), PfnIndex::kNone);
  // Freed nodes are reused: storing it all again needs no new memory.
  size_t bytes = index.bytes();
  for (uint32_t p = 0; p < 512; ++p) index.Set(p, 0, p);
  EXPECT_EQ(index.bytes(), bytes);
}

TEST(PfnIndexTest, AssignMatchesAPerPageArrayAndStaysSmall) {
  constexpr uint32_t kPages = 2048;
  PfnIndex index(kPages);
  size_t empty = index.bytes();
  std::vector<uint32_t> want(kPages, PfnIndex::kNone);
  std::mt19937_64 rng(3);
  for (int step = 0; step < 2000; ++step) {
    uint32_t first = static_cast<uint32_t>(rng() % kPages);
    uint32_t n = 1 + static_cast<uint32_t>(rng() % (rng() % 2 ? 8 : 600));
    uint32_t end = std::min(kPages, first + n);
    uint32_t value =
        rng() % 4 == 0 ? PfnIndex::kNone : static_cast<uint32_t>(rng() % 5);
    index.Assign(first, end, value);
    for (uint32_t p = first; p < end; ++p) want[p] = value;
    for (uint32_t p = 0; p < kPages; ++p) {
      ASSERT_EQ(index.Get(p), want[p]) << "pfn " << p << " step " << step;
    }
  }
  // One value everywhere: the root alone holds it.
  index.Assign(0, kPages, 7);
  for (uint32_t p = 0; p < kPages; p += 97) ASSERT_EQ(index.Get(p), 7u);
  index.Assign(0, kPages, PfnIndex::kNone);
  // A run of 512 is one root entry; 300 pages of one value take a handful
  // of nodes.
  index.Assign(512, 1024, 9);
  index.Assign(1024, 1324, 10);
  EXPECT_EQ(index.Get(1023), 9u);
  EXPECT_EQ(index.Get(1323), 10u);
  EXPECT_EQ(index.Get(1324), PfnIndex::kNone);
  EXPECT_GE(index.bytes(), empty);
}

}  // namespace
}  // namespace mmreplay::mm
