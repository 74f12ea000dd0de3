// Compaction (mm/compaction.h): the scanners, the isolation rules, the free
// lists and migration, each at its boundary, on a 64 MiB machine (one
// zone, 32 pageblocks). Faults take the lowest free PFNs, so n folios of
// one order fill PFN 0 up; unmapping every other one leaves holes of that
// order in the first pageblocks, and the rest of memory is order-10 free
// blocks the free scanner passes over (suitable_migration_target).
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tests/mm/model_harness.h"

namespace mmreplay::mm {
namespace {

struct Move {
  uint64_t src, dst;
  uint32_t order;
  bool operator==(const Move& o) const {
    return std::tie(src, dst, order) == std::tie(o.src, o.dst, o.order);
  }
};

class CompactionTest : public ModelTest {
 protected:
  // n folios of `order` (mTHP: the only order enabled) mapped at `at`,
  // from the lowest free PFN up; with `holes`, every other one unmapped
  // (its PFNs freed).
  void Fault(uint32_t order, int n, bool holes = true, uint64_t at = kBase) {
    if (enabled_ != 0)
      SetKnob(KNOB_ANON_ORDER_ENABLED, enabled_, KNOB_VALUE_NEVER);
    if (order > 0) SetKnob(KNOB_ANON_ORDER_ENABLED, order, KNOB_VALUE_ALWAYS);
    enabled_ = order;
    const uint64_t size = kPageSize << order;
    ASSERT_TRUE(model_->MmapAnon(1, at, n * size, 3, 2).ok());
    ASSERT_TRUE(model_->Touch(1, at, n * size, ACCESS_WRITE).ok());
    for (int i = 1; holes && i < n; i += 2) {
      ASSERT_TRUE(model_->Munmap(1, at + i * size, size).ok());
    }
    sink_.events.clear();
  }
  void CompactMemory() {
    ASSERT_TRUE(model_->Compact(COMPACT_MODE_MEMORY, 0).ok());
    Verify();
  }
  std::vector<Move> Moves() const {
    std::vector<Move> out;
    for (const Event& e : sink_.events) {
      if (e.kind() == EVENT_MIGRATE) {
        out.push_back({e.pfn(), e.dst_pfn(), e.order()});
      }
    }
    return out;
  }
  int Events(EventKind kind, Reason reason = REASON_UNSPECIFIED) const {
    int n = 0;
    for (const Event& e : sink_.events) {
      n += e.kind() == kind &&
           (reason == REASON_UNSPECIFIED || e.reason() == reason);
    }
    return n;
  }
  // The events recorded, as log lines (for failure messages).
  std::string Log() const {
    std::string log;
    for (const Event& e : sink_.events) replay::AppendEventLines(e, &log);
    return log;
  }
  // The anonymous order Fault() enabled last.
  uint32_t enabled_ = 0;
  CompactResult LastResult() const {
    CompactResult r = COMPACT_RESULT_UNSPECIFIED;
    for (const Event& e : sink_.events) {
      if (e.kind() == EVENT_COMPACT_END) r = e.compact_result();
    }
    return r;
  }
};

// 64 order-4 folios over pageblocks 0 and 1, every other one unmapped: the
// free scanner finds the holes of pageblock 1 (the pageblocks above are
// order-10 free blocks), and the 16 folios of pageblock 0 move into them,
// two at a time (COMPACT_CLUSTER_MAX is 32 pages), lowest hole first.
TEST_F(CompactionTest, MovesMthpsWholeIntoSameOrderHoles) {
  Start();
  Fault(4, 64);
  CompactMemory();
  std::vector<Move> moves = Moves();
  ASSERT_EQ(moves.size(), 16u);
  for (size_t i = 0; i < moves.size(); ++i) {
    EXPECT_EQ(moves[i], (Move{32 * i, 512 + 16 + 32 * i, 4})) << i;
  }
  EXPECT_EQ(LastResult(), COMPACT_RESULT_COMPLETE);
  // Pageblock 0 is one free block again.
  EXPECT_EQ(Count(VmEvent::kPgmigrateSuccess), 256);
  EXPECT_EQ(Count(VmEvent::kPgmigrateFail), 0);
  EXPECT_EQ(Count(VmEvent::kCompactIsolated), 512);
  EXPECT_EQ(Count(VmEvent::kThpMigrationSuccess), 0);
  // Each moved folio: queued by the unmap (+1), requeued as dst (+1).
  EXPECT_EQ(Count(MthpStat::kSplitDeferred, 4), 32);
  EXPECT_EQ(Count(MthpStat::kNrAnonPartiallyMapped, 4), 16);
  EXPECT_EQ(Count(MthpStat::kSplit, 4), 0);
  EXPECT_EQ(Count(MthpStat::kNrAnon, 4), 32);
  EXPECT_EQ(Layout(kBase, 64 * 16 * kPageSize),
            "O-4 [hole*16] O-4 [hole*16] O-4 [hole*16] O-4 [hole*16] "
            "O-4 [hole*16] O-4 [hole*16] O-4 [hole*16] O-4 [hole*16] "
            "O-4 [hole*16] O-4 [hole*16] O-4 [hole*16] O-4 [hole*16] "
            "O-4 [hole*16] O-4 [hole*16] O-4 [hole*16] O-4 [hole*16] "
            "O-4 [hole*16] O-4 [hole*16] O-4 [hole*16] O-4 [hole*16] "
            "O-4 [hole*16] O-4 [hole*16] O-4 [hole*16] O-4 [hole*16] "
            "O-4 [hole*16] O-4 [hole*16] O-4 [hole*16] O-4 [hole*16] "
            "O-4 [hole*16] O-4 [hole*16] O-4 [hole*16] O-4 [hole*16]");
  // The next shrinker run splits every moved folio, in place.
  ASSERT_TRUE(model_->DeferredSplitScan(1000).ok());
  EXPECT_EQ(Count(MthpStat::kSplit, 4), 16);
  EXPECT_EQ(Count(MthpStat::kNrAnonPartiallyMapped, 4), 0);
  Verify();
}

// The fates replay --check compares with a capture's expect_compaction
// (Model::FolioFateAt): in the setup above, the 16 folios of pageblock 0
// move whole, the 16 of pageblock 1 (above the scanners' meeting point)
// stay, and the holes have no folio.
TEST_F(CompactionTest, FolioFatesTellMovedFromStayed) {
  Start();
  Fault(4, 64);
  model_->set_record_compaction_fates(true);
  CompactMemory();
  const uint64_t folio = 16 * kPageSize;
  for (int i = 0; i < 64; i += 2) {
    std::optional<Model::FolioFate> f =
        model_->FolioFateAt(1, kBase + i * folio);
    ASSERT_TRUE(f.has_value()) << i;
    EXPECT_EQ(f->order_before, 4u) << i;
    // The last page of pageblock 0's folios: the same answer.
    EXPECT_EQ(f->outcome, i < 32 ? FOLIO_OUTCOME_MOVED : FOLIO_OUTCOME_STAYED)
        << i;
  }
  EXPECT_EQ(model_->FolioFateAt(1, kBase + 15 * kPageSize)->outcome,
            FOLIO_OUTCOME_MOVED);
  EXPECT_FALSE(model_->FolioFateAt(1, kBase + folio).has_value());
  // The next compaction answers for itself: the moved folio, left queued
  // partially mapped, is split by its migrate_pages (the deferred-list
  // rule of migrate_pages_batch).
  CompactMemory();
  EXPECT_EQ(model_->FolioFateAt(1, kBase)->outcome, FOLIO_OUTCOME_SPLIT);
}

// Without the requeue commit a moved folio counts once and leaves the
// queue.
TEST_F(CompactionTest, WithoutRequeueMovedFolioIsNotQueued) {
  Profile p = *ProfileByName("linux-6.18");
  p.migrate_requeue_dst_deferred = false;
  Start(p);
  Fault(4, 64);
  CompactMemory();
  EXPECT_EQ(Moves().size(), 16u);
  EXPECT_EQ(Count(MthpStat::kSplitDeferred, 4), 16);
  EXPECT_EQ(Count(MthpStat::kNrAnonPartiallyMapped, 4), 0);
}

// Folios shared with a child after fork move too (every reference is a
// mapping): both processes' PTEs follow, the MM slots are rebuilt, and
// copy-on-write still works on the moved folios.
TEST_F(CompactionTest, ForkSharedFoliosMoveWithBothMappings) {
  Start();
  Fault(4, 64);
  ASSERT_TRUE(model_->ProcessFork(1, 2).ok());
  sink_.events.clear();
  CompactMemory();
  EXPECT_EQ(Moves().size(), 16u);
  for (const Event& e : sink_.events) {
    if (e.kind() == EVENT_MIGRATE) {
      EXPECT_EQ(e.map_after(), 32);
    }
  }
  ASSERT_TRUE(model_->Touch(2, kBase, kPageSize, ACCESS_WRITE).ok());
  ASSERT_TRUE(model_->ProcessExit(2).ok());
  for (int i = 0; i < 64; i += 2) {
    ASSERT_TRUE(
        model_
            ->Touch(1, kBase + i * 16 * kPageSize, 16 * kPageSize, ACCESS_WRITE)
            .ok());
  }
  Verify();
}

// A PMD THP is never migrated by compact_memory (order >= pageblock_order).
TEST_F(CompactionTest, PmdThpNeverMoves) {
  Start();
  Fault(9, 4);
  CompactMemory();
  EXPECT_TRUE(Moves().empty());
  EXPECT_EQ(Count(VmEvent::kCompactIsolated), 0);
}

// Order 8 (below pageblock order) is isolated: with only order-8 holes
// above, it moves whole.
TEST_F(CompactionTest, Order8MovesWhole) {
  Start();
  Fault(8, 8);
  CompactMemory();
  EXPECT_FALSE(Moves().empty());
  for (const Move& m : Moves()) EXPECT_EQ(m.order, 8u);
}

// No isolated block of the folio's order or more: split to order 0, the
// pieces migrated one by one.
TEST_F(CompactionTest, SplitsWhenNoBlockFits) {
  Start();
  // Order-2 holes in pageblocks 0-1 (pages 0..1023), then one order-4
  // folio at 1024 above them... the migrate scanner meets the order-2
  // folios first; use order 4 folios below order 2 holes instead.
  SetKnob(KNOB_ANON_ORDER_ENABLED, 4, KNOB_VALUE_ALWAYS);
  ASSERT_TRUE(model_->MmapAnon(1, kBase, 32 * 16 * kPageSize, 3, 2).ok());
  ASSERT_TRUE(model_->Touch(1, kBase, 32 * 16 * kPageSize, ACCESS_WRITE).ok());
  // Pageblock 1: order-0 pages, every other one unmapped.
  const uint64_t small = kBase + kThp;
  ASSERT_TRUE(model_->MmapAnon(1, small, 512 * kPageSize, 3, 2).ok());
  ASSERT_TRUE(
      model_->Madvise(1, small, 512 * kPageSize, ADVICE_NOHUGEPAGE).ok());
  ASSERT_TRUE(model_->Touch(1, small, 512 * kPageSize, ACCESS_WRITE).ok());
  for (int i = 1; i < 512; i += 2) {
    ASSERT_TRUE(model_->Munmap(1, small + i * kPageSize, kPageSize).ok());
  }
  // Pageblock 0: drop every other order-4 folio.
  for (int i = 1; i < 32; i += 2) {
    ASSERT_TRUE(
        model_->Munmap(1, kBase + i * 16 * kPageSize, 16 * kPageSize).ok());
  }
  sink_.events.clear();
  CompactMemory();
  EXPECT_GT(Events(EVENT_SPLIT, REASON_COMPACTION), 0);
  for (const Move& m : Moves()) EXPECT_EQ(m.order, 0u);
  const int64_t split = Count(MthpStat::kSplit, 4);
  EXPECT_GT(split, 0);
  // Split while migrating: queued once by the split's unmap, then taken
  // off by the split.
  EXPECT_EQ(Count(MthpStat::kSplitDeferred, 4), split);
  EXPECT_EQ(Count(MthpStat::kNrAnonPartiallyMapped, 4), 0);
}

// A folio split for migration is SPLIT on each of its pages, whether its
// order-0 pieces moved afterwards or not; with recording off (a replay
// without --check) the model keeps nothing and reports every folio stayed.
TEST_F(CompactionTest, FolioFatesTellSplit) {
  for (bool record : {true, false}) {
    Start();
    SetKnob(KNOB_ANON_ORDER_ENABLED, 4, KNOB_VALUE_ALWAYS);
    ASSERT_TRUE(model_->MmapAnon(1, kBase, 32 * 16 * kPageSize, 3, 2).ok());
    ASSERT_TRUE(
        model_->Touch(1, kBase, 32 * 16 * kPageSize, ACCESS_WRITE).ok());
    const uint64_t small = kBase + kThp;
    ASSERT_TRUE(model_->MmapAnon(1, small, 512 * kPageSize, 3, 2).ok());
    ASSERT_TRUE(
        model_->Madvise(1, small, 512 * kPageSize, ADVICE_NOHUGEPAGE).ok());
    ASSERT_TRUE(model_->Touch(1, small, 512 * kPageSize, ACCESS_WRITE).ok());
    for (int i = 1; i < 512; i += 2) {
      ASSERT_TRUE(model_->Munmap(1, small + i * kPageSize, kPageSize).ok());
    }
    for (int i = 1; i < 32; i += 2) {
      ASSERT_TRUE(
          model_->Munmap(1, kBase + i * 16 * kPageSize, 16 * kPageSize).ok());
    }
    model_->set_record_compaction_fates(record);
    sink_.events.clear();
    CompactMemory();
    ASSERT_GT(Events(EVENT_SPLIT, REASON_COMPACTION), 0);
    // The first folio is the first the migrate scanner isolates.
    for (uint64_t page : {0, 1, 15}) {
      std::optional<Model::FolioFate> f =
          model_->FolioFateAt(1, kBase + page * kPageSize);
      ASSERT_TRUE(f.has_value()) << page;
      EXPECT_EQ(f->order_before, record ? 4u : 0u) << page;
      EXPECT_EQ(f->outcome, record ? FOLIO_OUTCOME_SPLIT : FOLIO_OUTCOME_STAYED)
          << record << " " << page;
    }
  }
}

// isolate_freepages() scans only when no isolated block is left: the
// first batch (the order-4 folios at PFN 0 and 16) isolates pageblock 1's
// holes up to 32 pages, 528 and 544 (order 4) and, with `order0_hole`,
// the free page 512 below them. With that one page left on the order-0
// list, the next two folios (PFN 32 and 48) find no order-4 block and no
// scan is made: both are split. Without it the lists are empty, the scan
// finds the holes at 576 and 608, and both move whole.
class IsolateFreepagesTest : public CompactionTest,
                             public ::testing::WithParamInterface<bool> {};

TEST_P(IsolateFreepagesTest, ScansOnlyWithNothingIsolated) {
  const bool order0_hole = GetParam();
  Start();
  Fault(4, 32, /*holes=*/false);  // pageblock 0
  const uint64_t small = kBase + kThp;
  ASSERT_TRUE(model_->MmapAnon(1, small, 512 * kPageSize, 3, 2).ok());
  ASSERT_TRUE(
      model_->Madvise(1, small, 512 * kPageSize, ADVICE_NOHUGEPAGE).ok());
  ASSERT_TRUE(model_->Touch(1, small, 512 * kPageSize, ACCESS_WRITE).ok());
  std::vector<std::pair<uint64_t, uint64_t>> holes = {
      {16, 16}, {32, 16}, {64, 16}, {96, 16}};  // pages of pageblock 1
  if (order0_hole) holes.push_back({0, 1});
  for (const auto& [page, n] : holes) {
    ASSERT_TRUE(
        model_->Munmap(1, small + page * kPageSize, n * kPageSize).ok());
  }
  sink_.events.clear();
  CompactMemory();
  std::vector<Move> moves = Moves();
  ASSERT_GE(moves.size(), 2u) << Log();
  EXPECT_EQ(moves[0], (Move{0, 528, 4}));
  EXPECT_EQ(moves[1], (Move{16, 544, 4}));
  std::vector<uint64_t> split;
  for (const Event& e : sink_.events) {
    if (e.kind() == EVENT_SPLIT && e.reason() == REASON_COMPACTION) {
      split.push_back(e.pfn());
    }
  }
  if (order0_hole) {
    ASSERT_GE(split.size(), 2u) << Log();
    EXPECT_EQ(split[0], 32u);
    EXPECT_EQ(split[1], 48u);
  } else {
    ASSERT_GE(moves.size(), 4u) << Log();
    EXPECT_EQ(moves[2], (Move{32, 576, 4}));
    EXPECT_EQ(moves[3], (Move{48, 608, 4}));
    for (uint64_t pfn : split) EXPECT_GT(pfn, 48u);
  }
}

INSTANTIATE_TEST_SUITE_P(Order0HoleLeft, IsolateFreepagesTest,
                         ::testing::Bool());

// A pinned anonymous folio is passed over, and said so; its neighbours
// move.
TEST_F(CompactionTest, PinnedAnonFolioSkipped) {
  Start();
  Fault(4, 64);
  ASSERT_TRUE(model_->Pin(1, 1, kBase, kPageSize, PIN_KIND_FOLL_PIN).ok());
  sink_.events.clear();
  CompactMemory();
  EXPECT_EQ(Events(EVENT_ISOLATE_SKIP, REASON_PINNED), 1);
  // 15 folios left, in batches of two: the last alone, so the migrate
  // scanner finishes pageblock 0 and the free scanner may no longer scan
  // pageblock 1 (its low end is pageblock_end_pfn(migrate_pfn)): that
  // folio finds no target and is split (its pieces find none either).
  EXPECT_EQ(Moves().size(), 14u);
  EXPECT_EQ(Count(MthpStat::kSplit, 4), 1);
  for (const Move& m : Moves()) EXPECT_NE(m.src, 0u);
}

// A speculative reference is an extra reference: passed over too.
TEST_F(CompactionTest, ExtraRefAnonFolioSkipped) {
  Start();
  Fault(4, 64);
  ASSERT_TRUE(model_->SpeculativeGetAddr(7, 1, kBase).ok());
  sink_.events.clear();
  CompactMemory();
  EXPECT_EQ(Events(EVENT_ISOLATE_SKIP, REASON_EXTRA_REF), 1);
  EXPECT_EQ(Moves().size(), 14u);
  ASSERT_TRUE(model_->SpeculativePut(7).ok());
  Verify();
}

// Before v6.9 compaction passes over every large folio.
TEST_F(CompactionTest, SkipProfileLeavesLargeFolios) {
  Profile p = *ProfileByName("linux-6.18");
  p.compact_large_folios = Profile::CompactLargeFolios::kSkip;
  Start(p);
  Fault(4, 64);
  CompactMemory();
  EXPECT_TRUE(Moves().empty());
}

// Seed 003's patch 1/3: every isolated large folio is split and its pages
// migrated.
TEST_F(CompactionTest, SplitAllProfileSplitsEveryLargeFolio) {
  Start("seed003-split-all");
  Fault(4, 64);
  CompactMemory();
  EXPECT_EQ(Count(MthpStat::kSplit, 4), 16);
  for (const Move& m : Moves()) EXPECT_EQ(m.order, 0u);
  EXPECT_EQ(Count(MthpStat::kSplitDeferred, 4), 16);
}

// Direct compaction skips folios of the requested order or more, and
// stops at a pageblock boundary once a free block of the order exists.
TEST_F(CompactionTest, OrderRequestSkipsFoliosOfThatOrder) {
  Start();
  Fault(4, 64);
  ASSERT_TRUE(model_->Compact(COMPACT_MODE_ORDER, 4).ok());
  // Free order-4 blocks exist already: success without scanning.
  EXPECT_TRUE(Moves().empty());
  EXPECT_EQ(LastResult(), COMPACT_RESULT_SUCCESS);
  EXPECT_EQ(Count(VmEvent::kCompactStall), 1);
  EXPECT_EQ(Count(VmEvent::kCompactSuccess), 1);
  Verify();
}

// compaction_alloc() takes the smallest isolated block of at least the
// folio's order and splits it buddy-style: the folio gets the low half,
// the upper half goes to the head of the order-4 list and the next folio
// gets it.
TEST_F(CompactionTest, LargerBlockSplitBuddyStyle) {
  Start();
  // Pageblock 0: 32 order-4 folios; pageblock 1: 16 order-5 folios, every
  // other one unmapped.
  Fault(4, 32, /*holes=*/false);
  Fault(5, 16, /*holes=*/true, kBase + 2 * kThp);
  CompactMemory();
  std::vector<Move> moves = Moves();
  ASSERT_EQ(moves.size(), 16u) << Log();
  for (size_t i = 0; i < moves.size(); ++i) {
    EXPECT_EQ(moves[i],
              (Move{16 * i, 512 + 32 + 64 * (i / 2) + 16 * (i % 2), 4}))
        << i;
  }
}

// A pageblock that is one free block of pageblock order (its buddy is in
// use) is no target: the free scanner passes over it, and over the
// order-10 blocks above; it may not scan the migrate scanner's own
// pageblock, so nothing moves: the first batch's two folios are split,
// their pieces find no target either, and -ENOMEM ends the run with the
// scanners met.
TEST_F(CompactionTest, FreeScannerSkipsFreePageblocks) {
  Start("linux-6.18", 2048);
  Fault(4, 32);
  CompactMemory();
  EXPECT_TRUE(Moves().empty()) << Log();
  EXPECT_EQ(Count(VmEvent::kCompactIsolated), 32);  // the first batch only
  EXPECT_EQ(Count(MthpStat::kSplit, 4), 2);
  EXPECT_EQ(LastResult(), COMPACT_RESULT_COMPLETE);
}

// A page-cache folio moved whole keeps its order and its page-cache entry,
// and, never having been queued, is not queued as the destination either.
TEST_F(CompactionTest, FileFolioMovedWholeIsNotQueued) {
  Start();
  ASSERT_TRUE(
      model_->FileCreate(1, FILESYSTEM_PAGE_CACHE, TMPFS_HUGE_UNSPECIFIED, 2, 2)
          .ok());
  ASSERT_TRUE(model_->FileWrite(1, 0, 16 * kPageSize).ok());  // PFNs 0..15
  Fault(4, 62);  // PFNs 16..1007, every other folio unmapped
  CompactMemory();
  int file_moves = 0;
  for (const Move& m : Moves()) file_moves += m.src < 16 && m.order == 2;
  EXPECT_EQ(file_moves, 4) << Log();
  EXPECT_EQ(FileLayout(16 * kPageSize), "O-2 x4");
  EXPECT_EQ(Events(EVENT_DEFERRED_ADD, REASON_UNDERUSED), 0);
}

// compaction_suit_allocation_order(): a request for order 4 needs
// compact_gap(4) = 32 free pages to migrate into, else COMPACT_SKIPPED
// (and no compact_stall).
TEST_F(CompactionTest, OrderRequestSkippedBelowCompactGap) {
  for (int holes : {31, 32}) {
    SCOPED_TRACE(holes);
    Start("linux-6.18", 2048);
    Fault(0, 2048, /*holes=*/false);
    for (int i = 0; i < holes; ++i) {
      ASSERT_TRUE(
          model_->Munmap(1, kBase + (2 * i + 1) * kPageSize, kPageSize).ok());
    }
    ASSERT_TRUE(model_->Compact(COMPACT_MODE_ORDER, 4).ok());
    Verify();
    EXPECT_EQ(LastResult() == COMPACT_RESULT_SKIPPED, holes < 32) << Log();
    EXPECT_EQ(Count(VmEvent::kCompactStall), holes < 32 ? 0 : 1);
    model_.reset();
    sink_.events.clear();
  }
}

// A request for order 4 passes over folios of order 4 (they would need a
// block of their order, which the request is looking for) and moves the
// smaller ones; it stops at a pageblock boundary once an order-4 block is
// free.
TEST_F(CompactionTest, OrderRequestSkipsFoliosOfItsOrder) {
  Start("linux-6.18", 4096);
  // Pageblock 0: order-4 folios; pageblocks 1-7: order-3 folios with
  // every other one unmapped.
  Fault(4, 32, /*holes=*/false);
  Fault(3, 448, /*holes=*/true, kBase + 2 * kThp);
  ASSERT_TRUE(model_->Compact(COMPACT_MODE_ORDER, 4).ok());
  Verify();
  EXPECT_EQ(LastResult(), COMPACT_RESULT_SUCCESS) << Log();
  EXPECT_EQ(Count(MthpStat::kSplit, 4), 0);
  ASSERT_FALSE(Moves().empty());
  for (const Move& m : Moves()) EXPECT_EQ(m.order, 3u);
  // Stopped at the end of pageblock 1 (its 32 folios moved to pageblock
  // 7's holes): pageblocks 2-6 kept their folios.
  EXPECT_EQ(Moves().size(), 32u);
  EXPECT_EQ(Count(VmEvent::kCompactStall), 1);
  EXPECT_EQ(Count(VmEvent::kCompactSuccess), 1);
}

TEST_F(CompactionTest, CompactMemoryCountsNoStall) {
  Start();
  Fault(4, 64);
  CompactMemory();
  EXPECT_EQ(Count(VmEvent::kCompactStall), 0);
  EXPECT_GT(Count(VmEvent::kCompactMigrateScanned), 0);
  EXPECT_GT(Count(VmEvent::kCompactFreeScanned), 0);
}

// shmem after a hole punch: two 2 MiB chunks, page 2 of each punched, so
// each is split to O-1 [hole] O-0 O-2 ... O-8, mapped shared. The only
// free page above pageblock 0 is chunk 2's hole: the order-0 piece there
// moves whole and stays mapped; the larger pieces find no target and are
// split, and split file folios are unmapped (the next touch faults them
// back).
TEST_F(CompactionTest, ShmemFolioSplitByCompactionIsUnmapped) {
  Start();
  ASSERT_TRUE(
      model_->FileCreate(1, FILESYSTEM_TMPFS, TMPFS_HUGE_ALWAYS, 0, 0).ok());
  ASSERT_TRUE(model_->FileWrite(1, 0, 2 * kThp).ok());
  for (uint64_t chunk = 0; chunk < 2; ++chunk) {
    ASSERT_TRUE(
        model_->PunchHole(1, chunk * kThp + 2 * kPageSize, kPageSize).ok());
  }
  ASSERT_TRUE(model_->MmapFile(1, kBase, 2 * kThp, 3, 1, 1, 0).ok());
  // Every page but the holes (a read there would fill them).
  for (uint64_t chunk = 0; chunk < 2; ++chunk) {
    const uint64_t a = kBase + chunk * kThp;
    ASSERT_TRUE(model_->Touch(1, a, 2 * kPageSize, ACCESS_READ).ok());
    ASSERT_TRUE(
        model_->Touch(1, a + 3 * kPageSize, kThp - 3 * kPageSize, ACCESS_READ)
            .ok());
  }
  sink_.events.clear();
  CompactMemory();
  const int splits = Events(EVENT_SPLIT, REASON_COMPACTION);
  EXPECT_GT(splits, 0) << Log();
  EXPECT_GT(Events(EVENT_UNMAP, REASON_COMPACTION), 0);
  ASSERT_EQ(Moves().size(), 1u);
  EXPECT_EQ(Moves()[0], (Move{3, 514, 0}));
  // Every page stays in the page cache; the split pieces are order 0.
  EXPECT_EQ(FileLayout(16 * kPageSize), "O-0 x2 [hole*1] O-0 x13");
  // The moved page is still mapped (Verify() checks it maps PFN 514 and
  // the page cache names it); the split ones are not.
  std::string mapped = Layout(kBase, 16 * kPageSize);
  EXPECT_EQ(mapped.substr(0, 16), "[hole*3] O-0 [ho") << mapped;
  EXPECT_EQ(Count(MthpStat::kSplitDeferred, 1), 0);
}

// Seed 003: pfn 0 is a page-cache page with a speculative reference, so
// its migration fails (-EAGAIN) after compaction_alloc() gave it the
// order-3 hole's first page (528); seed 003's walker takes a reference on
// that page meanwhile.
class Seed003Test : public CompactionTest {
 protected:
  void Run(const std::string& profile) {
    Start(profile, 2048);
    ASSERT_TRUE(
        model_->FileCreate(1, FILESYSTEM_TMPFS, TMPFS_HUGE_NEVER, 0, 0).ok());
    ASSERT_TRUE(model_->FileWrite(1, 0, 2 * kPageSize).ok());
    ASSERT_TRUE(model_->MmapAnon(1, kBase, 1022 * kPageSize, 3, 2).ok());
    ASSERT_TRUE(
        model_->Madvise(1, kBase, 1022 * kPageSize, ADVICE_NOHUGEPAGE).ok());
    ASSERT_TRUE(model_->Touch(1, kBase, 1022 * kPageSize, ACCESS_WRITE).ok());
    // Pages 526.. map PFNs 528..535: an order-3 hole.
    ASSERT_TRUE(model_->Munmap(1, kBase + 526 * kPageSize, 8 * kPageSize).ok());
    ASSERT_TRUE(model_->SpeculativeGetFile(1, 1, 0).ok());
    sink_.events.clear();
    ASSERT_TRUE(model_->Compact(COMPACT_MODE_MEMORY, 0, /*walker=*/2).ok());
  }
};

TEST_F(Seed003Test, PutTestzeroLosesTheBlock) {
  Run("linux-6.18");
  EXPECT_EQ(Events(EVENT_MIGRATE_FAILED), 2) << Log();  // pfn 0, then ENOMEM
  EXPECT_EQ(Events(EVENT_COMPACT_FREE_LOST), 1);
  EXPECT_EQ(Events(EVENT_REFCOUNT_VIOLATION), 0);
  // pfn 1 went to the next page of the hole, not to the lost one.
  ASSERT_FALSE(Moves().empty());
  EXPECT_EQ(Moves()[0], (Move{1, 529, 0}));
  Verify();
  // The walker's put frees the lost page.
  ASSERT_TRUE(model_->SpeculativePut(2).ok());
  EXPECT_EQ(sink_.events.back().kind(), EVENT_FOLIO_FREE);
  EXPECT_EQ(sink_.events.back().pfn(), 528u);
  ASSERT_TRUE(model_->SpeculativePut(1).ok());
  Verify();
}

TEST_F(Seed003Test, V3SetCountIsAViolation) {
  Run("seed003-v3");
  EXPECT_EQ(Events(EVENT_REFCOUNT_VIOLATION), 1) << Log();
  EXPECT_EQ(Events(EVENT_COMPACT_FREE_LOST), 0);
  // The block went back to the list's head: the next migration uses it
  // while the walker still holds it.
  ASSERT_FALSE(Moves().empty());
  EXPECT_EQ(Moves()[0], (Move{1, 528, 0}));
  absl::Status s = model_->Verify();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("0x210"), std::string::npos) << s;
}

// Without a failed migration the walker finds nothing: its reference holds
// no page, and its put does nothing.
TEST_F(Seed003Test, WalkerWithoutFailureHoldsNothing) {
  Start("seed003-v3");
  Fault(4, 64);
  ASSERT_TRUE(model_->Compact(COMPACT_MODE_MEMORY, 0, 2).ok());
  EXPECT_EQ(Events(EVENT_REFCOUNT_VIOLATION), 0);
  Verify();
  ASSERT_TRUE(model_->SpeculativePut(2).ok());
  Verify();
}

}  // namespace
}  // namespace mmreplay::mm
