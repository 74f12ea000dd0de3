// The event log's text form: fixed field order, hex addresses and PFNs,
// only set fields, orders run-length coded.
#include "replay/event_log.h"

#include <string>

#include "gtest/gtest.h"
#include "proto/trace.pb.h"
#include "trace/op_schema.h"

namespace mmreplay::replay {
namespace {

std::string Line(const mm::Event& e) {
  std::string out;
  AppendEventLine(e, &out);
  return out;
}

TEST(EventLogTest, FolioAlloc) {
  mm::Event e;
  e.set_op_index(4);
  e.set_kind(EVENT_FOLIO_ALLOC);
  e.set_pfn(0x200);
  e.set_order(9);
  e.set_ref_after(1);
  e.set_reason(REASON_ANON_FAULT);
  EXPECT_EQ(Line(e), "4 folio_alloc pfn=0x200 order=9 ref=1 reason=anon_fault");
}

TEST(EventLogTest, PfnZeroAndOrderZeroArePrinted) {
  mm::Event e;
  e.set_op_index(1);
  e.set_kind(EVENT_FOLIO_FREE);
  e.set_pfn(0);
  e.set_order(0);
  EXPECT_EQ(Line(e), "1 folio_free pfn=0x0 order=0");
}

TEST(EventLogTest, UnmapWithMapcountChange) {
  mm::Event e;
  e.set_op_index(6);
  e.set_kind(EVENT_UNMAP);
  e.set_pfn(0x200);
  e.set_order(9);
  e.set_pid(1);
  e.set_addr(0x7f0000001000);
  e.set_nr_pages(1);
  e.set_level(MAP_LEVEL_PTE);
  e.set_map_before(512);
  e.set_map_after(511);
  e.set_reason(REASON_MADV_DONTNEED);
  EXPECT_EQ(Line(e),
            "6 unmap pfn=0x200 order=9 pid=1 addr=0x7f0000001000 pages=1 "
            "level=pte map=512->511 reason=madv_dontneed");
}

TEST(EventLogTest, NonUniformSplitOrdersAreRunLengthCoded) {
  mm::Event e;
  e.set_op_index(7);
  e.set_kind(EVENT_SPLIT);
  e.set_pfn(0x200);
  e.set_order(9);
  e.set_non_uniform(true);
  e.set_split_at(2);
  for (uint32_t o : {0, 0, 0, 0, 2, 3, 4, 5, 6, 7, 8}) e.add_new_orders(o);
  e.set_reason(REASON_SPLIT_REQUEST);
  EXPECT_EQ(Line(e),
            "7 split pfn=0x200 order=9 type=non_uniform at=2 "
            "orders=0*4,2,3,4,5,6,7,8 reason=split_request");
}

TEST(EventLogTest, SplitFailedNamesTheErrno) {
  mm::Event e;
  e.set_op_index(9);
  e.set_kind(EVENT_SPLIT_FAILED);
  e.set_pfn(0x400);
  e.set_order(9);
  e.set_err(-11);
  e.set_reason(REASON_DEFERRED_SCAN);
  EXPECT_EQ(
      Line(e),
      "9 split_failed pfn=0x400 order=9 err=-EAGAIN reason=deferred_scan");
}

TEST(EventLogTest, SplitAndSplitFailedShowRefAndMap) {
  mm::Event e;
  e.set_op_index(7);
  e.set_kind(EVENT_SPLIT);
  e.set_pfn(0x0);
  e.set_order(9);
  e.add_new_orders(0, 512);
  e.set_ref_after(511);
  e.set_map_after(510);
  e.set_reason(REASON_DEFERRED_SCAN);
  EXPECT_EQ(Line(e),
            "7 split pfn=0x0 order=9 type=uniform orders=0*512 ref=511 "
            "map=510 reason=deferred_scan");
  e.Clear();
  e.set_op_index(8);
  e.set_kind(EVENT_SPLIT_FAILED);
  e.set_pfn(0x200);
  e.set_order(9);
  e.set_ref_after(3);
  e.set_map_after(1);
  e.set_err(-11);
  EXPECT_EQ(Line(e),
            "8 split_failed pfn=0x200 order=9 ref=3 map=1 err=-EAGAIN");
}

// A piece names its parent; a run of pieces keeps the parent on every line.
TEST(EventLogTest, SplitPiecesNameTheirParent) {
  mm::Event e;
  e.set_op_index(7);
  e.set_kind(EVENT_SPLIT_PIECE);
  e.set_pfn(0x1fe);
  e.set_order(0);
  e.set_parent_pfn(0x1fe);
  e.set_repeat(3);
  std::string out;
  AppendEventLines(e, &out);
  EXPECT_EQ(out,
            "7 split_piece pfn=0x1fe order=0 parent=0x1fe\n"
            "7 split_piece pfn=0x1ff order=0 parent=0x1fe\n"
            "7 split_piece pfn=0x200 order=0 parent=0x1fe\n");
}

TEST(EventLogTest, PartiallyMappedFlagEventsAreNamedAsTheKernelsFunctions) {
  EXPECT_EQ(EventKindName(EVENT_FOLIO_SET_PARTIALLY_MAPPED),
            "folio_set_partially_mapped");
  EXPECT_EQ(EventKindName(EVENT_FOLIO_CLEAR_PARTIALLY_MAPPED),
            "folio_clear_partially_mapped");
}

TEST(EventLogTest, OpLineHasTheOpsTextAndItsNoteQuoted) {
  uint64_t args[trace::kMaxArity] = {};
  args[Touch::kPidFieldNumber - 1] = 1;
  args[Touch::kAddrFieldNumber - 1] = 0x7f0000000000;
  args[Touch::kLengthBytesFieldNumber - 1] = 0x200000;
  args[Touch::kAccessFieldNumber - 1] = ACCESS_WRITE;
  std::string out = "kept\n";
  AppendOpLine(3, Op::kTouch, args, "", &out);
  AppendOpLine(4, Op::kTouch, args, "a \"THP\"\nover two lines", &out);
  EXPECT_EQ(out,
            "kept\n"
            "# op 3: touch { pid: 1 addr: 0x7f0000000000 length_bytes: "
            "0x200000 access: ACCESS_WRITE }\n"
            "# op 4: touch { pid: 1 addr: 0x7f0000000000 length_bytes: "
            "0x200000 access: ACCESS_WRITE } \"a \\\"THP\\\"\\nover two "
            "lines\"\n");
}

TEST(EventLogTest, EveryKindAndReasonHasAName) {
  for (int k = EventKind_MIN + 1; k <= EventKind_MAX; ++k) {
    if (!EventKind_IsValid(k)) continue;
    EXPECT_NE(EventKindName(static_cast<EventKind>(k)), "?") << k;
  }
}

TEST(EventLogTest, HeaderNamesVersionAndProfile) {
  EXPECT_EQ(EventLogHeader("linux-6.18"),
            "# mmreplay event log v2 profile=linux-6.18\n");
}

TEST(EventLogTest, AnEventForARunIsOneLineForEachOfIt) {
  mm::Event e;
  e.set_op_index(9);
  e.set_kind(EVENT_UNMAP);
  e.set_pfn(0x3fe);
  e.set_order(0);
  e.set_pid(2);
  e.set_addr(0x7f0000001000);
  e.set_nr_pages(1);
  e.set_level(MAP_LEVEL_PTE);
  e.set_map_before(1);
  e.set_map_after(0);
  e.set_repeat(3);
  std::string out;
  AppendEventLines(e, &out);
  EXPECT_EQ(out,
            "9 unmap pfn=0x3fe order=0 pid=2 addr=0x7f0000001000 pages=1 "
            "level=pte map=1->0\n"
            "9 unmap pfn=0x3ff order=0 pid=2 addr=0x7f0000002000 pages=1 "
            "level=pte map=1->0\n"
            "9 unmap pfn=0x400 order=0 pid=2 addr=0x7f0000003000 pages=1 "
            "level=pte map=1->0\n");
  mm::Event one;
  one.set_op_index(1);
  one.set_kind(EVENT_FOLIO_FREE);
  one.set_pfn(5);
  out.clear();
  AppendEventLines(one, &out);
  EXPECT_EQ(out, "1 folio_free pfn=0x5\n");
}

// A run's lines are copied from its first around the pfn and addr values:
// the same bytes as each event formatted alone, also where the values grow
// a hex digit, with and without an address.
TEST(EventLogTest, ARunsLinesAreThoseOfItsEventsAlone) {
  mm::Event map;
  map.set_op_index(12);
  map.set_kind(EVENT_MAP);
  map.set_pfn(0xffd);
  map.set_order(0);
  map.set_pid(1);
  map.set_addr(0xffffd000);
  map.set_nr_pages(1);
  map.set_level(MAP_LEVEL_PTE);
  map.set_ref_before(1);
  map.set_ref_after(1);
  map.set_map_before(0);
  map.set_map_after(1);
  map.set_reason(REASON_ANON_FAULT);
  mm::Event free_run;
  free_run.set_op_index(3);
  free_run.set_kind(EVENT_FOLIO_FREE);
  free_run.set_pfn(0xfe);
  free_run.set_order(0);
  free_run.set_reason(REASON_MUNMAP);
  // A carry inside the numbers (0x...0fe000 -> 0x...100000), an addr of
  // fewer digits than a page's (0x0), and a long run.
  mm::Event carry = map;
  carry.set_pfn(0x1fe);
  carry.set_addr(0x7f00000fe000);
  mm::Event low = map;
  low.set_pfn(0xe);
  low.set_addr(0);
  for (mm::Event e : {map, free_run, carry, low}) {
    for (uint32_t repeat : {5u, 600u}) {
      e.set_repeat(repeat);
      std::string want;
      for (uint32_t i = 0; i < e.repeat(); ++i) {
        AppendEventLine(e.Nth(i), &want);
        want.push_back('\n');
      }
      std::string got = "kept ";
      AppendEventLines(e, &got);
      EXPECT_EQ(got, "kept " + want);
    }
  }
}

}  // namespace
}  // namespace mmreplay::replay
