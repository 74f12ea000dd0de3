// MADV_COLLAPSE and khugepaged (mm/khugepaged.cc): what
// hpage_collapse_scan_pmd and hugepage_vma_revalidate let through, and
// collapse_pte_mapped_thp giving up on a private mapping's copies.
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/page_geometry.h"
#include "tests/mm/model_harness.h"

namespace mmreplay::mm {
namespace {

class CollapseTest : public ModelTest {
 protected:
  // A 2 MiB anonymous region at kBase touched in small pages (`write` or
  // read), then open to THP again.
  void TouchSmall(Access access) {
    ASSERT_TRUE(model_->MmapAnon(1, kBase, kThp, 3, 2).ok());
    ASSERT_TRUE(model_->Madvise(1, kBase, kThp, ADVICE_NOHUGEPAGE).ok());
    ASSERT_TRUE(model_->Touch(1, kBase, kThp, access).ok());
    ASSERT_TRUE(model_->Madvise(1, kBase, kThp, ADVICE_HUGEPAGE).ok());
  }
  // MADV_COLLAPSE of `blocks` 2 MiB blocks from `start`: the err of each
  // block's collapse event ("0" for done) and, for a failure, its scan
  // result ("-22:SCAN_PMD_NULL"), space-separated.
  std::string Collapse(int blocks = 1, uint64_t start = kBase) {
    return Run(CollapseBy::kMadvCollapse, blocks, start);
  }
  // The same, as khugepaged's scan of process 1 would.
  std::string KhugepagedScan() { return Run(CollapseBy::kKhugepaged); }

 private:
  std::string Run(CollapseBy by, int blocks = 1, uint64_t start = kBase) {
    sink_.events.clear();
    EXPECT_TRUE(model_->Collapse(1, start, blocks * kThp, by).ok());
    std::vector<std::string> errs;
    for (const Event& e : sink_.events) {
      if (e.kind() != EVENT_COLLAPSE) continue;
      errs.push_back(absl::StrCat(e.err()));
      if (e.has_scan_result()) {
        absl::StrAppend(&errs.back(), ":", ScanResultName(e.scan_result()));
      }
    }
    return absl::StrJoin(errs, " ");
  }
};

TEST_F(CollapseTest, WrittenSmallPagesCollapse) {
  Start();
  TouchSmall(ACCESS_WRITE);
  EXPECT_EQ(Collapse(), "0");
  EXPECT_EQ(Layout(kBase, kThp), "O-9");
  EXPECT_EQ(PmdMapped(kBase, kThp), 512u);
  Verify();
}

// Only ever read (zero pages): the VMA has no anon_vma (-EINVAL). The rules
// here are what tests/capture/madv_collapse_live_test.cc finds on the live
// kernel (mmcapture cannot record a failing madvise).
TEST_F(CollapseTest, MemoryOnlyReadStaysAsItIs) {
  Start();
  TouchSmall(ACCESS_READ);
  EXPECT_EQ(Collapse(), "-22:SCAN_VMA_CHECK");
  EXPECT_EQ(Layout(kBase, kThp), "[Z*512]");
  Verify();
}

// No PMD table under a block (SCAN_PMD_NULL): nothing to collapse there
// (-EINVAL). The VMA spans a 1 GiB boundary, the block past it never
// touched.
TEST_F(CollapseTest, BlockWithNoPmdTableIsNotCollapsed) {
  Start();
  const uint64_t start = kBase + (uint64_t{1} << 30) - kThp;
  ASSERT_TRUE(model_->MmapAnon(1, start, 2 * kThp, 3, 2).ok());
  ASSERT_TRUE(model_->Madvise(1, start, 2 * kThp, ADVICE_NOHUGEPAGE).ok());
  ASSERT_TRUE(model_->Touch(1, start, kThp, ACCESS_WRITE).ok());
  ASSERT_TRUE(model_->Madvise(1, start, 2 * kThp, ADVICE_HUGEPAGE).ok());
  EXPECT_EQ(Collapse(2, start), "0 -22:SCAN_PMD_NULL");
  Verify();
}

// An empty PMD entry beside used ones (SCAN_PMD_NONE): 6.18's
// madvise_collapse stops there, as on the live 6.18.44 kernel
// (tests/capture/madv_collapse_live_test.cc): the block after it is not
// collapsed.
TEST_F(CollapseTest, EmptyPmdEntryStopsTheRange) {
  Start();
  ASSERT_TRUE(model_->MmapAnon(1, kBase, 3 * kThp, 3, 2).ok());
  ASSERT_TRUE(model_->Madvise(1, kBase, 3 * kThp, ADVICE_NOHUGEPAGE).ok());
  ASSERT_TRUE(model_->Touch(1, kBase, kThp, ACCESS_WRITE).ok());
  ASSERT_TRUE(model_->Touch(1, kBase + 2 * kThp, kThp, ACCESS_WRITE).ok());
  ASSERT_TRUE(model_->Madvise(1, kBase, 3 * kThp, ADVICE_HUGEPAGE).ok());
  EXPECT_EQ(Collapse(3), "0 -22:SCAN_PMD_NONE");
  EXPECT_EQ(PmdMapped(kBase, 3 * kThp), 512u);
  EXPECT_EQ(Layout(kBase + 2 * kThp, kThp), "O-0 x512");
  Verify();
}

// Read-only PTEs collapse too from 6.18 (after a fork: the parent gets a
// THP of its own, the child keeps the small pages); before, SCAN_PAGE_RO.
TEST_F(CollapseTest, ReadOnlySharedPages) {
  for (auto [profile, err, layout] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"linux-6.18", "0", "O-9"},
           {"linux-6.15", "-22:SCAN_PAGE_RO", "O-0 x512"},
           {"linux-6.12", "-22:SCAN_PAGE_RO", "O-0 x512"}}) {
    SCOPED_TRACE(profile);
    Start(profile);
    TouchSmall(ACCESS_WRITE);
    ASSERT_TRUE(model_->ProcessFork(1, 2).ok());
    EXPECT_EQ(Collapse(), err);
    EXPECT_EQ(Layout(kBase, kThp), layout);
    uint64_t pmd;
    EXPECT_EQ(RenderLayout(*model_->RangeLayout(2, kBase, kThp, &pmd)),
              "O-0 x512");
    Verify();
  }
}

// After mprotect read-only, too (measured).
TEST_F(CollapseTest, MprotectedReadOnlyPagesCollapse) {
  Start();
  TouchSmall(ACCESS_WRITE);
  ASSERT_TRUE(model_->Mprotect(1, kBase, kThp, PROT_BITS_READ).ok());
  EXPECT_EQ(Collapse(), "0");
  EXPECT_EQ(Layout(kBase, kThp), "O-9");
  Verify();
}

// madvise_walk_vmas() stops after a VMA that madvise_collapse() failed,
// even on a result it goes on past within the VMA: here a pinned page
// (SCAN_PAGE_COUNT, -EAGAIN), so the next VMA is not collapsed.
TEST_F(CollapseTest, VmaWithAFailedBlockEndsTheWalk) {
  Start();
  // VMA A: block 0, written, a page of it pinned; VMA B (executable, so
  // that it stays a VMA of its own): block 1, written.
  ASSERT_TRUE(model_->MmapAnon(1, kBase, kThp, 3, 2).ok());
  ASSERT_TRUE(model_->MmapAnon(1, kBase + kThp, kThp, 7, 2).ok());
  ASSERT_TRUE(model_->Madvise(1, kBase, 2 * kThp, ADVICE_NOHUGEPAGE).ok());
  ASSERT_TRUE(model_->Touch(1, kBase, 2 * kThp, ACCESS_WRITE).ok());
  ASSERT_TRUE(model_->Pin(1, 1, kBase, kPageSize, PIN_KIND_FOLL_GET).ok());
  ASSERT_TRUE(model_->Madvise(1, kBase, 2 * kThp, ADVICE_HUGEPAGE).ok());
  EXPECT_EQ(Collapse(2), "-11:SCAN_PAGE_COUNT");
  EXPECT_EQ(Layout(kBase + kThp, kThp), "O-0 x512");
  Verify();
}

// A VMA with no anon_vma stops the walk at once (measured).
TEST_F(CollapseTest, VmaWithoutAnAnonVmaEndsTheWalk) {
  Start();
  ASSERT_TRUE(model_->MmapAnon(1, kBase, kThp, 3, 2).ok());
  ASSERT_TRUE(model_->MmapAnon(1, kBase + kThp, kThp, 7, 2).ok());
  ASSERT_TRUE(model_->Madvise(1, kBase, 2 * kThp, ADVICE_NOHUGEPAGE).ok());
  ASSERT_TRUE(model_->Touch(1, kBase, kThp, ACCESS_READ).ok());
  ASSERT_TRUE(model_->Touch(1, kBase + kThp, kThp, ACCESS_WRITE).ok());
  ASSERT_TRUE(model_->Madvise(1, kBase, 2 * kThp, ADVICE_HUGEPAGE).ok());
  EXPECT_EQ(Collapse(2), "-22:SCAN_VMA_CHECK");
  EXPECT_EQ(Layout(kBase + kThp, kThp), "O-0 x512");
  Verify();
}

// Zero pages where the VMA has an anon_vma: they collapse into a THP.
TEST_F(CollapseTest, ZeroPagesWithAnAnonVmaCollapse) {
  Start();
  TouchSmall(ACCESS_READ);
  ASSERT_TRUE(model_->Touch(1, kBase, kPageSize, ACCESS_WRITE).ok());
  ASSERT_TRUE(model_->Madvise(1, kBase, kPageSize, ADVICE_DONTNEED).ok());
  ASSERT_EQ(Layout(kBase, kThp), "[hole*1] [Z*511]");
  EXPECT_EQ(Collapse(), "0");
  EXPECT_EQ(Layout(kBase, kThp), "O-9");
  Verify();
}

// The huge zero folio is PMD-mapped already (SCAN_PMD_MAPPED).
TEST_F(CollapseTest, HugeZeroStays) {
  Start();
  ASSERT_TRUE(model_->MmapAnon(1, kBase, kThp, 3, 2).ok());
  ASSERT_TRUE(model_->Madvise(1, kBase, kThp, ADVICE_HUGEPAGE).ok());
  ASSERT_TRUE(model_->Touch(1, kBase, kThp, ACCESS_READ).ok());
  EXPECT_EQ(Collapse(), "0");
  EXPECT_EQ(Layout(kBase, kThp), "[HZ*512]");
  Verify();
}

// A page-cache THP only PTE-mapped (SCAN_PTE_MAPPED_HUGEPAGE): MADV_COLLAPSE
// maps it by its PMD.
TEST_F(CollapseTest, PteMappedFileThpGetsItsPmd) {
  Start();
  ASSERT_TRUE(
      model_->FileCreate(1, FILESYSTEM_TMPFS, TMPFS_HUGE_ALWAYS, 0, 0).ok());
  ASSERT_TRUE(model_->FileWrite(1, 0, kThp).ok());
  ASSERT_TRUE(model_->MmapFile(1, kBase, kThp, 3, 1, 1, 0).ok());
  ASSERT_TRUE(model_->Madvise(1, kBase, kThp, ADVICE_NOHUGEPAGE).ok());
  ASSERT_TRUE(model_->Touch(1, kBase, kThp, ACCESS_READ).ok());
  ASSERT_EQ(PmdMapped(kBase, kThp), 0u);
  ASSERT_TRUE(model_->Madvise(1, kBase, kThp, ADVICE_HUGEPAGE).ok());
  EXPECT_EQ(Collapse(), "0");
  EXPECT_EQ(PmdMapped(kBase, kThp), 512u);
  Verify();
}

// A private tmpfs mapping with a copy: collapse_file makes the page-cache
// THP, but collapse_pte_mapped_thp gives up on the caller's page table.
TEST_F(CollapseTest, PrivateFileMappingWithACopyIsNotPmdMapped) {
  Start();
  ASSERT_TRUE(
      model_->FileCreate(1, FILESYSTEM_TMPFS, TMPFS_HUGE_ALWAYS, 0, 0).ok());
  ASSERT_TRUE(model_->FileWrite(1, 0, kThp).ok());
  ASSERT_TRUE(model_->MmapFile(1, kBase, kThp, 3, 2, 1, 0).ok());
  ASSERT_TRUE(model_->PunchHole(1, 2 * kPageSize, kPageSize).ok());
  ASSERT_TRUE(model_->Touch(1, kBase, kThp, ACCESS_READ).ok());
  ASSERT_TRUE(
      model_->Touch(1, kBase + 7 * kPageSize, kPageSize, ACCESS_WRITE).ok());
  EXPECT_EQ(Collapse(), "-22:SCAN_FAIL");
  absl::StatusOr<mm::Layout> cached = model_->FileLayout(1, 0, kThp);
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(RenderLayout(*cached), "O-9");
  EXPECT_EQ(PmdMapped(kBase, kThp), 0u);
  EXPECT_EQ(Layout(kBase, kThp), "[hole*7] O-0 [hole*504]");
  Verify();
}

// khugepaged's max_ptes_shared (256): PTEs of folios that may be mapped
// shared, counted PTE by PTE, fail the scan past it
// (SCAN_EXCEED_SHARED_PTE, thp_scan_exceed_share_pte). The child of a fork
// drops all but the first `shared` pages: on the live 6.18 kernel 256
// collapse and 257 do not (tests/capture/khugepaged_live_test.cc).
TEST_F(CollapseTest, KhugepagedSharedPtesUpToMaxPtesShared) {
  for (auto [shared, err, layout, exceeded] :
       std::vector<std::tuple<uint64_t, std::string, std::string, int>>{
           {256, "0", "O-9", 0},
           {257, "-22:SCAN_EXCEED_SHARED_PTE", "O-0 x512", 1}}) {
    SCOPED_TRACE(shared);
    Start();
    TouchSmall(ACCESS_WRITE);
    ASSERT_TRUE(model_->ProcessFork(1, 2).ok());
    ASSERT_TRUE(model_
                    ->Madvise(2, kBase + shared * kPageSize,
                              kThp - shared * kPageSize, ADVICE_DONTNEED)
                    .ok());
    EXPECT_EQ(KhugepagedScan(), err);
    EXPECT_EQ(Layout(kBase, kThp), layout);
    EXPECT_EQ(Count(VmEvent::kThpScanExceedSharePte), exceeded);
    Verify();
  }
}

// MADV_COLLAPSE does not count shared PTEs (ReadOnlySharedPages above);
// khugepaged does, up to the knob: 300 shared PTEs fail at the default and
// collapse with the knob at 300.
TEST_F(CollapseTest, KhugepagedMaxPtesSharedKnob) {
  for (auto [knob, err] : std::vector<std::tuple<uint32_t, std::string>>{
           {256, "-22:SCAN_EXCEED_SHARED_PTE"}, {300, "0"}}) {
    SCOPED_TRACE(knob);
    Start();
    SetKnob(KNOB_MAX_PTES_SHARED, 0, KNOB_VALUE_UNSPECIFIED, knob);
    TouchSmall(ACCESS_WRITE);
    ASSERT_TRUE(model_->ProcessFork(1, 2).ok());
    ASSERT_TRUE(model_
                    ->Madvise(2, kBase + 300 * kPageSize, 212 * kPageSize,
                              ADVICE_DONTNEED)
                    .ok());
    EXPECT_EQ(KhugepagedScan(), err);
    Verify();
  }
}

// No writable PTE: from 6.18 khugepaged collapses such a block too, as
// MADV_COLLAPSE does (measured, tests/capture/khugepaged_live_test.cc);
// before, SCAN_PAGE_RO.
TEST_F(CollapseTest, KhugepagedReadOnlyPtes) {
  for (auto [profile, err, layout] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"linux-6.18", "0", "O-9"},
           {"linux-6.15", "-22:SCAN_PAGE_RO", "O-0 x512"}}) {
    SCOPED_TRACE(profile);
    Start(profile);
    TouchSmall(ACCESS_WRITE);
    ASSERT_TRUE(model_->Mprotect(1, kBase, kThp, PROT_BITS_READ).ok());
    EXPECT_EQ(KhugepagedScan(), err);
    EXPECT_EQ(Layout(kBase, kThp), layout);
    Verify();
  }
}

// max_ptes_none counts PTE by PTE too: 511 empty PTEs are allowed, and
// with the knob at 0 the first empty PTE ends the scan.
TEST_F(CollapseTest, KhugepagedMaxPtesNone) {
  for (auto [knob, err] : std::vector<std::tuple<uint32_t, std::string>>{
           {511, "0"}, {0, "-16:SCAN_EXCEED_NONE_PTE"}}) {
    SCOPED_TRACE(knob);
    Start();
    SetKnob(KNOB_MAX_PTES_NONE, 0, KNOB_VALUE_UNSPECIFIED, knob);
    ASSERT_TRUE(model_->MmapAnon(1, kBase, kThp, 3, 2).ok());
    ASSERT_TRUE(model_->Madvise(1, kBase, kThp, ADVICE_NOHUGEPAGE).ok());
    ASSERT_TRUE(model_->Touch(1, kBase, kPageSize, ACCESS_WRITE).ok());
    ASSERT_TRUE(model_->Madvise(1, kBase, kThp, ADVICE_HUGEPAGE).ok());
    EXPECT_EQ(KhugepagedScan(), err);
    EXPECT_EQ(Count(VmEvent::kThpScanExceedNonePte), knob == 0 ? 1 : 0);
    Verify();
  }
}

// The first failing PTE decides: with max_ptes_none 0 the empty first PTE
// fails the scan (SCAN_EXCEED_NONE_PTE, -EBUSY) before the pinned page at
// PTE 5 is reached (SCAN_PAGE_COUNT, -EAGAIN).
TEST_F(CollapseTest, KhugepagedFirstFailingPteDecides) {
  Start();
  SetKnob(KNOB_MAX_PTES_NONE, 0, KNOB_VALUE_UNSPECIFIED, 0);
  TouchSmall(ACCESS_WRITE);
  ASSERT_TRUE(model_->Madvise(1, kBase, kPageSize, ADVICE_DONTNEED).ok());
  ASSERT_TRUE(model_->SpeculativeGetAddr(1, 1, kBase + 5 * kPageSize).ok());
  EXPECT_EQ(KhugepagedScan(), "-16:SCAN_EXCEED_NONE_PTE");
  Verify();
}

// Within one PTE the shared count comes before the refcount: the 257th
// shared page, pinned, fails as SCAN_EXCEED_SHARED_PTE (-EINVAL), not as
// SCAN_PAGE_COUNT (-EAGAIN).
TEST_F(CollapseTest, KhugepagedSharedCountBeforeRefcount) {
  Start();
  TouchSmall(ACCESS_WRITE);
  ASSERT_TRUE(model_->ProcessFork(1, 2).ok());
  ASSERT_TRUE(model_
                  ->Madvise(2, kBase + 257 * kPageSize, 255 * kPageSize,
                            ADVICE_DONTNEED)
                  .ok());
  ASSERT_TRUE(model_->SpeculativeGetAddr(1, 1, kBase + 256 * kPageSize).ok());
  EXPECT_EQ(KhugepagedScan(), "-22:SCAN_EXCEED_SHARED_PTE");
  EXPECT_EQ(Count(VmEvent::kThpScanExceedSharePte), 1);
  Verify();
}

// The log tells failed collapses apart by their scan result, beside the
// errno madvise_collapse_errno() gives it (docs/event-log.md).
TEST_F(CollapseTest, LogLineNamesTheScanResult) {
  Start("linux-6.15");
  TouchSmall(ACCESS_WRITE);
  ASSERT_TRUE(model_->ProcessFork(1, 2).ok());
  sink_.events.clear();
  ASSERT_TRUE(model_->Collapse(1, kBase, kThp, CollapseBy::kMadvCollapse).ok());
  ASSERT_EQ(sink_.events.size(), 1u);
  std::string line;
  replay::AppendEventLine(sink_.events[0], &line);
  EXPECT_EQ(line,
            "0 collapse pid=1 addr=0x200000000000 err=-EINVAL "
            "result=SCAN_PAGE_RO reason=collapse");
}

}  // namespace
}  // namespace mmreplay::mm
