#include "capture/range_set.h"

#include <cstdint>
#include <string>
#include <vector>

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

// One step of a test: add or remove [start, end), then the set expected.
struct Step {
  bool add;
  uint64_t start;
  uint64_t end;
  std::string expected;
};

void RunSteps(const std::vector<Step>& steps) {
  RangeSet r;
  for (const Step& s : steps) {
    if (s.add) {
      r.Add(s.start, s.end);
    } else {
      r.Remove(s.start, s.end);
    }
    EXPECT_EQ(Show(r), s.expected)
        << (s.add ? "add " : "remove ") << s.start << ", " << s.end;
  }
}

// Adding merges what touches or overlaps; removing trims and cuts.
TEST(RangeSetTest, AddAndRemove) {
  RunSteps({{true, 10, 20, "[10,20)"},
            {true, 30, 40, "[10,20) [30,40)"},
            {true, 20, 30, "[10,40)"},
            {true, 5, 15, "[5,40)"},
            {true, 50, 100, "[5,40) [50,100)"},
            {true, 35, 55, "[5,100)"},
            {false, 40, 60, "[5,40) [60,100)"},
            {false, 30, 70, "[5,30) [70,100)"},
            {false, 0, 20, "[20,30) [70,100)"},
            {false, 100, 200, "[20,30) [70,100)"},
            {false, 0, 1000, ""}});
}

TEST(RangeSetTest, CopiesAreIndependent) {
  RangeSet parent;
  parent.Add(0, 10);
  RangeSet child = parent;
  child.Remove(0, 5);
  EXPECT_EQ(Show(parent), "[0,10)");
  EXPECT_EQ(Show(child), "[5,10)");
}

// A range meets [start, end) when they share a byte: touching ends do not.
TEST(RangeSetTest, Overlaps) {
  RangeSet r;
  r.Add(10, 20);
  r.Add(30, 40);
  EXPECT_FALSE(r.Overlaps(0, 10));
  EXPECT_TRUE(r.Overlaps(0, 11));
  EXPECT_TRUE(r.Overlaps(19, 30));
  EXPECT_FALSE(r.Overlaps(20, 30));
  EXPECT_TRUE(r.Overlaps(20, 31));
  EXPECT_TRUE(r.Overlaps(12, 15));
  EXPECT_TRUE(r.Overlaps(0, 100));
  EXPECT_FALSE(r.Overlaps(40, 100));
  EXPECT_FALSE(RangeSet().Overlaps(0, 100));
}

}  // namespace
}  // namespace mmreplay::capture
