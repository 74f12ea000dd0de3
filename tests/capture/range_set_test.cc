#include "capture/range_set.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace mmreplay::capture {
namespace {

std::string Show(const RangeSet& r) {
  std::string out;
  for (const auto& [start, end] : r.ranges()) {
    absl::StrAppend(&out, out.empty() ? "" : " ", "[", start, ",", end, ")");
  }
  return out;
}

TEST(RangeSetTest, AddMergesWhatTouchesOrOverlaps) {
  RangeSet r;
  r.Add(10, 20);
  r.Add(30, 40);
  EXPECT_EQ(Show(r), "[10,20) [30,40)");
  r.Add(20, 30);
  EXPECT_EQ(Show(r), "[10,40)");
  r.Add(5, 15);
  EXPECT_EQ(Show(r), "[5,40)");
  r.Add(50, 60);
  r.Add(35, 55);
  EXPECT_EQ(Show(r), "[5,60)");
}

TEST(RangeSetTest, RemoveTrimsAndCuts) {
  RangeSet r;
  r.Add(0, 100);
  r.Remove(40, 60);
  EXPECT_EQ(Show(r), "[0,40) [60,100)");
  r.Remove(30, 70);
  EXPECT_EQ(Show(r), "[0,30) [70,100)");
  r.Remove(0, 30);
  EXPECT_EQ(Show(r), "[70,100)");
  r.Remove(100, 200);
  EXPECT_EQ(Show(r), "[70,100)");
  r.Remove(0, 1000);
  EXPECT_EQ(Show(r), "");
}

TEST(RangeSetTest, CopiesAreIndependent) {
  RangeSet parent;
  parent.Add(0, 10);
  RangeSet child = parent;
  child.Remove(0, 5);
  EXPECT_EQ(Show(parent), "[0,10)");
  EXPECT_EQ(Show(child), "[5,10)");
}

}  // namespace
}  // namespace mmreplay::capture
