// The layout notation of traces/FORMAT.md: parse, render, build.
#include "gtest/gtest.h"
#include "trace/layout_notation.h"

namespace mmreplay::trace {
namespace {

std::string Canonical(const std::string& text) {
  absl::StatusOr<Layout> layout = ParseLayout(text);
  if (!layout.ok()) return std::string(layout.status().message());
  return RenderLayout(*layout);
}

TEST(LayoutTest, SeedExamplesAreCanonical) {
  for (const char* text :
       {"O-1 [hole*1] O-0 O-2 O-3 O-4 O-5 O-6 O-7 O-8",
        "O-9[0+1] [hole*1] O-9[2+510]", "O-0 [hole*1] O-0 x510",
        "O-1 [hole*2] O-0 x2 O-1 O-3 O-4 O-5 O-6 O-7 O-8", "O-8 [hole*256]",
        "[Z*16] O-4 [HZ*512]"}) {
    EXPECT_EQ(Canonical(text), text);
  }
}

TEST(LayoutTest, RepeatsAndMergesAreNormalized) {
  EXPECT_EQ(Canonical("O-0 O-0 O-0"), "O-0 x3");
  EXPECT_EQ(Canonical("[hole*1] [hole*2]"), "[hole*3]");
  EXPECT_EQ(Canonical("[hole*2] x3"), "[hole*6]");
  EXPECT_EQ(Canonical("O-2[0+4]"), "O-2");
}

TEST(LayoutTest, PagesAreCounted) {
  EXPECT_EQ(LayoutPages(*ParseLayout("O-9[0+1] [hole*1] O-9[2+510]")), 512u);
  EXPECT_EQ(LayoutPages(*ParseLayout("O-0 x4 O-2 O-3 O-4 O-5 O-6 O-7 O-8")),
            512u);
}

TEST(LayoutTest, BadTokensAreNamed) {
  EXPECT_EQ(Canonical("O-11"), "layout token 'O-11': order must be 0..10");
  EXPECT_EQ(Canonical("O-2[3+2]"),
            "layout token 'O-2[3+2]': pages run past the end of the folio");
  EXPECT_EQ(Canonical("x3"),
            "layout token 'x3': a repeat count x<n> must follow a token");
  EXPECT_EQ(Canonical("[dust*3]"),
            "layout token '[dust*3]': expected [hole*n], [Z*n] or [HZ*n]");
  EXPECT_EQ(Canonical(""), "empty layout");
  EXPECT_EQ(Canonical("O-0 x99999999999"),
            "layout token 'x99999999999': repeat count over 16777216");
}

TEST(LayoutTest, BuilderMergesPagesOfOneFolioOnly) {
  LayoutBuilder b;
  b.AddFolio(/*folio_id=*/100, 9, 0);
  b.AddHole();
  for (uint64_t i = 2; i < 512; ++i) b.AddFolio(100, 9, i);
  b.AddFolio(200, 0, 0);
  b.AddFolio(201, 0, 0);
  b.AddZeroPage(false);
  b.AddZeroPage(false);
  EXPECT_EQ(RenderLayout(b.Finish()),
            "O-9[0+1] [hole*1] O-9[2+510] O-0 x2 [Z*2]");
}

}  // namespace
}  // namespace mmreplay::trace
