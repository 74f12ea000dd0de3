// fork (mm/fork.cc) and copy on write after it (mm/fault.cc,
// WriteProtectFault): which pages fork copies at once, which a write fault
// reuses and which it copies, by profile. The 6.18 cases are also in
// traces/captured (anon_fork_*, mthp64k_fork_*, *_foll_pin_*).
#include <tuple>

#include "absl/strings/str_cat.h"
#include "base/page_geometry.h"
#include "tests/mm/model_harness.h"

namespace mmreplay::mm {
namespace {

class CowTest : public ModelTest {
 protected:
  // A PTE-mapped THP (page 1 zapped) shared with child 2, which then exits.
  void SharePteMappedThpThenExitChild() {
    FaultThps(1);
    ASSERT_TRUE(
        model_->Madvise(1, kBase + kPageSize, kPageSize, ADVICE_DONTNEED).ok());
    ASSERT_TRUE(model_->ProcessFork(1, 2).ok());
    ASSERT_TRUE(model_->ProcessExit(2).ok());
  }
  // 16 small folios written at kBase.
  void FaultSmallPages() {
    ASSERT_TRUE(model_->MmapAnon(1, kBase, 16 * kPageSize, 3, 2).ok());
    ASSERT_TRUE(
        model_->Madvise(1, kBase, 16 * kPageSize, ADVICE_NOHUGEPAGE).ok());
    ASSERT_TRUE(model_->Touch(1, kBase, 16 * kPageSize, ACCESS_WRITE).ok());
  }
  // n "map" events: fork sharing n folios.
  static std::string Maps(int n) {
    std::vector<std::string> maps(n, "map");
    return absl::StrJoin(maps, " ");
  }
};

TEST_F(CowTest, LargeFolioMappedAloneIsReusedFrom615) {
  Start("linux-6.18");
  SharePteMappedThpThenExitChild();
  const std::string before = Layout(kBase, kThp);
  EXPECT_EQ(before, "O-9[0+1] [hole*1] O-9[2+510]");
  ASSERT_TRUE(
      model_->Touch(1, kBase + 5 * kPageSize, kPageSize, ACCESS_WRITE).ok());
  EXPECT_EQ(Layout(kBase, kThp), before);
  Verify();
}

// v5.9 to v6.14: a page of a large folio is reused only when its mapping is
// the folio's only reference (v6.9 to v6.14: never), so one of 510 mapped
// pages is copied.
TEST_F(CowTest, LargeFolioMappedManyTimesIsCopiedBefore615) {
  for (const char* profile : {"linux-6.6", "linux-6.12"}) {
    SCOPED_TRACE(profile);
    Start(profile);
    SharePteMappedThpThenExitChild();
    ASSERT_TRUE(
        model_->Touch(1, kBase + 5 * kPageSize, kPageSize, ACCESS_WRITE).ok());
    EXPECT_EQ(Layout(kBase, kThp), "O-9[0+1] [hole*1] O-9[2+3] O-0 O-9[6+506]");
    Verify();
  }
}

// Before v5.9 (reuse_swap_page): reused when no page of the folio is mapped
// twice, whatever else holds it.
TEST_F(CowTest, LargeFolioMappedOnceEachIsReusedBefore59) {
  Start("linux-5.4");
  SharePteMappedThpThenExitChild();
  const std::string before = Layout(kBase, kThp);
  ASSERT_TRUE(
      model_->Pin(1, 1, kBase + 9 * kPageSize, kPageSize, PIN_KIND_FOLL_GET)
          .ok());
  ASSERT_TRUE(
      model_->Touch(1, kBase + 5 * kPageSize, kPageSize, ACCESS_WRITE).ok());
  EXPECT_EQ(Layout(kBase, kThp), before);
  Verify();
}

// The same for a THP mapped by its PMD: 5.4 reuses it whatever holds it;
// from 5.18 (3bff7e3f1f16) a reference besides the PMD's splits the PMD and
// copies the page.
TEST_F(CowTest, PmdMappedThpHeldByFollGet) {
  for (auto [profile, layout] :
       std::vector<std::pair<std::string, std::string>>{
           {"linux-5.4", "O-9"},
           {"linux-6.6", "O-9[0+5] O-0 O-9[6+506]"},
           {"linux-6.12", "O-9[0+5] O-0 O-9[6+506]"}}) {
    SCOPED_TRACE(profile);
    Start(profile);
    FaultThps(1);
    ASSERT_TRUE(
        model_->Pin(1, 1, kBase + 9 * kPageSize, kPageSize, PIN_KIND_FOLL_GET)
            .ok());
    ASSERT_TRUE(model_->ProcessFork(1, 2).ok());
    ASSERT_TRUE(model_->ProcessExit(2).ok());
    sink_.TakeKinds();
    ASSERT_TRUE(
        model_->Touch(1, kBase + 5 * kPageSize, kPageSize, ACCESS_WRITE).ok());
    EXPECT_EQ(Layout(kBase, kThp), layout);
    // A reuse allocates nothing (5.4 copying the THP whole would).
    EXPECT_EQ(sink_.TakeKinds().find("folio_alloc") == std::string::npos,
              profile == "linux-5.4");
    Verify();
  }
}

// A write to the huge zero folio: a new THP (6.13+, and 5.4 where the VMA
// may have one), else the PMD split to zero-page PTEs and the page copied.
TEST_F(CowTest, HugeZeroWrite) {
  for (auto [profile, nohugepage, layout] :
       std::vector<std::tuple<std::string, bool, std::string>>{
           {"linux-5.4", false, "O-9"},
           {"linux-5.4", true, "[Z*5] O-0 [Z*506]"},
           {"linux-6.6", false, "[Z*5] O-0 [Z*506]"},
           {"linux-6.12", false, "[Z*5] O-0 [Z*506]"},
           {"linux-6.18", false, "O-9"},
           {"linux-6.18", true, "O-9"}}) {
    SCOPED_TRACE(profile + (nohugepage ? " nohugepage" : ""));
    Start(profile);
    ASSERT_TRUE(model_->MmapAnon(1, kBase, kThp, 3, 2).ok());
    ASSERT_TRUE(model_->Madvise(1, kBase, kThp, ADVICE_HUGEPAGE).ok());
    ASSERT_TRUE(model_->Touch(1, kBase, kThp, ACCESS_READ).ok());
    ASSERT_EQ(Layout(kBase, kThp), "[HZ*512]");
    if (nohugepage) {
      ASSERT_TRUE(model_->Madvise(1, kBase, kThp, ADVICE_NOHUGEPAGE).ok());
    }
    ASSERT_TRUE(
        model_->Touch(1, kBase + 5 * kPageSize, kPageSize, ACCESS_WRITE).ok());
    EXPECT_EQ(Layout(kBase, kThp), layout);
    Verify();
  }
}

// A write to a THP shared since a fork: from v5.8 (3917c80280c9) the PMD
// is split and the page copied; before, the whole THP is copied into a new
// one, or, where the VMA may have none, into 512 small pages.
TEST_F(CowTest, SharedThpWrite) {
  for (auto [profile, nohugepage, layout] :
       std::vector<std::tuple<std::string, bool, std::string>>{
           {"linux-5.4", false, "O-9"},
           {"linux-5.4", true, "O-0 x512"},
           {"linux-6.6", false, "O-9[0+5] O-0 O-9[6+506]"}}) {
    SCOPED_TRACE(profile + (nohugepage ? " nohugepage" : ""));
    Start(profile);
    FaultThps(1);
    ASSERT_TRUE(model_->ProcessFork(1, 2).ok());
    if (nohugepage) {
      ASSERT_TRUE(model_->Madvise(1, kBase, kThp, ADVICE_NOHUGEPAGE).ok());
    }
    const int64_t allocs = Count(VmEvent::kThpFaultAlloc);
    const int64_t fallbacks = Count(VmEvent::kThpFaultFallback);
    ASSERT_TRUE(
        model_->Touch(1, kBase + 5 * kPageSize, kPageSize, ACCESS_WRITE).ok());
    EXPECT_EQ(Layout(kBase, kThp), layout);
    // 5.4 copies into a new THP (not a reuse: THP_FAULT_ALLOC), or into
    // small pages (THP_FAULT_FALLBACK).
    const bool copies_whole = profile == "linux-5.4";
    EXPECT_EQ(Count(VmEvent::kThpFaultAlloc) - allocs,
              copies_whole && !nohugepage ? 1 : 0);
    EXPECT_EQ(Count(VmEvent::kThpFaultFallback) - fallbacks,
              copies_whole && nohugepage ? 1 : 0);
    uint64_t pmd;
    // The child keeps the old THP, by its PMD.
    EXPECT_EQ(RenderLayout(*model_->RangeLayout(2, kBase, kThp, &pmd)), "O-9");
    EXPECT_EQ(pmd, 512u);
    Verify();
    // The copy is the parent's own: writing all of it copies nothing more.
    sink_.TakeKinds();
    ASSERT_TRUE(model_->Touch(1, kBase, kThp, ACCESS_WRITE).ok());
    if (copies_whole) {
      EXPECT_EQ(sink_.TakeKinds(), "");
    }
  }
}

// The last mapped page of a large folio: reused, keeping the whole folio,
// until v6.9 ("mm: prohibit the last subpage from reusing the entire large
// folio"); copied since, and from v6.15 too (a large folio mapped once is
// let go).
TEST_F(CowTest, LastMappedPageOfALargeFolio) {
  for (auto [profile, layout] :
       std::vector<std::pair<std::string, std::string>>{
           {"linux-5.4", "O-9[0+1] [hole*511]"},
           {"linux-6.6", "O-9[0+1] [hole*511]"},
           {"linux-6.12", "O-0 [hole*511]"},
           {"linux-6.15", "O-0 [hole*511]"},
           {"linux-6.18", "O-0 [hole*511]"}}) {
    SCOPED_TRACE(profile);
    Start(profile);
    FaultThps(1);
    ASSERT_TRUE(model_->ProcessFork(1, 2).ok());
    // The child keeps page 0 alone; the parent unmaps all of it.
    ASSERT_TRUE(
        model_->Madvise(2, kBase + kPageSize, kThp - kPageSize, ADVICE_DONTNEED)
            .ok());
    ASSERT_TRUE(model_->Munmap(1, kBase, kThp).ok());
    ASSERT_TRUE(model_->Touch(2, kBase, kPageSize, ACCESS_WRITE).ok());
    uint64_t pmd;
    EXPECT_EQ(RenderLayout(*model_->RangeLayout(2, kBase, kThp, &pmd)), layout);
    Verify();
  }
}

// A FOLL_GET reference (vmsplice) also stops the reuse: refcount !=
// mapcount.
TEST_F(CowTest, LargeFolioHeldByFollGetIsCopied) {
  Start("linux-6.18");
  SharePteMappedThpThenExitChild();
  ASSERT_TRUE(
      model_->Pin(1, 1, kBase + 9 * kPageSize, kPageSize, PIN_KIND_FOLL_GET)
          .ok());
  ASSERT_TRUE(
      model_->Touch(1, kBase + 5 * kPageSize, kPageSize, ACCESS_WRITE).ok());
  EXPECT_EQ(Layout(kBase, kThp), "O-9[0+1] [hole*1] O-9[2+3] O-0 O-9[6+506]");
  Verify();
}

// copy_present_page(): after a FOLL_PIN of pages 2 and 3, fork gives the
// child copies of those two (new folios, mapped writable) and shares the
// rest write-protected.
TEST_F(CowTest, ForkCopiesPinnedSmallPagesForTheChild) {
  Start("linux-6.18");
  FaultSmallPages();
  ASSERT_TRUE(
      model_->Pin(1, 1, kBase + 2 * kPageSize, 2 * kPageSize, PIN_KIND_FOLL_PIN)
          .ok());
  sink_.TakeKinds();
  ASSERT_TRUE(model_->ProcessFork(1, 2).ok());
  // Pages 0-1 shared, 2 and 3 copied, 4-15 shared: one event per folio.
  EXPECT_EQ(sink_.TakeKinds(),
            "map map folio_alloc map folio_alloc map " + Maps(12));
  Verify();
  // The child's copies are its own: writing them faults nothing.
  ASSERT_TRUE(
      model_->Touch(2, kBase + 2 * kPageSize, 2 * kPageSize, ACCESS_WRITE)
          .ok());
  EXPECT_EQ(sink_.TakeKinds(), "");
}

// With no page for the copy, the kernel's fork fails (-ENOMEM from
// copy_pte_range) and the child's mm goes: nothing stays shared, and the
// log has fork's errno (docs/model.md, "Ops the kernel refuses").
TEST_F(CowTest, ForkFailsWithNoMemoryForACopy) {
  Start("linux-6.18", /*pages=*/1024);
  FaultSmallPages();
  // The other 1008 pages, in small folios.
  ASSERT_TRUE(model_->MmapAnon(1, kBase + kThp, 1008 * kPageSize, 3, 2).ok());
  ASSERT_TRUE(
      model_->Madvise(1, kBase + kThp, 1008 * kPageSize, ADVICE_NOHUGEPAGE)
          .ok());
  ASSERT_TRUE(
      model_->Touch(1, kBase + kThp, 1008 * kPageSize, ACCESS_WRITE).ok());
  ASSERT_EQ(Layout(kBase + kThp, 1009 * kPageSize), "O-0 x1008 [hole*1]");
  ASSERT_TRUE(
      model_->Pin(1, 1, kBase + 2 * kPageSize, 2 * kPageSize, PIN_KIND_FOLL_PIN)
          .ok());
  sink_.events.clear();
  ASSERT_TRUE(model_->ProcessFork(1, 2).ok());
  ASSERT_FALSE(sink_.events.empty());
  std::string line;
  replay::AppendEventLine(sink_.events.back(), &line);
  EXPECT_EQ(line, "0 op_failed pid=1 err=-ENOMEM reason=fork");
  Verify();
  // The parent's pages are its own again: writing them copies nothing.
  sink_.TakeKinds();
  ASSERT_TRUE(model_->Touch(1, kBase, 16 * kPageSize, ACCESS_WRITE).ok());
  EXPECT_EQ(sink_.TakeKinds(), "");
}

// A shared file mapping's page tables are not copied (vma_needs_copy): the
// child maps nothing until it faults, and the parent's THP stays writable.
TEST_F(CowTest, ForkLeavesSharedFileMappingsToTheChildsFaults) {
  Start("linux-6.18");
  ASSERT_TRUE(
      model_->FileCreate(1, FILESYSTEM_TMPFS, TMPFS_HUGE_ALWAYS, 0, 0).ok());
  ASSERT_TRUE(model_->Truncate(1, kThp).ok());
  ASSERT_TRUE(model_->MmapFile(1, kBase, kThp, 3, 1, 1, 0).ok());
  ASSERT_TRUE(model_->Touch(1, kBase, kThp, ACCESS_WRITE).ok());
  ASSERT_TRUE(model_->ProcessFork(1, 2).ok());
  uint64_t pmd;
  EXPECT_EQ(RenderLayout(*model_->RangeLayout(2, kBase, kThp, &pmd)),
            "[hole*512]");
  EXPECT_TRUE(model_->MappedWritable(1, kBase));
  Verify();
}

// Before v5.9 a small page is reused by its mapcount alone: a FOLL_GET
// reference does not stop it (the GUP-after-fork bug 09854ba94c6a fixed).
TEST_F(CowTest, SmallPageHeldByFollGetIsReusedBefore59) {
  for (auto [profile, events] :
       std::vector<std::pair<std::string, std::string>>{
           {"linux-5.4", ""}, {"linux-6.6", "folio_alloc unmap map"}}) {
    SCOPED_TRACE(profile);
    Start(profile);
    FaultSmallPages();
    ASSERT_TRUE(model_->Pin(1, 1, kBase, kPageSize, PIN_KIND_FOLL_GET).ok());
    ASSERT_TRUE(model_->ProcessFork(1, 2).ok());
    ASSERT_TRUE(model_->ProcessExit(2).ok());
    sink_.TakeKinds();
    ASSERT_TRUE(model_->Touch(1, kBase, kPageSize, ACCESS_WRITE).ok());
    EXPECT_EQ(sink_.TakeKinds(), events);
    Verify();
  }
}

// Fork shares pages that may not be pinned for DMA
// (folio_needs_cow_for_dma() is false): every page of the process, mapped
// in the child too. Before v5.9 fork shared pinned pages like the others; a
// FOLL_GET reference is not a pin; a FOLL_PIN that is gone leaves the pages
// unpinned (folio_maybe_dma_pinned is false), though the process has pinned
// (MMF_HAS_PINNED stays set).
TEST_F(CowTest, ForkSharesPagesNotPinnedForDma) {
  struct Case {
    const char* profile;
    PinKind kind;
    bool unpin;
  };
  for (const Case& c : {Case{"linux-5.4", PIN_KIND_FOLL_PIN, false},
                        Case{"linux-6.18", PIN_KIND_FOLL_GET, false},
                        Case{"linux-6.18", PIN_KIND_FOLL_PIN, true}}) {
    SCOPED_TRACE(absl::StrCat(c.profile, " ", PinKind_Name(c.kind),
                              c.unpin ? " unpinned" : ""));
    Start(c.profile);
    FaultSmallPages();
    ASSERT_TRUE(
        model_->Pin(1, 1, kBase + 2 * kPageSize, 2 * kPageSize, c.kind).ok());
    if (c.unpin) {
      ASSERT_TRUE(model_->Unpin(1).ok());
    }
    sink_.TakeKinds();
    ASSERT_TRUE(model_->ProcessFork(1, 2).ok());
    EXPECT_EQ(sink_.TakeKinds(), Maps(16));
    Verify();
  }
}

// FOLL_PIN of a THP page shared since a fork: GUP's write fault splits the
// PMD and copies the page before pinning it.
TEST_F(CowTest, FollPinOfASharedThpPageCopiesItFirst) {
  Start("linux-6.18");
  FaultThps(1);
  ASSERT_TRUE(model_->ProcessFork(1, 2).ok());
  ASSERT_TRUE(
      model_->Pin(1, 1, kBase + 10 * kPageSize, kPageSize, PIN_KIND_FOLL_PIN)
          .ok());
  EXPECT_EQ(Layout(kBase, kThp), "O-9[0+10] O-0 O-9[11+501]");
  EXPECT_EQ(PmdMapped(kBase, kThp), 0u);
  Verify();
}

// PageAnonExclusive outlives write protection: after mprotect read-only and
// back, an exclusive page is writable at once (can_change_pte_writable),
// even with a reference that would stop a reuse; a page shared since a fork
// stays read-only and its write copies it.
TEST_F(CowTest, MprotectBackToWritableKeepsExclusivePages) {
  Start("linux-6.18");
  FaultSmallPages();
  ASSERT_TRUE(model_->Pin(1, 1, kBase, kPageSize, PIN_KIND_FOLL_GET).ok());
  ASSERT_TRUE(model_->Mprotect(1, kBase, 16 * kPageSize, 1).ok());
  EXPECT_FALSE(model_->MappedWritable(1, kBase));
  ASSERT_TRUE(model_->Mprotect(1, kBase, 16 * kPageSize, 3).ok());
  EXPECT_TRUE(model_->MappedWritable(1, kBase));
  sink_.TakeKinds();
  ASSERT_TRUE(model_->Touch(1, kBase, kPageSize, ACCESS_WRITE).ok());
  EXPECT_EQ(sink_.TakeKinds(), "");
  ASSERT_TRUE(model_->ProcessFork(1, 2).ok());
  ASSERT_TRUE(model_->Mprotect(1, kBase, 16 * kPageSize, 1).ok());
  ASSERT_TRUE(model_->Mprotect(1, kBase, 16 * kPageSize, 3).ok());
  EXPECT_FALSE(model_->MappedWritable(1, kBase + kPageSize));
  sink_.TakeKinds();
  ASSERT_TRUE(
      model_->Touch(1, kBase + kPageSize, kPageSize, ACCESS_WRITE).ok());
  EXPECT_EQ(sink_.TakeKinds(), "folio_alloc unmap map");
  Verify();
}

}  // namespace
}  // namespace mmreplay::mm
