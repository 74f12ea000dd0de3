// Model::Verify() (mm/model.cc): each invariant, broken on purpose in a
// model that satisfied it, is reported.
#include <cstdint>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/mm/model_harness.h"

namespace mmreplay::mm {

class VerifyTestPeer {
 public:
  static Folio& FolioAt(Model& m, uint32_t head) {
    return m.mm_.folios.At(head);
  }
};

namespace {

using ::testing::HasSubstr;

class VerifyTest : public ModelTest {
 protected:
  // The message of the first invariant Verify() finds broken.
  std::string Broken() {
    absl::Status s = model_->Verify();
    EXPECT_FALSE(s.ok());
    return std::string(s.message());
  }
  Folio& At(uint32_t head) { return VerifyTestPeer::FolioAt(*model_, head); }
};

// The THP of FaultThps(1) is the first folio allocated: PFN 0.
TEST_F(VerifyTest, LeakedReferenceOfAnAnonFolio) {
  Start();
  FaultThps(1);
  ASSERT_TRUE(model_->Verify().ok());
  ++At(0).refcount;
  EXPECT_THAT(Broken(), HasSubstr("folio 0x0: refcount 2 but 1 mappings"));
}

TEST_F(VerifyTest, MapcountWithoutAMapping) {
  Start();
  FaultThps(1);
  ++At(0).mapcount;
  EXPECT_THAT(Broken(), HasSubstr("folio 0x0: mapcount 2 (entire 1) but 1"));
}

// A tmpfs file's 2 MiB folio holds 512 page-cache references.
TEST_F(VerifyTest, LeakedReferenceOfAPageCacheFolio) {
  Start();
  ASSERT_TRUE(
      model_->FileCreate(1, FILESYSTEM_TMPFS, TMPFS_HUGE_ALWAYS, 0, 0).ok());
  ASSERT_TRUE(model_->FileWrite(1, 0, kThp).ok());
  ASSERT_TRUE(model_->Verify().ok());
  ++At(0).refcount;
  EXPECT_THAT(Broken(), HasSubstr("folio 0x0: refcount 513 but 0 mappings, "
                                  "512 page-cache references"));
}

TEST_F(VerifyTest, PageCacheFolioOfAnotherIndex) {
  Start();
  ASSERT_TRUE(
      model_->FileCreate(1, FILESYSTEM_TMPFS, TMPFS_HUGE_ALWAYS, 0, 0).ok());
  ASSERT_TRUE(model_->FileWrite(1, 0, kThp).ok());
  At(0).index = 512;
  EXPECT_THAT(Broken(), HasSubstr("is in file 1's page cache at 0"));
}

TEST_F(VerifyTest, FreedFolioStillLive) {
  Start();
  FaultThps(1);
  At(0).refcount = 0;
  EXPECT_THAT(Broken(), HasSubstr("folio 0x0 is live with refcount 0"));
}

TEST_F(VerifyTest, PageCacheFolioOfAnotherFile) {
  Start();
  ASSERT_TRUE(
      model_->FileCreate(1, FILESYSTEM_TMPFS, TMPFS_HUGE_ALWAYS, 0, 0).ok());
  ASSERT_TRUE(model_->FileWrite(1, 0, kThp).ok());
  At(0).owner = 2;
  EXPECT_THAT(Broken(), HasSubstr("is in file 1's page cache at 0 (order 9), "
                                  "not its own (file, owner 2"));
}

}  // namespace
}  // namespace mmreplay::mm
