// OpPrefetcher: the same ops as the reader gives, in order, across many
// batches; the reader's error after the ops before it; and a stop midway.
#include "replay/op_prefetcher.h"

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

namespace mmreplay::replay {
namespace {

std::string TmpPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

// A trace of `n` touches (after a process and a mapping); with `bad`, the
// last one names a process that does not exist.
std::string WriteTrace(const std::string& name, int n, bool bad) {
  std::string path = TmpPath(name);
  auto w = trace::TraceWriter::Create(path);
  EXPECT_TRUE(w.ok());
  Header h;
  h.set_format_version(1);
  h.mutable_machine()->set_total_pages(262144);
  EXPECT_TRUE((*w)->WriteHeader(h).ok());
  Op op;
  op.mutable_process_create()->set_pid(1);
  EXPECT_TRUE((*w)->Write(op).ok());
  op.Clear();
  MmapAnon* m = op.mutable_mmap_anon();
  m->set_pid(1);
  m->set_addr(0x7f0000000000);
  m->set_length_bytes(1 << 30);
  m->set_prot(3);
  m->set_flags(2);
  EXPECT_TRUE((*w)->Write(op).ok());
  for (int i = 0; i < n; ++i) {
    op.Clear();
    Touch* t = op.mutable_touch();
    t->set_pid(bad && i == n - 1 ? 9 : 1);
    t->set_addr(0x7f0000000000 + (uint64_t(i) % 1000) * 4096);
    t->set_length_bytes(4096 * (1 + i % 3));
    t->set_access(ACCESS_WRITE);
    if (i % 1000 == 7) op.set_note("note " + std::to_string(i));
    EXPECT_TRUE((*w)->Write(op).ok());
  }
  EXPECT_TRUE((*w)->Commit().ok());
  return path;
}

std::string Describe(const trace::TraceOp& op) {
  std::string s = std::to_string(op.record) + ":" + std::to_string(op.kind) +
                  ":" + std::string(op.note);
  for (int i = 0; op.rich == nullptr && i < op.info->arity; ++i) {
    s += "," + std::to_string(op.args[i]);
  }
  return s;
}

// The ops of the trace at `path` as the reader itself gives them.
std::vector<std::string> ReaderOps(const std::string& path) {
  std::vector<std::string> ops;
  auto r = trace::TraceReader::Open(path);
  EXPECT_TRUE(r.ok());
  if (!r.ok()) return ops;
  while (const trace::TraceOp* op = (*r)->Next()) ops.push_back(Describe(*op));
  return ops;
}

TEST(OpPrefetcherTest, SameOpsAsTheReader) {
  std::string path = WriteTrace("prefetch.mmt", 10000, /*bad=*/false);
  auto r = trace::TraceReader::Open(path);
  ASSERT_TRUE(r.ok());
  OpPrefetcher ops(**r);
  std::vector<std::string> prefetched;
  while (const trace::TraceOp* op = ops.Next())
    prefetched.push_back(Describe(*op));
  EXPECT_TRUE(ops.status().ok()) << ops.status();
  EXPECT_EQ(prefetched.size(), 10002u);
  EXPECT_EQ(prefetched, ReaderOps(path));
  EXPECT_EQ(ops.Next(), nullptr);  // and stays at the end
}

// Each side waits for the other in turn: a replay that dawdles (the reader
// fills its batches and sleeps until few are left), then one that drains
// them (and waits for the reader). The ops are the same either way.
TEST(OpPrefetcherTest, SameOpsWhicheverSideWaits) {
  std::string path = WriteTrace("prefetch_wait.mmt", 60000, /*bad=*/false);
  auto r = trace::TraceReader::Open(path);
  ASSERT_TRUE(r.ok());
  OpPrefetcher ops(**r);
  std::vector<std::string> prefetched;
  size_t n = 0;
  while (const trace::TraceOp* op = ops.Next()) {
    prefetched.push_back(Describe(*op));
    if (++n < 30000 && n % 1000 == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  EXPECT_TRUE(ops.status().ok()) << ops.status();
  EXPECT_EQ(prefetched.size(), 60002u);
  EXPECT_EQ(prefetched, ReaderOps(path));
}

TEST(OpPrefetcherTest, TheReadersErrorAfterTheOpsBeforeIt) {
  std::string path = WriteTrace("prefetch_bad.mmt", 5000, /*bad=*/true);
  auto r = trace::TraceReader::Open(path);
  ASSERT_TRUE(r.ok());
  OpPrefetcher ops(**r);
  uint64_t n = 0;
  while (ops.Next() != nullptr) ++n;
  EXPECT_EQ(n, 5001u);
  EXPECT_EQ(ops.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(ops.status().message().find("record 5002"), std::string::npos)
      << ops.status();
}

TEST(OpPrefetcherTest, StopsMidway) {
  std::string path = WriteTrace("prefetch_stop.mmt", 20000, /*bad=*/false);
  auto r = trace::TraceReader::Open(path);
  ASSERT_TRUE(r.ok());
  {
    OpPrefetcher ops(**r);
    for (int i = 0; i < 10; ++i) ASSERT_NE(ops.Next(), nullptr);
  }  // the reading thread is stopped and joined here
  SUCCEED();
}

}  // namespace
}  // namespace mmreplay::replay
