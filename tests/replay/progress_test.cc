// Progress lines: the format, and silence when disabled or short.
#include "replay/progress.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace mmreplay::replay {
namespace {

TEST(ProgressTest, Line) {
  EXPECT_EQ(Progress::Line("replay", 1234567, absl::Seconds(2)),
            "replay: 1.2M ops, 617.3K ops/s, 2.0 s");
  EXPECT_EQ(Progress::Line("gen", 999, absl::Milliseconds(500)),
            "gen: 999 ops, 1998 ops/s, 0.5 s");
  EXPECT_EQ(Progress::Line("diff", 0, absl::ZeroDuration()),
            "diff: 0 ops, 0 ops/s, 0.0 s");
}

// What a Progress started `ago` wrote to a temporary file.
std::string Written(bool enabled, absl::Duration ago = absl::ZeroDuration()) {
  FILE* f = std::tmpfile();
  {
    Progress p("replay", enabled, f, absl::Now() - ago);
    for (uint64_t i = 0; i <= (uint64_t{1} << 20); ++i) p.Update(i);
    p.Finish(uint64_t{1} << 20);
  }
  std::string out(4096, '\0');
  std::rewind(f);
  out.resize(std::fread(out.data(), 1, out.size(), f));
  std::fclose(f);
  return out;
}

TEST(ProgressTest, SilentWhenDisabledOrShort) {
  EXPECT_EQ(Written(/*enabled=*/false), "");
  // A command that ends within a second shows no line at all.
  EXPECT_EQ(Written(/*enabled=*/true), "");
}

TEST(ProgressTest, LongCommandsShowOneLineRewrittenInPlace) {
  const std::string out = Written(/*enabled=*/true, absl::Seconds(10));
  // The first refresh (at 64Ki ops), then the last line with its newline;
  // the updates between come within 250 ms of the first and are not shown.
  ASSERT_EQ(out.rfind("\rreplay: 65.5K ops, ", 0), 0u) << out;
  EXPECT_NE(out.find("\rreplay: 1.0M ops, "), std::string::npos) << out;
  EXPECT_EQ(out.back(), '\n');
  EXPECT_EQ(std::count(out.begin(), out.end(), '\r'), 2) << out;
}

}  // namespace
}  // namespace mmreplay::replay
