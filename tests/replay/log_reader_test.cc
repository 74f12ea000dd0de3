// LogReader: the three forms are told apart by content, not by name, and
// read back as the same text; binary logs cut short, miscounted, of another
// version or with corrupt chunks are refused with one line naming the file,
// the record and its byte offset.
#include "replay/log_reader.h"

#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "replay/event_chunk.h"
#include "replay/event_log.h"
#include "replay/op_columns.h"
#include "tests/replay/log_files.h"
#include "trace/op_schema.h"
#include "trace/output_file.h"
#include "trace/zstd_stream.h"

namespace mmreplay::replay {
namespace {

// `n` events like a churn's: allocations and maps of order-0 folios, at
// PFNs that compress no better than a churn's.
std::vector<mm::Event> Events(int n) {
  std::vector<mm::Event> events;
  std::mt19937_64 rng(1);
  mm::Event e;
  for (int i = 0; i < n; ++i) {
    e.Clear();
    e.set_op_index(1 + static_cast<uint64_t>(i) / 4);
    e.set_kind(i % 2 == 0 ? EVENT_FOLIO_ALLOC : EVENT_MAP);
    e.set_pfn(i == 0 ? 0 : rng() % 262144);
    e.set_order(0);
    if (i % 2 == 0) {
      e.set_ref_after(1);
    } else {
      e.set_pid(1);
      e.set_addr(0x7f0000000000 + static_cast<uint64_t>(i) * 4096);
      e.set_nr_pages(1);
      e.set_level(MAP_LEVEL_PTE);
      e.set_map_before(0);
      e.set_map_after(1);
    }
    e.set_reason(REASON_ANON_FAULT);
    events.push_back(e);
  }
  return events;
}

// The whole text of the log at `path`, or its error.
std::string ReadAll(const std::string& path, uint64_t* lines = nullptr) {
  auto log = LogReader::Open(path);
  if (!log.ok()) return std::string(log.status().message());
  std::string text;
  absl::string_view line;
  while ((*log)->Next(&line)) absl::StrAppend(&text, line, "\n");
  if (lines != nullptr) *lines = (*log)->line_number();
  if (!(*log)->status().ok()) return std::string((*log)->status().message());
  return text;
}

TEST(LogReaderTest, FormsAreToldApartByContent) {
  const std::vector<mm::Event> events = Events(10000);
  // Names that say nothing of the form.
  WriteLog(TempPath("text.dat"), LogFormat::kText, events);
  WriteLog(TempPath("zst.dat"), LogFormat::kTextZstd, events);
  WriteLog(TempPath("mme.dat"), LogFormat::kBinary, events);
  const std::string text = ReadAll(TempPath("text.dat"));
  ASSERT_TRUE(absl::StartsWith(
      text, "# mmreplay event log v2 profile=linux-6.18\n1 folio_alloc"))
      << text.substr(0, 200);
  EXPECT_EQ(ReadAll(TempPath("zst.dat")), text);
  EXPECT_EQ(ReadAll(TempPath("mme.dat")), text);
  for (auto [name, format] : std::vector<std::pair<std::string, LogFormat>>{
           {"text.dat", LogFormat::kText},
           {"zst.dat", LogFormat::kTextZstd},
           {"mme.dat", LogFormat::kBinary}}) {
    auto log = LogReader::Open(TempPath(name));
    ASSERT_TRUE(log.ok());
    EXPECT_EQ((*log)->format(), format) << name;
  }
}

// A replay's op lines and events, as the driver gives them: op n (from 1)
// has events[n % 3] events (some ops none), 3 * kChunkEvents ops in all, so
// that op chunks fill before event chunks and the other way round.
void WriteOpsAndEvents(const std::string& path, LogFormat format) {
  auto out = trace::OutputFile::Create(path);
  ASSERT_TRUE(out.ok());
  EventLog log(out->get(), format);
  log.WriteHeader("linux-6.18");
  const std::vector<mm::Event> events = Events(8);
  uint64_t args[trace::kMaxArity] = {};
  trace::TraceOp op;
  op.kind = Op::kTouch;
  op.info = trace::OpSchema::Get().Find(op.kind);
  op.args = args;
  for (uint64_t n = 1; n <= 3 * kChunkEvents; ++n) {
    args[Touch::kPidFieldNumber - 1] = 1;
    args[Touch::kAddrFieldNumber - 1] = 0x7f0000000000 + (n << 12);
    args[Touch::kLengthBytesFieldNumber - 1] = 0x1000;
    op.note = n % 1000 == 0 ? "a note \"quoted\"" : "";
    log.BeginOp(n, op);
    const int count = n < kChunkEvents ? 0 : static_cast<int>(n % 3) * 3;
    for (int i = 0; i < count; ++i) {
      mm::Event e = events[static_cast<size_t>(i) % events.size()];
      e.set_op_index(n);
      log.Emit(e);
    }
  }
  ASSERT_TRUE(log.Finish().ok());
  ASSERT_TRUE((*out)->Commit().ok());
}

// log print of a .mme gives the op lines where the text has them: before
// their op's events, also across chunks, and for ops without events.
TEST(LogReaderTest, BinaryLogKeepsTheOpLines) {
  WriteOpsAndEvents(TempPath("ops.log"), LogFormat::kText);
  WriteOpsAndEvents(TempPath("ops.mme"), LogFormat::kBinary);
  const std::string text = ReadAll(TempPath("ops.log"));
  ASSERT_TRUE(absl::StrContains(
      text,
      "# op 1: touch { pid: 1 addr: 0x7f0000001000 length_bytes: "
      "0x1000 }\n# op 2: "));
  ASSERT_TRUE(absl::StrContains(text, "0x1000 } \"a note \\\"quoted\\\"\"\n"));
  ASSERT_TRUE(absl::StrContains(text, "0x1000 }\n4097 folio_alloc"));
  EXPECT_EQ(ReadAll(TempPath("ops.mme")), text);
}

TEST(LogReaderTest, BinaryLogCutInsideTheFrame) {
  const std::string path = TempPath("cut.mme");
  WriteLog(path, LogFormat::kBinary, Events(400000));
  // Cut in the middle: the records before the cut are read, then the
  // file's end inside the frame is an error at the record it cut.
  std::string whole;
  {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    ASSERT_NE(f, nullptr);
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) whole.append(buf, n);
    std::fclose(f);
  }
  ASSERT_GT(whole.size(), 100000u) << "too small to span zstd blocks";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  std::fwrite(whole.data(), 1, whole.size() / 2, f);
  std::fclose(f);
  uint64_t lines = 0;
  const std::string error = ReadAll(path, &lines);
  EXPECT_GT(lines, 1000u);
  EXPECT_TRUE(absl::StartsWith(error, path + ": record ")) << error;
  EXPECT_TRUE(absl::EndsWith(
      error, "truncated zstd frame: the file ends inside a compressed frame"))
      << error;
}

// A binary log of the records given, each whole, in one frame.
void WriteRecords(const std::string& path,
                  const std::vector<LogRecord>& records) {
  auto out = trace::OutputFile::Create(path);
  ASSERT_TRUE(out.ok());
  trace::ZstdWriter zstd(out->get(), 3);
  for (const LogRecord& r : records) ASSERT_TRUE(zstd.WriteDelimited(r).ok());
  ASSERT_TRUE(zstd.Finish().ok());
  ASSERT_TRUE((*out)->Commit().ok());
}

LogRecord Header(uint32_t version = kEventLogVersion) {
  LogRecord r;
  r.mutable_header()->set_magic("mmreplay event log");
  r.mutable_header()->set_version(version);
  r.mutable_header()->set_profile("linux-6.18");
  return r;
}

LogRecord Chunk(int events) {
  ChunkEncoder encoder;
  for (const mm::Event& e : Events(events)) encoder.Add(e, 0);
  LogRecord r;
  encoder.Take(r.mutable_chunk());
  return r;
}

LogRecord End(uint64_t events, uint64_t chunks) {
  LogRecord r;
  r.mutable_end()->set_events(events);
  r.mutable_end()->set_chunks(chunks);
  return r;
}

// Where record `n` starts: the records before it, each with its length.
uint64_t Offset(const std::vector<LogRecord>& records, size_t n) {
  uint64_t offset = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t size = records[i].ByteSizeLong();
    offset += size + (size < 128 ? 1 : size < 16384 ? 2 : 3);
  }
  return offset;
}

// An EventChunk of no events and `n` op lines from op `first`.
LogRecord OpsChunk(uint64_t first, int n) {
  OpColumnsEncoder encoder;
  uint64_t args[trace::kMaxArity] = {};
  trace::TraceOp op;
  op.kind = Op::kProcessCreate;
  op.info = trace::OpSchema::Get().Find(op.kind);
  op.args = args;
  for (int i = 0; i < n; ++i) {
    args[0] = static_cast<uint64_t>(i) + 1;
    encoder.Add(first + static_cast<uint64_t>(i), op);
  }
  LogRecord r;
  encoder.Take(r.mutable_chunk()->mutable_ops());
  return r;
}

TEST(LogReaderTest, OpLinesThatSkipOrMiscount) {
  std::string path = TempPath("opgap.mme");
  std::vector<LogRecord> records = {Header(), OpsChunk(1, 2), OpsChunk(4, 1),
                                    End(0, 2)};
  records.back().mutable_end()->set_ops(3);
  WriteRecords(path, records);
  EXPECT_EQ(ReadAll(path),
            absl::StrCat(path, ": record 2 (byte ", Offset(records, 2),
                         "): corrupt op columns: the first op is 4, not 3"));
  path = TempPath("opcount.mme");
  records = {Header(), OpsChunk(1, 2), End(0, 1)};
  records.back().mutable_end()->set_ops(3);
  WriteRecords(path, records);
  EXPECT_EQ(ReadAll(path),
            absl::StrCat(path, ": record 2 (byte ", Offset(records, 2),
                         "): the end record counts 3 op lines, but the log "
                         "holds 2"));
  path = TempPath("opkind.mme");
  records = {Header(), OpsChunk(1, 2), End(0, 1)};
  records.back().mutable_end()->set_ops(2);
  records[1].mutable_chunk()->mutable_ops()->set_kind(1, Op::kExpectLayout);
  WriteRecords(path, records);
  EXPECT_EQ(ReadAll(path),
            absl::StrCat(path, ": record 1 (byte ", Offset(records, 1),
                         "): corrupt op columns: op 1 has kind ",
                         Op::kExpectLayout, ", which is no op of this build"));
  records[1] = OpsChunk(1, 2);
  records[1].mutable_chunk()->mutable_ops()->add_arg(5);
  WriteRecords(path, records);
  EXPECT_EQ(ReadAll(path),
            absl::StrCat(path, ": record 1 (byte ", Offset(records, 1),
                         "): corrupt op columns: more fields than the ops' "
                         "kinds have"));
  records[1] = OpsChunk(1, 2);
  records[1].mutable_chunk()->mutable_ops()->add_note_index(1);
  WriteRecords(path, records);
  EXPECT_EQ(ReadAll(path),
            absl::StrCat(path, ": record 1 (byte ", Offset(records, 1),
                         "): corrupt op columns: a note index has no note"));
  records[1] = OpsChunk(1, 2);
  EXPECT_EQ(records[1].chunk().ops().arg_size(), 2);
  records[1].mutable_chunk()->mutable_ops()->mutable_arg()->RemoveLast();
  WriteRecords(path, records);
  EXPECT_EQ(ReadAll(path),
            absl::StrCat(path, ": record 1 (byte ", Offset(records, 1),
                         "): corrupt op columns: op 1 has fewer fields than "
                         "its kind"));
}

TEST(LogReaderTest, WellFormedRecordsRead) {
  const std::string path = TempPath("good.mme");
  WriteRecords(path, {Header(), Chunk(3), End(3, 1)});
  EXPECT_EQ(ReadAll(path),
            "# mmreplay event log v2 profile=linux-6.18\n"
            "1 folio_alloc pfn=0x0 order=0 ref=1 reason=anon_fault\n"
            "1 map pfn=0x6f68 order=0 pid=1 addr=0x7f0000001000 pages=1 "
            "level=pte map=0->1 reason=anon_fault\n"
            "1 folio_alloc pfn=0xfa4e order=0 ref=1 reason=anon_fault\n");
}

TEST(LogReaderTest, BinaryLogWithoutItsEndRecord) {
  const std::string path = TempPath("noend.mme");
  WriteRecords(path, {Header(), Chunk(3)});
  EXPECT_EQ(ReadAll(path),
            path +
                ": truncated: the log ends after 2 records without its "
                "end record");
}

TEST(LogReaderTest, EndRecordThatMiscounts) {
  const std::string path = TempPath("miscount.mme");
  const std::vector<LogRecord> records = {Header(), Chunk(3), End(4, 1)};
  WriteRecords(path, records);
  EXPECT_EQ(ReadAll(path),
            absl::StrCat(path, ": record 2 (byte ", Offset(records, 2),
                         "): the end record counts 4 events in 1 chunks, but "
                         "the log holds 3 in 1"));
}

TEST(LogReaderTest, DataAfterTheEndRecord) {
  const std::string path = TempPath("after.mme");
  const std::vector<LogRecord> records = {Header(), End(0, 0), Chunk(1)};
  WriteRecords(path, records);
  EXPECT_EQ(ReadAll(path),
            absl::StrCat(path, ": record 2 (byte ", Offset(records, 2),
                         "): data after the end record"));
}

TEST(LogReaderTest, OtherVersion) {
  // A log of before version 2 (ops numbered with the expectation records),
  // and one of a later build.
  for (uint32_t version : {1u, 3u}) {
    const std::string v = absl::StrCat(version);
    const std::string path = TempPath("v" + v + ".mme");
    WriteRecords(path, {Header(version), End(0, 0)});
    EXPECT_EQ(ReadAll(path), path + ": record 0 (byte 0): event log version " +
                                 v + " (this build reads version 2)");
    const std::string text = TempPath("v" + v + ".log");
    std::FILE* f = std::fopen(text.c_str(), "w");
    std::fputs(("# mmreplay event log v" + v + " profile=linux-6.18\n").c_str(),
               f);
    std::fclose(f);
    EXPECT_EQ(ReadAll(text), text + ": event log version " + v +
                                 " (this build reads version 2)");
  }
}

TEST(LogReaderTest, CorruptChunk) {
  const std::string path = TempPath("badkind.mme");
  std::vector<LogRecord> records = {Header(), Chunk(2), End(2, 1)};
  records[1].mutable_chunk()->set_kind(0, 999);
  WriteRecords(path, records);
  EXPECT_EQ(ReadAll(path),
            absl::StrCat(path, ": record 1 (byte ", Offset(records, 1),
                         "): corrupt event chunk: event 0 has unknown kind "
                         "999"));
}

TEST(LogReaderTest, DuplicateHeader) {
  const std::string path = TempPath("twoheaders.mme");
  const std::vector<LogRecord> records = {Header(), Header(), End(0, 0)};
  WriteRecords(path, records);
  EXPECT_EQ(ReadAll(path),
            absl::StrCat(path, ": record 1 (byte ", Offset(records, 1),
                         "): duplicate header"));
}

TEST(LogReaderTest, ZstdThatIsNoLog) {
  const std::string path = TempPath("other.zst");
  LogRecord r = Header();
  r.mutable_header()->set_magic("something else");
  WriteRecords(path, {r});
  EXPECT_EQ(ReadAll(path),
            path +
                ": not an event log: zstd data that is neither a binary "
                "log nor compressed text");
}

TEST(LogReaderTest, MissingFile) {
  auto log = LogReader::Open(TempPath("nope.log"));
  ASSERT_FALSE(log.ok());
  EXPECT_TRUE(absl::IsNotFound(log.status()));
}

}  // namespace
}  // namespace mmreplay::replay
