// diff --ignore pfn's folio names: a run named at once (NameRun) gets the
// names its events get one by one (Name), whatever the kinds and PFNs, and
// the names' blocks go with their last name.
#include "replay/folio_namer.h"

#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace mmreplay::replay {
namespace {

using Names = FolioNamer::Names;

// Random runs over a few blocks of PFNs: allocations, splits, frees,
// migrations, split pieces and maps, so that names come and go.
// PFNs from `base` on.
std::vector<std::pair<FolioNamer::Fields, uint32_t>> RandomRuns(int count,
                                                                uint32_t seed,
                                                                uint64_t base) {
  std::mt19937 rng(seed);
  const EventKind kinds[] = {
      EVENT_FOLIO_ALLOC, EVENT_SPLIT, EVENT_FOLIO_FREE,   EVENT_MIGRATE,
      EVENT_SPLIT_PIECE, EVENT_MAP,   EVENT_COMPACT_BEGIN};
  static const mm::Event::OrderRun kOrders[] = {{0, 4}, {2, 3}};
  std::vector<std::pair<FolioNamer::Fields, uint32_t>> runs;
  for (int i = 0; i < count; ++i) {
    FolioNamer::Fields f;
    f.op = 1 + i / 4;
    f.kind = kinds[rng() % 7];
    f.has_pfn = rng() % 8 != 0;
    f.pfn = base + rng() % 300;
    f.has_order = true;
    f.order = 4;
    f.new_orders = kOrders;
    f.has_dst = f.kind == EVENT_MIGRATE;
    f.dst = base + rng() % 300;
    f.has_parent = f.kind == EVENT_SPLIT_PIECE;
    f.parent = base + rng() % 300;
    runs.emplace_back(f, 1 + rng() % 150);
  }
  return runs;
}

// Also across the PFNs named in blocks and those named alone (2^28 on).
TEST(FolioNamerTest, ARunIsNamedAsItsEventsOneByOne) {
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE(seed);
    const uint64_t base = seed % 2 == 0 ? 0 : (uint64_t{1} << 28) - 150;
    // `unnamed` is given the same runs without asking for their names: its
    // names change alike.
    FolioNamer whole, one_by_one, unnamed;
    for (const auto& [first, n] : RandomRuns(400, seed, base)) {
      std::vector<Names> got(n);
      whole.NameRun(first, n, got.data());
      unnamed.NameRun(first, n, nullptr);
      FolioNamer::Fields e = first;
      for (uint32_t i = 0; i < n; ++i) {
        e.pfn = first.pfn + i;
        const Names want = one_by_one.Name(e);
        ASSERT_TRUE(got[i] == want) << "kind " << first.kind << " event " << i;
      }
    }
    EXPECT_EQ(whole.blocks(), one_by_one.blocks());
    EXPECT_EQ(unnamed.blocks(), one_by_one.blocks());
    // And the names they give next.
    FolioNamer::Fields map;
    map.op = 1000;
    map.kind = EVENT_MAP;
    map.has_pfn = true;
    map.pfn = base;
    std::vector<Names> after(400), after_unnamed(400);
    one_by_one.NameRun(map, 400, after.data());
    unnamed.NameRun(map, 400, after_unnamed.data());
    for (size_t i = 0; i < after.size(); ++i) {
      ASSERT_TRUE(after[i] == after_unnamed[i]) << i;
    }
  }
}

TEST(FolioNamerTest, BlocksGoWithTheirLastName) {
  FolioNamer namer;
  FolioNamer::Fields alloc;
  alloc.op = 1;
  alloc.kind = EVENT_FOLIO_ALLOC;
  alloc.has_pfn = true;
  alloc.pfn = 60;  // two blocks of 64 PFNs
  std::vector<Names> names(8);
  namer.NameRun(alloc, 8, names.data());
  EXPECT_EQ(names[7].pfn, (FolioName{1, 8, 0}));
  EXPECT_EQ(namer.blocks(), 2u);
  FolioNamer::Fields free = alloc;
  free.op = 2;
  free.kind = EVENT_FOLIO_FREE;
  namer.NameRun(free, 4, names.data());  // the first block's four
  EXPECT_EQ(names[3].pfn, (FolioName{1, 4, 0}));
  EXPECT_EQ(namer.blocks(), 1u);
  free.pfn = 64;
  namer.NameRun(free, 3, names.data());
  EXPECT_EQ(namer.blocks(), 1u);  // one name left in it
  free.pfn = 67;
  namer.Name(free);
  EXPECT_EQ(namer.blocks(), 0u);
  // Freed, a PFN has no name.
  namer.NameRun(free, 1, names.data());
  EXPECT_FALSE(names[0].pfn.named());
}

}  // namespace
}  // namespace mmreplay::replay
