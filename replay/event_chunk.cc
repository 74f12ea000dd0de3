#include "replay/event_chunk.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "base/check.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/delimited_message_util.h"
#include "google/protobuf/wire_format_lite.h"
#include "mm/scan_result.h"

namespace mmreplay::replay {
namespace {

// Bits of EventChunk.fields (proto/event_log.proto): which columns hold a value
// for the event.
enum FieldBit : uint32_t {
  kPfn = 1u << 0,
  kOrder = 1u << 1,
  kDst = 1u << 2,
  kSplitAt = 1u << 3,
  kOrders = 1u << 4,
  kPid = 1u << 5,
  kAddr = 1u << 6,
  kFile = 1u << 7,
  kIndex = 1u << 8,
  kOffset = 1u << 9,
  kLength = 1u << 10,
  kPages = 1u << 11,
  kLevel = 1u << 12,
  kRefBefore = 1u << 13,
  kRefAfter = 1u << 14,
  kMapBefore = 1u << 15,
  kMapAfter = 1u << 16,
  kErr = 1u << 17,
  kScan = 1u << 18,
  kCompact = 1u << 19,
  kReason = 1u << 20,
  kNonUniform = 1u << 21,
  kParent = 1u << 22,
  kRepeat = 1u << 23,
  kAllFields = (1u << 24) - 1,
};

bool ValidScanResult(uint32_t v) {
  return v <= std::numeric_limits<uint8_t>::max() &&
         mm::ScanResultName(static_cast<mm::ScanResult>(v)) != "?";
}

// Reads a column in order, remembering whether it ran out.
template <typename T>
class Column {
 public:
  explicit Column(const google::protobuf::RepeatedField<T>& values)
      : values_(values) {}
  T Next() {
    if (pos_ == values_.size()) {
      short_ = true;
      return T{};
    }
    return values_.Get(pos_++);
  }
  bool ok() const { return !short_ && pos_ == values_.size(); }

 private:
  const google::protobuf::RepeatedField<T>& values_;
  int pos_ = 0;
  bool short_ = false;
};

absl::Status Corrupt(absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("corrupt event chunk: ", what));
}

}  // namespace

Event EventToProto(const mm::Event& e) {
  Event m;
  m.set_op_index(e.op_index());
  m.set_kind(e.kind());
  if (e.has_pfn()) m.set_pfn(e.pfn());
  if (e.has_order()) m.set_order(e.order());
  if (e.has_dst_pfn()) m.set_dst_pfn(e.dst_pfn());
  m.set_non_uniform(e.non_uniform());
  if (e.has_split_at()) m.set_split_at(e.split_at());
  for (const mm::Event::OrderRun& run : e.new_orders()) {
    Event::OrderRun* r = m.add_new_orders();
    r->set_order(run.order);
    r->set_count(run.count);
  }
  m.set_pid(e.pid());
  if (e.has_addr()) m.set_addr(e.addr());
  m.set_file_id(e.file_id());
  if (e.has_index()) m.set_index(e.index());
  if (e.has_offset_bytes()) m.set_offset_bytes(e.offset_bytes());
  if (e.has_length_bytes()) m.set_length_bytes(e.length_bytes());
  m.set_nr_pages(e.nr_pages());
  m.set_level(e.level());
  if (e.has_ref_before()) m.set_ref_before(e.ref_before());
  if (e.has_ref_after()) m.set_ref_after(e.ref_after());
  if (e.has_map_before()) m.set_map_before(e.map_before());
  if (e.has_map_after()) m.set_map_after(e.map_after());
  m.set_err(e.err());
  if (e.has_scan_result()) {
    m.set_scan_result(static_cast<uint32_t>(e.scan_result()));
  }
  if (e.has_compact_result()) m.set_compact_result(e.compact_result());
  m.set_reason(e.reason());
  if (e.has_parent_pfn()) m.set_parent_pfn(e.parent_pfn());
  return m;
}

absl::Status EventFromProto(const Event& m, mm::Event* e) {
  e->Clear();
  if (m.kind() == EVENT_KIND_UNSPECIFIED) return Corrupt("no event kind");
  if (m.new_orders_size() > mm::Event::kMaxOrderRuns) {
    return Corrupt(absl::StrCat(m.new_orders_size(), " order runs, more than ",
                                mm::Event::kMaxOrderRuns));
  }
  if (m.has_scan_result() && !ValidScanResult(m.scan_result())) {
    return Corrupt(absl::StrCat("unknown scan result ", m.scan_result()));
  }
  e->set_op_index(m.op_index());
  e->set_kind(m.kind());
  if (m.has_pfn()) e->set_pfn(m.pfn());
  if (m.has_order()) e->set_order(m.order());
  if (m.has_dst_pfn()) e->set_dst_pfn(m.dst_pfn());
  e->set_non_uniform(m.non_uniform());
  if (m.has_split_at()) e->set_split_at(m.split_at());
  for (const Event::OrderRun& run : m.new_orders()) {
    e->add_new_orders(run.order(), run.count());
  }
  e->set_pid(m.pid());
  if (m.has_addr()) e->set_addr(m.addr());
  e->set_file_id(m.file_id());
  if (m.has_index()) e->set_index(m.index());
  if (m.has_offset_bytes()) e->set_offset_bytes(m.offset_bytes());
  if (m.has_length_bytes()) e->set_length_bytes(m.length_bytes());
  e->set_nr_pages(m.nr_pages());
  e->set_level(m.level());
  if (m.has_ref_before()) e->set_ref_before(m.ref_before());
  if (m.has_ref_after()) e->set_ref_after(m.ref_after());
  if (m.has_map_before()) e->set_map_before(m.map_before());
  if (m.has_map_after()) e->set_map_after(m.map_after());
  e->set_err(m.err());
  if (m.has_scan_result()) {
    e->set_scan_result(static_cast<mm::ScanResult>(m.scan_result()));
  }
  if (m.has_compact_result()) e->set_compact_result(m.compact_result());
  e->set_reason(m.reason());
  if (m.has_parent_pfn()) e->set_parent_pfn(m.parent_pfn());
  return absl::OkStatus();
}

void ChunkEncoder::Add(const mm::Event& e, uint32_t i, uint32_t count) {
  PackedColumns& c = columns_;
  ++rows_;
  uint32_t fields = 0;
  // The row's last event is what the next row's deltas are against.
  const uint32_t last = count - 1;
  if (count > 1) {
    fields |= kRepeat;
    c.Put(EventChunk::kRepeatFieldNumber, count);
  }
  c.Put(EventChunk::kKindFieldNumber, e.kind());
  c.Put(EventChunk::kOpDeltaFieldNumber, e.op_index() - op_);
  op_ = e.op_index();
  // The i-th event of the run has pfn + i (mm::Event::Nth).
  const uint64_t pfn = e.has_pfn() ? e.pfn() + i : 0;
  if (e.has_pfn()) {
    fields |= kPfn;
    c.PutSint64(EventChunk::kPfnFieldNumber, static_cast<int64_t>(pfn - pfn_));
    pfn_ = pfn + last;
  }
  if (e.has_order()) {
    fields |= kOrder;
    c.Put(EventChunk::kOrderFieldNumber, e.order());
  }
  if (e.has_dst_pfn()) {
    fields |= kDst;
    c.PutSint64(EventChunk::kDstFieldNumber,
                static_cast<int64_t>(e.dst_pfn() - pfn));
  }
  if (e.has_split_at()) {
    fields |= kSplitAt;
    c.Put(EventChunk::kSplitAtFieldNumber, e.split_at());
  }
  if (!e.new_orders().empty()) {
    fields |= kOrders;
    c.Put(EventChunk::kRunCountFieldNumber,
          static_cast<uint32_t>(e.new_orders().size()));
    for (const mm::Event::OrderRun& run : e.new_orders()) {
      c.Put(EventChunk::kRunOrderFieldNumber, run.order);
      c.Put(EventChunk::kRunLengthFieldNumber, run.count);
    }
  }
  if (e.pid() != 0) {
    fields |= kPid;
    c.Put(EventChunk::kPidFieldNumber, e.pid());
  }
  if (e.has_addr()) {
    fields |= kAddr;
    uint64_t addr = e.addr() + (uint64_t{i} << 12);
    c.PutSint64(EventChunk::kAddrFieldNumber,
                static_cast<int64_t>(addr - addr_));
    addr_ = addr + (uint64_t{last} << 12);
  }
  if (e.file_id() != 0) {
    fields |= kFile;
    c.Put(EventChunk::kFileIdFieldNumber, e.file_id());
  }
  if (e.has_index()) {
    fields |= kIndex;
    c.PutSint64(EventChunk::kIndexFieldNumber,
                static_cast<int64_t>(e.index() - index_));
    index_ = e.index();
  }
  if (e.has_offset_bytes()) {
    fields |= kOffset;
    c.Put(EventChunk::kOffsetBytesFieldNumber, e.offset_bytes());
  }
  if (e.has_length_bytes()) {
    fields |= kLength;
    c.Put(EventChunk::kLengthBytesFieldNumber, e.length_bytes());
  }
  if (e.nr_pages() != 0) {
    fields |= kPages;
    c.Put(EventChunk::kNrPagesFieldNumber, e.nr_pages());
  }
  if (e.level() != MAP_LEVEL_UNSPECIFIED) {
    fields |= kLevel;
    c.Put(EventChunk::kLevelFieldNumber, e.level());
  }
  if (e.has_ref_before()) {
    fields |= kRefBefore;
    c.PutSint64(EventChunk::kRefBeforeFieldNumber, e.ref_before());
  }
  if (e.has_ref_after()) {
    fields |= kRefAfter;
    c.PutSint64(EventChunk::kRefAfterFieldNumber,
                e.ref_after() - e.ref_before());
  }
  if (e.has_map_before()) {
    fields |= kMapBefore;
    c.PutSint64(EventChunk::kMapBeforeFieldNumber, e.map_before());
  }
  if (e.has_map_after()) {
    fields |= kMapAfter;
    c.PutSint64(EventChunk::kMapAfterFieldNumber,
                e.map_after() - e.map_before());
  }
  if (e.err() != 0) {
    fields |= kErr;
    c.PutSint32(EventChunk::kErrFieldNumber, e.err());
  }
  if (e.has_scan_result()) {
    fields |= kScan;
    c.Put(EventChunk::kScanResultFieldNumber,
          static_cast<uint32_t>(e.scan_result()));
  }
  if (e.has_compact_result()) {
    fields |= kCompact;
    c.Put(EventChunk::kCompactResultFieldNumber, e.compact_result());
  }
  if (e.reason() != REASON_UNSPECIFIED) {
    fields |= kReason;
    c.Put(EventChunk::kReasonFieldNumber, e.reason());
  }
  if (e.non_uniform()) fields |= kNonUniform;
  if (e.has_parent_pfn()) {
    fields |= kParent;
    c.Put(EventChunk::kParentFieldNumber, pfn - e.parent_pfn());
  }
  c.Put(EventChunk::kFieldsFieldNumber, fields);
}

void ChunkEncoder::AppendRecord(absl::string_view ops, std::string* out) {
  // Fields in number order, as protobuf writes them: the columns, the op
  // columns (28), then repeat (29).
  size_t chunk = 0;
  for (int f = 1; f < EventChunk::kOpsFieldNumber; ++f) {
    chunk += columns_.FieldBytes(f);
  }
  if (!ops.empty()) {
    chunk += PackedColumns::LengthDelimitedBytes(EventChunk::kOpsFieldNumber,
                                                 ops.size());
  }
  chunk += columns_.FieldBytes(EventChunk::kRepeatFieldNumber);
  // A LogRecord holding the chunk (field 2), after its length.
  PackedColumns::AppendVarint(
      PackedColumns::LengthDelimitedBytes(LogRecord::kChunkFieldNumber, chunk),
      out);
  PackedColumns::AppendVarint(
      google::protobuf::internal::WireFormatLite::MakeTag(
          LogRecord::kChunkFieldNumber,
          google::protobuf::internal::WireFormatLite::
              WIRETYPE_LENGTH_DELIMITED),
      out);
  PackedColumns::AppendVarint(chunk, out);
  for (int f = 1; f < EventChunk::kOpsFieldNumber; ++f) {
    columns_.AppendField(f, out);
  }
  if (!ops.empty()) {
    PackedColumns::AppendLengthDelimited(EventChunk::kOpsFieldNumber, ops, out);
  }
  columns_.AppendField(EventChunk::kRepeatFieldNumber, out);
  columns_.Clear();
  rows_ = 0;
  op_ = pfn_ = addr_ = index_ = 0;
}

void ChunkEncoder::Take(EventChunk* out) {
  std::string record;
  AppendRecord("", &record);
  google::protobuf::io::ArrayInputStream in(record.data(),
                                            static_cast<int>(record.size()));
  LogRecord r;
  CHECK(google::protobuf::util::ParseDelimitedFromZeroCopyStream(&r, &in,
                                                                 nullptr));
  out->Swap(r.mutable_chunk());
}

absl::Status DecodeChunk(const EventChunk& c, std::vector<mm::Event>* events) {
  const int n = c.kind_size();
  if (c.op_delta_size() != n || c.fields_size() != n) {
    return Corrupt(absl::StrCat(n, " kinds but ", c.op_delta_size(),
                                " op deltas and ", c.fields_size(),
                                " field masks"));
  }
  events->resize(static_cast<size_t>(n));
  Column<int64_t> pfn(c.pfn()), dst(c.dst()), addr(c.addr()), index(c.index()),
      ref_before(c.ref_before()), ref_after(c.ref_after()),
      map_before(c.map_before()), map_after(c.map_after());
  Column<uint32_t> repeat(c.repeat()), order(c.order()),
      run_count(c.run_count()), run_order(c.run_order()),
      run_length(c.run_length()), pid(c.pid()), file_id(c.file_id()),
      level(c.level()), scan_result(c.scan_result()),
      compact_result(c.compact_result()), reason(c.reason());
  Column<uint64_t> split_at(c.split_at()), offset_bytes(c.offset_bytes()),
      length_bytes(c.length_bytes()), nr_pages(c.nr_pages()),
      parent(c.parent());
  Column<int32_t> err(c.err());
  uint64_t op = 0, last_pfn = 0, last_addr = 0, last_index = 0;
  for (int i = 0; i < n; ++i) {
    mm::Event& e = (*events)[static_cast<size_t>(i)];
    e.Clear();
    const uint32_t fields = c.fields(i);
    if ((fields & ~kAllFields) != 0) {
      return Corrupt(absl::StrCat("event ", i, " has unknown field bits 0x",
                                  absl::Hex(fields & ~kAllFields)));
    }
    const uint32_t kind = c.kind(i);
    if (kind == EVENT_KIND_UNSPECIFIED || !EventKind_IsValid(kind)) {
      return Corrupt(absl::StrCat("event ", i, " has unknown kind ", kind));
    }
    e.set_kind(static_cast<EventKind>(kind));
    op += c.op_delta(i);
    e.set_op_index(op);
    // The run's last event, which the next row's deltas are against.
    uint32_t last = 0;
    if (fields & kRepeat) {
      const uint32_t n = repeat.Next();
      if (n < 2 || n > kMaxRowRepeat) {
        return Corrupt(absl::StrCat("event ", i, " repeats ", n,
                                    " times (2 to ", kMaxRowRepeat, ")"));
      }
      e.set_repeat(n);
      last = n - 1;
    }
    if (fields & kPfn) {
      last_pfn += static_cast<uint64_t>(pfn.Next());
      e.set_pfn(last_pfn);
      last_pfn += last;
    }
    if (fields & kOrder) e.set_order(order.Next());
    if (fields & kDst) {
      e.set_dst_pfn(e.pfn() + static_cast<uint64_t>(dst.Next()));
    }
    if (fields & kSplitAt) e.set_split_at(split_at.Next());
    if (fields & kOrders) {
      const uint32_t runs = run_count.Next();
      if (runs == 0 || runs > static_cast<uint32_t>(mm::Event::kMaxOrderRuns)) {
        return Corrupt(absl::StrCat("event ", i, " has ", runs,
                                    " order runs (1 to ",
                                    mm::Event::kMaxOrderRuns, ")"));
      }
      for (uint32_t r = 0; r < runs; ++r) {
        const uint32_t run = run_order.Next();
        const uint32_t count = run_length.Next();
        // Adjacent runs of one order would merge: the event would not
        // print as written.
        if (count == 0 ||
            (!e.new_orders().empty() && e.new_orders().back().order == run)) {
          return Corrupt(absl::StrCat("event ", i, " has a bad order run"));
        }
        e.add_new_orders(run, count);
      }
    }
    if (fields & kPid) e.set_pid(pid.Next());
    if (fields & kAddr) {
      last_addr += static_cast<uint64_t>(addr.Next());
      e.set_addr(last_addr);
      last_addr += uint64_t{last} << 12;
    }
    if (fields & kFile) e.set_file_id(file_id.Next());
    if (fields & kIndex) {
      last_index += static_cast<uint64_t>(index.Next());
      e.set_index(last_index);
    }
    if (fields & kOffset) e.set_offset_bytes(offset_bytes.Next());
    if (fields & kLength) e.set_length_bytes(length_bytes.Next());
    if (fields & kPages) e.set_nr_pages(nr_pages.Next());
    if (fields & kLevel) {
      const uint32_t v = level.Next();
      if (!MapLevel_IsValid(static_cast<int>(v))) {
        return Corrupt(absl::StrCat("event ", i, " has unknown level ", v));
      }
      e.set_level(static_cast<MapLevel>(v));
    }
    if (fields & kRefBefore) e.set_ref_before(ref_before.Next());
    if (fields & kRefAfter) e.set_ref_after(e.ref_before() + ref_after.Next());
    if (fields & kMapBefore) e.set_map_before(map_before.Next());
    if (fields & kMapAfter) e.set_map_after(e.map_before() + map_after.Next());
    if (fields & kErr) e.set_err(err.Next());
    if (fields & kScan) {
      const uint32_t v = scan_result.Next();
      if (!ValidScanResult(v)) {
        return Corrupt(
            absl::StrCat("event ", i, " has unknown scan result ", v));
      }
      e.set_scan_result(static_cast<mm::ScanResult>(v));
    }
    if (fields & kCompact) {
      const uint32_t v = compact_result.Next();
      if (!CompactResult_IsValid(static_cast<int>(v))) {
        return Corrupt(
            absl::StrCat("event ", i, " has unknown compaction result ", v));
      }
      e.set_compact_result(static_cast<CompactResult>(v));
    }
    if (fields & kReason) {
      const uint32_t v = reason.Next();
      if (!Reason_IsValid(static_cast<int>(v))) {
        return Corrupt(absl::StrCat("event ", i, " has unknown reason ", v));
      }
      e.set_reason(static_cast<Reason>(v));
    }
    if (fields & kNonUniform) e.set_non_uniform(true);
    if (fields & kParent) e.set_parent_pfn(e.pfn() - parent.Next());
  }
  const bool columns_ok =
      repeat.ok() && pfn.ok() && dst.ok() && addr.ok() && index.ok() &&
      ref_before.ok() && ref_after.ok() && map_before.ok() && map_after.ok() &&
      order.ok() && run_count.ok() && run_order.ok() && run_length.ok() &&
      pid.ok() && file_id.ok() && level.ok() && scan_result.ok() &&
      compact_result.ok() && reason.ok() && split_at.ok() &&
      offset_bytes.ok() && length_bytes.ok() && nr_pages.ok() && err.ok() &&
      parent.ok();
  if (!columns_ok) {
    return Corrupt("a column holds fewer or more values than its events use");
  }
  return absl::OkStatus();
}

}  // namespace mmreplay::replay
