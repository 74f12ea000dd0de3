#include "trace/writer_thread.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace mmreplay::trace {
namespace {

TEST(WriterThreadTest, WritesBlocksInOrderAndHandsBackEmptyOnes) {
  std::vector<std::string> written;
  WriterThread<std::string> writer([&written](std::string& s) {
    written.push_back(s);
    s.clear();
    return absl::OkStatus();
  });
  std::string block;
  for (int i = 0; i < 100; ++i) {
    block = "block " + std::to_string(i);
    ASSERT_TRUE(writer.Submit(&block).ok());
    EXPECT_TRUE(block.empty()) << "after block " << i;
  }
  ASSERT_TRUE(writer.Finish().ok());
  ASSERT_EQ(written.size(), 100u);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(written[i], "block " + std::to_string(i));
}

TEST(WriterThreadTest, ReusesBlocksItHasWritten) {
  WriterThread<std::string> writer([](std::string& s) {
    s.clear();
    return absl::OkStatus();
  });
  std::string block(1 << 16, 'x');
  size_t reused = 0;
  for (int i = 0; i < 50; ++i) {
    block.assign(1 << 16, 'x');
    ASSERT_TRUE(writer.Submit(&block).ok());
    // A written block comes back with its buffer (a new one has none).
    if (block.capacity() >= (1u << 16)) ++reused;
  }
  EXPECT_TRUE(writer.Finish().ok());
  EXPECT_GT(reused, 0u);
}

TEST(WriterThreadTest, KeepsTheFirstErrorAndWritesNothingAfterIt) {
  std::vector<std::string> written;
  WriterThread<std::string> writer([&written](std::string& s) {
    written.push_back(s);
    absl::Status st =
        s == "bad" ? absl::DataLossError("disk full") : absl::OkStatus();
    s.clear();
    return st;
  });
  for (const char* text : {"a", "bad", "b", "c"}) {
    std::string block = text;
    writer.Submit(&block).IgnoreError();
  }
  const absl::Status s = writer.Finish();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(written, (std::vector<std::string>{"a", "bad"}));
  // Finish again: the same error, nothing more written.
  EXPECT_EQ(writer.Finish().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(written.size(), 2u);
}

TEST(WriterThreadTest, DestructorWritesWhatIsQueued) {
  std::vector<std::string> written;
  {
    WriterThread<std::string> writer([&written](std::string& s) {
      written.push_back(s);
      s.clear();
      return absl::OkStatus();
    });
    for (int i = 0; i < 10; ++i) {
      std::string block = std::to_string(i);
      ASSERT_TRUE(writer.Submit(&block).ok());
    }
  }
  EXPECT_EQ(written.size(), 10u);
}

}  // namespace
}  // namespace mmreplay::trace
