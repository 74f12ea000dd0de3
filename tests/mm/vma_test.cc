// VMA bookkeeping: split on partial operations, merge when equal again.
#include "mm/vma.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"

namespace mmreplay::mm {
namespace {

constexpr uint64_t kBase = 0x7f0000000000;
constexpr uint64_t kMiB = 1 << 20;

Vma Anon(uint64_t start, uint64_t end) {
  Vma v;
  v.start = start;
  v.end = end;
  v.prot = 3;
  v.pgoff = start >> kPageShift;
  return v;
}

std::string Dump(const VmaTree& t) {
  std::string out;
  for (const Vma& v : t.all()) {
    absl::StrAppend(
        &out, absl::StrFormat("[+%x,+%x)%s%s ", v.start - kBase, v.end - kBase,
                              v.hugepage ? "H" : "", v.nohugepage ? "N" : ""));
  }
  return out;
}

TEST(VmaTreeTest, MunmapOfTheMiddleSplits) {
  VmaTree t;
  t.Map(Anon(kBase, kBase + 4 * kMiB));
  t.Unmap(kBase + kMiB, kBase + 2 * kMiB);
  EXPECT_EQ(Dump(t), "[+0,+100000) [+200000,+400000) ");
  EXPECT_EQ(t.Find(kBase + kMiB), nullptr);
  ASSERT_NE(t.Find(kBase + 2 * kMiB), nullptr);
  EXPECT_EQ(t.Find(kBase + 2 * kMiB)->pgoff, (kBase + 2 * kMiB) >> kPageShift);
}

TEST(VmaTreeTest, MadviseSplitsAndMergesBack) {
  VmaTree t;
  t.Map(Anon(kBase, kBase + 4 * kMiB));
  t.Update(kBase + kMiB, kBase + 2 * kMiB, [](Vma& v) { v.hugepage = true; });
  EXPECT_EQ(Dump(t), "[+0,+100000) [+100000,+200000)H [+200000,+400000) ");
  t.Update(kBase + kMiB, kBase + 2 * kMiB, [](Vma& v) { v.hugepage = false; });
  EXPECT_EQ(Dump(t), "[+0,+400000) ");
}

TEST(VmaTreeTest, AdjacentMappingsMerge) {
  VmaTree t;
  t.Map(Anon(kBase, kBase + kMiB));
  t.Map(Anon(kBase + kMiB, kBase + 2 * kMiB));
  EXPECT_EQ(Dump(t), "[+0,+200000) ");
}

TEST(VmaTreeTest, FileMappingsMergeOnlyWithContiguousOffsets) {
  VmaTree t;
  Vma a = Anon(kBase, kBase + kMiB);
  a.file = 1;
  a.pgoff = 0;
  Vma b = Anon(kBase + kMiB, kBase + 2 * kMiB);
  b.file = 1;
  b.pgoff = 1000;
  t.Map(a);
  t.Map(b);
  EXPECT_EQ(t.all().size(), 2u);
}

TEST(VmaTreeTest, MapOverAnExistingRangeReplacesIt) {
  VmaTree t;
  t.Map(Anon(kBase, kBase + 4 * kMiB));
  Vma ro = Anon(kBase + kMiB, kBase + 2 * kMiB);
  ro.prot = 1;
  t.Map(ro);
  EXPECT_EQ(t.all().size(), 3u);
  EXPECT_EQ(t.Find(kBase + kMiB)->prot, 1u);
}

}  // namespace
}  // namespace mmreplay::mm
