// Trace I/O: lossless conversion both ways, batching, notes, page-shifted
// columns, older-arity batches, and atomic output.
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

namespace mmreplay::trace {
namespace {

std::string TmpPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// Copies `in` to `out` through TraceReader and TraceWriter.
void Convert(const std::string& in, const std::string& out) {
  auto reader = TraceReader::Open(in);
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto writer = TraceWriter::Create(out);
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE((*writer)->WriteHeader((*reader)->header()).ok());
  while (const TraceOp* op = (*reader)->Next()) {
    ASSERT_TRUE((*writer)->Write(*op).ok());
  }
  ASSERT_TRUE((*reader)->status().ok()) << (*reader)->status();
  ASSERT_TRUE((*writer)->Commit().ok());
}

Header TestHeader() {
  Header h;
  h.set_format_version(1);
  h.mutable_machine()->set_total_pages(262144);
  h.set_description("trace_io_test");
  return h;
}

// Writes `ops` after TestHeader() to `path`.
void WriteOps(const std::string& path, const std::vector<Op>& ops) {
  auto writer = TraceWriter::Create(path);
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE((*writer)->WriteHeader(TestHeader()).ok());
  for (const Op& op : ops) ASSERT_TRUE((*writer)->Write(op).ok());
  ASSERT_TRUE((*writer)->Commit().ok());
}

Op ProcessCreate(uint32_t pid) {
  Op op;
  op.mutable_process_create()->set_pid(pid);
  return op;
}

Op PunchHole(uint64_t offset, uint64_t length) {
  Op op;
  op.mutable_punch_hole()->set_file_id(1);
  op.mutable_punch_hole()->set_offset_bytes(offset);
  op.mutable_punch_hole()->set_length_bytes(length);
  return op;
}

// Every checked-in trace is canonical text and survives text -> mmt -> text
// byte for byte.
TEST(TraceIoTest, CheckedInTracesRoundTripByteForByte) {
  const char* list = std::getenv("TRACES");
  ASSERT_NE(list, nullptr);
  std::istringstream paths(list);
  std::string path;
  int n = 0;
  while (paths >> path) {
    SCOPED_TRACE(path);
    std::string mmt = TmpPath("roundtrip.mmt");
    std::string text = TmpPath("roundtrip.textproto");
    Convert(path, mmt);
    Convert(mmt, text);
    EXPECT_EQ(Slurp(path), Slurp(text));
    ++n;
  }
  EXPECT_GT(n, 0);
}

TEST(TraceIoTest, ManyBatchesNotesAndMixedAlignmentRoundTrip) {
  std::vector<Op> ops;
  ops.push_back(ProcessCreate(1));
  Op file;
  file.mutable_file_create()->set_file_id(1);
  file.mutable_file_create()->set_filesystem(FILESYSTEM_TMPFS);
  file.mutable_file_create()->set_huge(TMPFS_HUGE_ALWAYS);
  ops.push_back(file);
  // More than two batches; offsets aligned in some batches, not in others.
  for (int i = 0; i < 2 * kMaxBatchOps + 100; ++i) {
    uint64_t offset = uint64_t(i) * 4096 + (i > kMaxBatchOps ? 100 : 0);
    ops.push_back(PunchHole(offset, 4096));
    if (i % 1000 == 7) ops.back().set_note("note " + std::to_string(i));
  }
  Op expect;
  expect.mutable_expect_layout()->set_file_id(1);
  expect.mutable_expect_layout()->set_length_bytes(8192);
  expect.mutable_expect_layout()->set_layout("O-1");
  expect.set_note("a rich op with a note");
  ops.push_back(expect);

  std::string text = TmpPath("many.textproto");
  std::string mmt = TmpPath("many.mmt");
  std::string text2 = TmpPath("many2.textproto");
  WriteOps(text, ops);
  Convert(text, mmt);
  Convert(mmt, text2);
  EXPECT_EQ(Slurp(text), Slurp(text2));

  // And the ops read back from .mmt are the ops written.
  auto reader = TraceReader::Open(mmt);
  ASSERT_TRUE(reader.ok());
  size_t i = 0;
  while (const TraceOp* op = (*reader)->Next()) {
    ASSERT_LT(i, ops.size());
    EXPECT_EQ(op->kind, static_cast<uint32_t>(ops[i].kind_case()));
    EXPECT_EQ(std::string(op->note), ops[i].note()) << "op " << i;
    if (op->kind == Op::kPunchHole) {
      EXPECT_EQ(op->arg(PunchHole::kOffsetBytesFieldNumber),
                ops[i].punch_hole().offset_bytes());
    }
    EXPECT_EQ(op->record, i + 1);
    ++i;
  }
  EXPECT_TRUE((*reader)->status().ok()) << (*reader)->status();
  EXPECT_EQ(i, ops.size());
}

TEST(TraceIoTest, MmtIsSmallerThanText) {
  std::vector<Op> ops = {ProcessCreate(1)};
  for (int i = 2; i < 3000; ++i) ops.push_back(ProcessCreate(i));
  WriteOps(TmpPath("small.mmt"), ops);
  WriteOps(TmpPath("small.textproto"), ops);
  EXPECT_LT(Slurp(TmpPath("small.mmt")).size() * 10,
            Slurp(TmpPath("small.textproto")).size());
}

TEST(TraceIoTest, UncommittedWriterLeavesNothing) {
  std::string path = TmpPath("abandoned.mmt");
  {
    auto writer = TraceWriter::Create(path);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->WriteHeader(TestHeader()).ok());
    ASSERT_TRUE((*writer)->Write(ProcessCreate(1)).ok());
  }
  EXPECT_FALSE(Exists(path));
}

TEST(TraceIoTest, MissingFileIsNotFound) {
  auto reader = TraceReader::Open(TmpPath("no_such_trace.mmt"));
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kNotFound);
}

TEST(TraceIoTest, UnknownExtensionIsRejected) {
  auto reader = TraceReader::Open("trace.json");
  EXPECT_EQ(reader.status().message(),
            "trace.json: unknown trace format: the name must end in .mmt or "
            ".textproto");
}

}  // namespace
}  // namespace mmreplay::trace
