// The binary log's encodings: an event goes through the Event message and
// through an EventChunk's columns and comes back as the same line of text;
// chunks whose columns disagree or hold unknown values are refused.
#include "replay/event_chunk.h"

#include <string>
#include <vector>

#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/delimited_message_util.h"
#include "gtest/gtest.h"
#include "replay/event_log.h"
#include "replay/op_columns.h"
#include "trace/op_schema.h"

namespace mmreplay::replay {
namespace {

std::string Line(const mm::Event& e) {
  std::string out;
  AppendEventLine(e, &out);
  return out;
}

// Events with every field set somewhere, negative deltas, zero values
// that print, and a run that stands for three lines.
std::vector<mm::Event> Events() {
  std::vector<mm::Event> events;
  mm::Event e;
  e.Clear();
  e.set_op_index(7);
  e.set_kind(EVENT_SPLIT);
  e.set_pfn(0x200);
  e.set_order(9);
  e.set_non_uniform(true);
  e.set_split_at(2);
  for (uint32_t order : {0, 0, 0, 0, 2, 3, 4, 5, 6, 7, 8}) {
    e.add_new_orders(order);
  }
  e.set_reason(REASON_SPLIT_REQUEST);
  events.push_back(e);
  e.Clear();
  e.set_op_index(5);  // an op index going back
  e.set_kind(EVENT_MIGRATE);
  e.set_pfn(0x10);
  e.set_order(0);
  e.set_dst_pfn(0x4);
  e.set_ref_before(3);
  e.set_ref_after(1);
  e.set_map_before(2);
  e.set_map_after(0);
  e.set_reason(REASON_COMPACTION);
  events.push_back(e);
  e.Clear();
  e.set_op_index(12);
  e.set_kind(EVENT_ZERO_RANGE);
  e.set_pfn(0);
  e.set_order(4);
  e.set_file_id(3);
  e.set_index(17);
  e.set_offset_bytes(0x800);
  e.set_length_bytes(0x1800);
  e.set_reason(REASON_TRUNCATE);
  events.push_back(e);
  e.Clear();
  e.set_op_index(13);
  e.set_kind(EVENT_COLLAPSE);
  e.set_pid(2);
  e.set_addr(0x7f0000200000);
  e.set_err(-22);
  e.set_scan_result(mm::ScanResult::kPageRo);
  e.set_reason(REASON_COLLAPSE);
  events.push_back(e);
  e.Clear();
  e.set_op_index(14);
  e.set_kind(EVENT_COMPACT_END);
  e.set_pfn(0);
  e.set_compact_result(COMPACT_RESULT_PARTIAL_SKIPPED);
  events.push_back(e);
  e.Clear();
  e.set_op_index(14);
  e.set_kind(EVENT_UNMAP);
  e.set_pfn(0x300);
  e.set_order(0);
  e.set_pid(1);
  e.set_addr(0x7f0000001000);
  e.set_nr_pages(1);
  e.set_level(MAP_LEVEL_PTE);
  e.set_ref_before(1);
  e.set_ref_after(0);
  e.set_map_before(1);
  e.set_map_after(0);
  e.set_reason(REASON_MUNMAP);
  e.set_repeat(3);
  events.push_back(e);
  e.Clear();
  e.set_op_index(15);
  e.set_kind(EVENT_OP_FAILED);
  e.set_pid(1);
  e.set_addr(0x7f0000000000);
  e.set_length_bytes(0x2000);
  e.set_err(-12345);  // an errno the table does not name
  e.set_reason(REASON_MADV_FREE);
  events.push_back(e);
  return events;
}

// Every line `events` stand for.
std::vector<std::string> Lines(const std::vector<mm::Event>& events) {
  std::vector<std::string> lines;
  for (const mm::Event& e : events) {
    for (uint32_t i = 0; i < e.repeat(); ++i) lines.push_back(Line(e.Nth(i)));
  }
  return lines;
}

EventChunk Encode(const std::vector<mm::Event>& events) {
  ChunkEncoder encoder;
  for (const mm::Event& e : events) {
    for (uint32_t i = 0; i < e.repeat(); ++i) encoder.Add(e, i);
  }
  EventChunk chunk;
  encoder.Take(&chunk);
  return chunk;
}

std::string DecodeError(const EventChunk& chunk) {
  std::vector<mm::Event> events;
  return std::string(DecodeChunk(chunk, &events).message());
}

TEST(EventChunkTest, ColumnsGiveBackTheSameLines) {
  const std::vector<mm::Event> events = Events();
  std::vector<mm::Event> decoded;
  ASSERT_TRUE(DecodeChunk(Encode(events), &decoded).ok());
  EXPECT_EQ(Lines(decoded), Lines(events));
  EXPECT_EQ(decoded.size(), 9u);  // the run of three is three events
}

// As EventLog writes them: a run of events is one row.
EventChunk EncodeRuns(const std::vector<mm::Event>& events) {
  ChunkEncoder encoder;
  for (const mm::Event& e : events) encoder.Add(e, 0, e.repeat());
  EventChunk chunk;
  encoder.Take(&chunk);
  return chunk;
}

TEST(EventChunkTest, ARunIsOneRowAndTheSameLines) {
  std::vector<mm::Event> events = Events();
  ASSERT_EQ(events.size(), 7u);
  ASSERT_EQ(events[5].repeat(), 3u);  // pfn 0x300-0x302
  // After the run, an event whose PFN delta is against the run's last
  // event: 0x303 - 0x302.
  mm::Event after = events[5].Nth(0);
  after.set_pfn(0x303);
  events.push_back(after);
  const EventChunk chunk = EncodeRuns(events);
  EXPECT_EQ(chunk.kind_size(), 8);
  ASSERT_EQ(chunk.repeat_size(), 1);
  EXPECT_EQ(chunk.repeat(0), 3u);
  EXPECT_EQ(chunk.pfn(chunk.pfn_size() - 1), 1);
  std::vector<mm::Event> decoded;
  ASSERT_TRUE(DecodeChunk(chunk, &decoded).ok());
  EXPECT_EQ(decoded.size(), 8u);
  EXPECT_EQ(decoded[5].repeat(), 3u);
  EXPECT_EQ(Lines(decoded), Lines(events));
  // Event by event, the same lines from more rows.
  EXPECT_EQ(Encode(events).kind_size(), 10);
}

TEST(EventChunkTest, RepeatOutsideTwoTo4096IsCorrupt) {
  EventChunk c = EncodeRuns(Events());
  c.set_repeat(0, 1);
  EXPECT_EQ(DecodeError(c),
            "corrupt event chunk: event 5 repeats 1 times (2 to 4096)");
  c.set_repeat(0, kMaxRowRepeat + 1);
  EXPECT_EQ(DecodeError(c),
            "corrupt event chunk: event 5 repeats 4097 times (2 to 4096)");
  c.set_repeat(0, kMaxRowRepeat);
  EXPECT_EQ(DecodeError(c), "");
}

TEST(EventChunkTest, EncoderStartsAfreshAfterTake) {
  ChunkEncoder encoder;
  const std::vector<mm::Event> events = Events();
  EventChunk first, second;
  encoder.Add(events[0], 0);
  encoder.Take(&first);
  EXPECT_EQ(encoder.size(), 0);
  encoder.Add(events[0], 0);
  encoder.Take(&second);
  // Deltas restart: the second chunk decodes alone, to the same event.
  EXPECT_EQ(first.SerializeAsString(), second.SerializeAsString());
}

// Pieces store their parent as the distance back from their PFN.
TEST(EventChunkTest, SplitPiecesKeepTheirParent) {
  mm::Event run;
  run.set_op_index(3);
  run.set_kind(EVENT_SPLIT_PIECE);
  run.set_pfn(0x200);
  run.set_order(0);
  run.set_parent_pfn(0x200);
  run.set_repeat(4);
  mm::Event big = run;
  big.set_repeat(1);
  big.set_pfn(0x208);
  big.set_order(3);
  const std::vector<mm::Event> events = {run, big};
  const EventChunk chunk = Encode(events);
  EXPECT_EQ(chunk.parent_size(), 5);
  EXPECT_EQ(chunk.parent(3), 3u);
  std::vector<mm::Event> decoded;
  ASSERT_TRUE(DecodeChunk(chunk, &decoded).ok());
  EXPECT_EQ(Lines(decoded), Lines(events));
  EXPECT_EQ(Lines(decoded).back(),
            "3 split_piece pfn=0x208 order=3 parent=0x200");
  EventChunk c = chunk;
  c.mutable_parent()->RemoveLast();
  EXPECT_EQ(DecodeError(c),
            "corrupt event chunk: a column holds fewer or more values than "
            "its events use");
  mm::Event back;
  ASSERT_TRUE(EventFromProto(EventToProto(big), &back).ok());
  EXPECT_EQ(Line(back), Line(big));
}

TEST(EventChunkTest, EventMessageIsOneLine) {
  for (const mm::Event& e : Events()) {
    const mm::Event one = e.Nth(e.repeat() - 1);
    mm::Event back;
    ASSERT_TRUE(EventFromProto(EventToProto(one), &back).ok());
    EXPECT_EQ(Line(back), Line(one));
  }
}

TEST(EventChunkTest, EventMessageWithoutKindIsRefused) {
  mm::Event e;
  EXPECT_EQ(EventFromProto(Event(), &e).message(),
            "corrupt event chunk: no event kind");
}

TEST(EventChunkTest, CorruptChunksAreRefused) {
  const EventChunk good = Encode(Events());
  EventChunk c = good;
  c.mutable_pfn()->RemoveLast();
  EXPECT_EQ(DecodeError(c),
            "corrupt event chunk: a column holds fewer or more values than "
            "its events use");
  c = good;
  c.add_reason(REASON_FREE);
  EXPECT_EQ(DecodeError(c),
            "corrupt event chunk: a column holds fewer or more values than "
            "its events use");
  c = good;
  c.set_kind(1, 999);
  EXPECT_EQ(DecodeError(c),
            "corrupt event chunk: event 1 has unknown kind 999");
  c = good;
  c.add_kind(EVENT_FOLIO_FREE);
  EXPECT_EQ(DecodeError(c),
            "corrupt event chunk: 10 kinds but 9 op deltas and 9 field masks");
  c = good;
  c.set_fields(0, c.fields(0) | (1u << 30));
  EXPECT_EQ(DecodeError(c),
            "corrupt event chunk: event 0 has unknown field bits 0x40000000");
  c = good;
  c.set_run_count(0, 13);
  EXPECT_EQ(DecodeError(c),
            "corrupt event chunk: event 0 has 13 order runs (1 to 12)");
  c = good;
  c.set_reason(0, 31);
  EXPECT_EQ(DecodeError(c),
            "corrupt event chunk: event 0 has unknown reason 31");
  c = good;
  c.set_scan_result(0, 200);
  EXPECT_EQ(DecodeError(c),
            "corrupt event chunk: event 3 has unknown scan result 200");
}

// The encoders write the wire bytes themselves (replay/packed_columns.h):
// they must be the bytes protobuf's own deterministic serialization gives
// for the message they stand for, or a reader's parse would differ.
std::string Delimited(const LogRecord& record) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::util::SerializeDelimitedToZeroCopyStream(record, &stream);
  }
  return out;
}

LogRecord ParseDelimited(const std::string& bytes) {
  google::protobuf::io::ArrayInputStream in(bytes.data(),
                                            static_cast<int>(bytes.size()));
  LogRecord r;
  bool clean_eof = false;
  EXPECT_TRUE(google::protobuf::util::ParseDelimitedFromZeroCopyStream(
      &r, &in, &clean_eof));
  EXPECT_EQ(in.ByteCount(), static_cast<int64_t>(bytes.size()));
  return r;
}

TEST(EventChunkTest, RecordBytesAreProtobufs) {
  // Ops with args of every size (a varint of 1 to 10 bytes), notes, and
  // more rows than a one-byte length holds.
  uint64_t args[trace::kMaxArity] = {};
  trace::TraceOp op;
  op.kind = Op::kTouch;
  op.info = trace::OpSchema::Get().Find(op.kind);
  op.args = args;
  OpColumnsEncoder ops;
  for (int i = 0; i < 300; ++i) {
    for (int a = 0; a < op.info->arity; ++a) {
      args[a] = (uint64_t{1} << ((i + a) % 64)) + static_cast<uint64_t>(i);
    }
    op.note = i % 7 == 0 ? "a note \"quoted\"" : "";
    ops.Add(1000 + static_cast<uint64_t>(i), op);
  }
  std::string ops_bytes;
  ops.AppendTo(&ops_bytes);
  ASSERT_FALSE(ops_bytes.empty());
  EXPECT_EQ(ops.size(), 0);
  ChunkEncoder encoder;
  for (int round = 0; round < 50; ++round) {
    for (const mm::Event& e : Events()) encoder.Add(e, 0, e.repeat());
  }
  for (const std::string& with_ops : {ops_bytes, std::string()}) {
    std::string bytes = "kept";
    if (with_ops.empty()) {
      for (const mm::Event& e : Events()) encoder.Add(e, 0, e.repeat());
    }
    encoder.AppendRecord(with_ops, &bytes);
    ASSERT_EQ(bytes.substr(0, 4), "kept");
    bytes.erase(0, 4);
    const LogRecord record = ParseDelimited(bytes);
    ASSERT_TRUE(record.has_chunk());
    EXPECT_EQ(record.chunk().has_ops(), !with_ops.empty());
    EXPECT_EQ(Delimited(record), bytes);
    std::vector<mm::Event> decoded;
    EXPECT_TRUE(DecodeChunk(record.chunk(), &decoded).ok());
    if (!with_ops.empty()) {
      EXPECT_EQ(record.chunk().ops().kind_size(), 300);
      EXPECT_EQ(record.chunk().ops().first_op(), 1000u);
      EXPECT_EQ(record.chunk().ops().note_size(), 43);
      OpLines lines;
      EXPECT_TRUE(DecodeOpColumns(record.chunk().ops(), &lines).ok());
      EXPECT_EQ(lines.size(), 300u);
    }
  }
  // Nothing added: no ops bytes at all (the chunk has no op columns).
  std::string none;
  ops.AppendTo(&none);
  EXPECT_TRUE(none.empty());
}

}  // namespace
}  // namespace mmreplay::replay
