#include "replay/event_log.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "base/status_macros.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/delimited_message_util.h"
#include "mm/errno.h"
#include "trace/op_text.h"

namespace mmreplay::replay {
namespace {

// zstd level of both compressed forms. The text is large (about 80 bytes an
// event), so the fastest level. The binary log too: with op columns and
// runs of events as rows, level 3 made a 1M-op churn's .mme 6% smaller
// (0.60 bytes an event against 0.63) and its replay 25% slower (2.14M
// against 2.67M ops/s, BM_LogForms, quiet host). Both logs' frames carry a
// checksum, so that a corrupt log is refused, never read as other events.
constexpr int kZstdLevel = 1;

// Lower-case enum value names without their prefix, built once.
template <typename Enum, int kMax>
class EnumNames {
 public:
  EnumNames(const google::protobuf::EnumDescriptor* d,
            absl::string_view prefix) {
    for (int i = 0; i < d->value_count(); ++i) {
      int n = d->value(i)->number();
      if (n < 0 || n >= kMax) continue;
      absl::string_view name = d->value(i)->name();
      absl::ConsumePrefix(&name, prefix);
      names_[n] = absl::AsciiStrToLower(name);
    }
  }
  absl::string_view operator[](int n) const {
    return n >= 0 && n < kMax ? absl::string_view(names_[n]) : "?";
  }

 private:
  std::array<std::string, kMax> names_;
};

const EnumNames<EventKind, 64>& KindNames() {
  static const auto* names =
      new EnumNames<EventKind, 64>(EventKind_descriptor(), "EVENT_");
  return *names;
}

const EnumNames<Reason, 64>& ReasonNames() {
  static const auto* names =
      new EnumNames<Reason, 64>(Reason_descriptor(), "REASON_");
  return *names;
}

const EnumNames<CompactResult, 16>& CompactResultNames() {
  static const auto* names = new EnumNames<CompactResult, 16>(
      CompactResult_descriptor(), "COMPACT_RESULT_");
  return *names;
}

// One line of text, built in place: a log has about 13 lines per op of a
// churn trace, so it is written without formatting machinery.
class Line {
 public:
  void Str(absl::string_view v) {
    std::memcpy(p_, v.data(), v.size());
    p_ += v.size();
  }
  void Char(char c) { *p_++ = c; }
  void Dec(uint64_t v) {
    char tmp[20];
    int n = 0;
    do {
      tmp[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n > 0) *p_++ = tmp[--n];
  }
  void Dec(int64_t v) {
    if (v < 0) {
      Char('-');
      Dec(~static_cast<uint64_t>(v) + 1);
    } else {
      Dec(static_cast<uint64_t>(v));
    }
  }
  void Hex(uint64_t v) {
    Str("0x");
    char tmp[16];
    int n = 0;
    do {
      tmp[n++] = "0123456789abcdef"[v & 15];
      v >>= 4;
    } while (v != 0);
    while (n > 0) *p_++ = tmp[--n];
  }
  // " key=value", in decimal or hex.
  void Dec(absl::string_view key, uint64_t v) {
    Str(key);
    Dec(v);
  }
  void Hex(absl::string_view key, uint64_t v) {
    Str(key);
    Hex(v);
  }
  void AppendTo(std::string* out) const { out->append(buf_, p_ - buf_); }

 private:
  // The longest line: every field set, twelve order runs.
  char buf_[1024];
  char* p_ = buf_;
};

void AppendChange(absl::string_view key, bool has_before, int64_t before,
                  bool has_after, int64_t after, Line& out) {
  if (!has_before && !has_after) return;
  out.Char(' ');
  out.Str(key);
  out.Char('=');
  if (has_before) {
    out.Dec(before);
    out.Str("->");
  }
  if (has_after) out.Dec(after);
}

// "0*4,2,3" for 0,0,0,0,2,3.
void AppendOrders(absl::Span<const mm::Event::OrderRun> runs, Line& out) {
  out.Str(" orders=");
  for (size_t i = 0; i < runs.size(); ++i) {
    if (i > 0) out.Char(',');
    out.Dec(uint64_t{runs[i].order});
    if (runs[i].count > 1) {
      out.Char('*');
      out.Dec(uint64_t{runs[i].count});
    }
  }
}

}  // namespace

absl::string_view EventKindName(EventKind kind) { return KindNames()[kind]; }
absl::string_view ReasonName(Reason reason) { return ReasonNames()[reason]; }
absl::string_view CompactResultName(CompactResult result) {
  return CompactResultNames()[result];
}

std::string EventLogHeader(absl::string_view profile) {
  return absl::StrCat("# mmreplay event log v", kEventLogVersion,
                      " profile=", profile, "\n");
}

void AppendOpLine(uint64_t number, uint32_t kind, const uint64_t* args,
                  absl::string_view note, std::string* out) {
  absl::StrAppend(out, "# op ", number, ": ");
  trace::AppendFlatOpText(kind, args, out);
  if (!note.empty()) absl::StrAppend(out, " \"", absl::CEscape(note), "\"");
  out->push_back('\n');
}

void AppendEventLine(const mm::Event& e, std::string* out) {
  Line l;
  l.Dec(e.op_index());
  l.Char(' ');
  l.Str(KindNames()[e.kind()]);
  if (e.has_pfn()) l.Hex(" pfn=", e.pfn());
  if (e.has_order()) l.Dec(" order=", e.order());
  if (e.has_dst_pfn()) l.Hex(" dst=", e.dst_pfn());
  if (e.has_parent_pfn()) l.Hex(" parent=", e.parent_pfn());
  if (e.kind() == EVENT_SPLIT) {
    l.Str(e.non_uniform() ? " type=non_uniform" : " type=uniform");
    if (e.has_split_at()) l.Dec(" at=", e.split_at());
  }
  if (!e.new_orders().empty()) AppendOrders(e.new_orders(), l);
  if (e.pid() != 0) l.Dec(" pid=", e.pid());
  if (e.has_addr()) l.Hex(" addr=", e.addr());
  if (e.file_id() != 0) l.Dec(" file=", e.file_id());
  if (e.has_index()) l.Dec(" index=", e.index());
  if (e.has_offset_bytes()) l.Hex(" offset=", e.offset_bytes());
  if (e.has_length_bytes()) l.Hex(" length=", e.length_bytes());
  if (e.nr_pages() != 0) l.Dec(" pages=", e.nr_pages());
  if (e.level() == MAP_LEVEL_PTE) l.Str(" level=pte");
  if (e.level() == MAP_LEVEL_PMD) l.Str(" level=pmd");
  AppendChange("ref", e.has_ref_before(), e.ref_before(), e.has_ref_after(),
               e.ref_after(), l);
  AppendChange("map", e.has_map_before(), e.map_before(), e.has_map_after(),
               e.map_after(), l);
  if (e.err() != 0) {
    l.Str(" err=");
    absl::string_view name = mm::ErrnoName(e.err());
    if (name.empty()) {
      l.Dec(int64_t{e.err()});
    } else {
      l.Str(name);
    }
  }
  if (e.has_scan_result()) {
    l.Str(" result=");
    l.Str(mm::ScanResultName(e.scan_result()));
  }
  if (e.has_compact_result()) {
    l.Str(" result=");
    l.Str(CompactResultNames()[e.compact_result()]);
  }
  if (e.reason() != REASON_UNSPECIFIED) {
    l.Str(" reason=");
    l.Str(ReasonNames()[e.reason()]);
  }
  l.AppendTo(out);
}

bool SameEventLine(const mm::Event& a, const mm::Event& b, bool skip_pfns,
                   bool skip_addr) {
  // The fields in AppendEventLine()'s order, each where it shows them.
  auto same = [](bool has_a, auto value_a, bool has_b, auto value_b) {
    return has_a == has_b && value_a == value_b;
  };
  auto same_maybe = [](bool skip, bool has_a, uint64_t value_a, bool has_b,
                       uint64_t value_b) {
    return has_a == has_b && (skip || value_a == value_b);
  };
  if (a.op_index() != b.op_index() || a.kind() != b.kind() ||
      !same_maybe(skip_pfns, a.has_pfn(), a.pfn(), b.has_pfn(), b.pfn()) ||
      !same(a.has_order(), a.order(), b.has_order(), b.order()) ||
      !same_maybe(skip_pfns, a.has_dst_pfn(), a.dst_pfn(), b.has_dst_pfn(),
                  b.dst_pfn()) ||
      !same_maybe(skip_pfns, a.has_parent_pfn(), a.parent_pfn(),
                  b.has_parent_pfn(), b.parent_pfn())) {
    return false;
  }
  if (a.kind() == EVENT_SPLIT &&
      (a.non_uniform() != b.non_uniform() ||
       !same(a.has_split_at(), a.split_at(), b.has_split_at(), b.split_at()))) {
    return false;
  }
  const absl::Span<const mm::Event::OrderRun> ra = a.new_orders(),
                                              rb = b.new_orders();
  if (ra.size() != rb.size()) return false;
  for (size_t i = 0; i < ra.size(); ++i) {
    // A count of 1 is not shown.
    if (ra[i].order != rb[i].order ||
        std::max(ra[i].count, 1u) != std::max(rb[i].count, 1u)) {
      return false;
    }
  }
  return a.pid() == b.pid() &&
         same_maybe(skip_addr, a.has_addr(), a.addr(), b.has_addr(),
                    b.addr()) &&
         a.file_id() == b.file_id() &&
         same(a.has_index(), a.index(), b.has_index(), b.index()) &&
         same(a.has_offset_bytes(), a.offset_bytes(), b.has_offset_bytes(),
              b.offset_bytes()) &&
         same(a.has_length_bytes(), a.length_bytes(), b.has_length_bytes(),
              b.length_bytes()) &&
         a.nr_pages() == b.nr_pages() && a.level() == b.level() &&
         same(a.has_ref_before(), a.ref_before(), b.has_ref_before(),
              b.ref_before()) &&
         same(a.has_ref_after(), a.ref_after(), b.has_ref_after(),
              b.ref_after()) &&
         same(a.has_map_before(), a.map_before(), b.has_map_before(),
              b.map_before()) &&
         same(a.has_map_after(), a.map_after(), b.has_map_after(),
              b.map_after()) &&
         a.err() == b.err() &&
         same(a.has_scan_result(), a.scan_result(), b.has_scan_result(),
              b.scan_result()) &&
         same(a.has_compact_result(), a.compact_result(),
              b.has_compact_result(), b.compact_result()) &&
         a.reason() == b.reason();
}

namespace {

// Adds 1 << (4 * digit) to the hex number in line[begin, end), in place;
// false (and line unchanged) when the sum needs one more digit, or the
// number has too few.
bool AddHexDigit(std::string& line, size_t begin, size_t end, size_t digit) {
  if (end - begin <= digit) return false;
  size_t at = end - 1 - digit;
  for (;;) {
    if (line[at] != 'f') break;
    if (at == begin) return false;
    --at;
  }
  // Carry: the f's after `at` (up to the digit added at) become 0's.
  line[at] = line[at] == '9' ? 'a' : static_cast<char>(line[at] + 1);
  for (size_t i = at + 1; i < end - digit; ++i) line[i] = '0';
  return true;
}

}  // namespace

void AppendEventLines(const mm::Event& event, std::string* out) {
  if (event.repeat() == 1) {
    AppendEventLine(event, out);
    out->push_back('\n');
    return;
  }
  // A run (a zap of order-0 folios, say): its lines differ only in the pfn
  // and addr values (Event::Nth: pfn + i, addr + i pages), so the first line
  // is formatted in full and each next one is the last with those two hex
  // numbers counted up in place; where a number gains a digit, the line is
  // formatted in full again. Formatting is most of a replay's time, and
  // runs most of the lines.
  DCHECK(event.has_pfn());
  std::string line;
  size_t pfn_begin = 0, pfn_end = 0, addr_begin = 0, addr_end = 0;
  auto format = [&](uint32_t i) {
    line.clear();
    AppendEventLine(event.Nth(i), &line);
    line.push_back('\n');
    auto value = [&line](absl::string_view key) {
      const size_t begin = absl::string_view(line).find(key) + key.size();
      return std::make_pair(begin, line.find_first_of(" \n", begin));
    };
    std::tie(pfn_begin, pfn_end) = value(" pfn=0x");
    if (event.has_addr()) std::tie(addr_begin, addr_end) = value(" addr=0x");
  };
  format(0);
  out->reserve(out->size() + line.size() * event.repeat());
  out->append(line);
  for (uint32_t i = 1; i < event.repeat(); ++i) {
    // A page is 0x1000: the addr's fourth digit from the right.
    const bool counted =
        AddHexDigit(line, pfn_begin, pfn_end, 0) &&
        (!event.has_addr() || AddHexDigit(line, addr_begin, addr_end, 3));
    if (!counted) format(i);
    out->append(line);
  }
}

LogFormat LogFormatForPath(absl::string_view path) {
  if (absl::EndsWith(path, ".mme")) return LogFormat::kBinary;
  if (absl::EndsWith(path, ".zst")) return LogFormat::kTextZstd;
  return LogFormat::kText;
}

LogStreamWriter::LogStreamWriter(trace::OutputFile* out, bool zstd)
    : zstd_(zstd ? std::make_unique<trace::ZstdWriter>(out, kZstdLevel,
                                                       /*checksum=*/true)
                 : nullptr),
      writer_([out, zstd = zstd_.get()](std::string& bytes) {
        absl::Status s =
            zstd != nullptr ? zstd->Write(bytes) : out->Write(bytes);
        bytes.clear();
        return s;
      }) {}

absl::Status LogStreamWriter::Finish() {
  absl::Status s = Flush();
  s.Update(writer_.Finish());
  if (s.ok() && zstd_ != nullptr) s = zstd_->Finish();
  return s;
}

EventLog::EventLog(trace::OutputFile* out, LogFormat format) : format_(format) {
  if (out == nullptr) return;
  writer_ = std::make_unique<LogStreamWriter>(
      out, /*zstd=*/format_ != LogFormat::kText);
}

void EventLog::WriteHeader(absl::string_view profile) {
  if (writer_ == nullptr) return;
  if (format_ != LogFormat::kBinary) {
    writer_->buffer() += EventLogHeader(profile);
    return;
  }
  LogRecord record;
  LogHeader* h = record.mutable_header();
  h->set_magic(std::string(kBinaryLogMagic));
  h->set_version(kEventLogVersion);
  h->set_profile(std::string(profile));
  WriteRecord(record);
}

void EventLog::Emit(const mm::Event& event) {
  events_ += event.repeat();
  if (writer_ == nullptr) return;
  if (format_ != LogFormat::kBinary) {
    AppendEventLines(event, &writer_->buffer());
  } else {
    // A run is one row (of at most kMaxRowRepeat events).
    for (uint32_t i = 0; i < event.repeat(); i += kMaxRowRepeat) {
      encoder_.Add(event, i, std::min(event.repeat() - i, kMaxRowRepeat));
      if (encoder_.size() == kChunkEvents) WriteChunk();
    }
  }
  // After a failed write the buffer is still emptied (and the error kept):
  // memory stays bounded.
  status_.Update(writer_->MaybeFlush());
}

void EventLog::BeginOp(uint64_t number, const trace::TraceOp& op) {
  ++op_lines_;
  if (writer_ == nullptr) return;
  if (format_ != LogFormat::kBinary) {
    AppendOpLine(number, op.kind, op.args, op.note, &writer_->buffer());
  } else {
    ops_.Add(number, op);
    if (ops_.size() == kChunkEvents) WriteChunk();
  }
  status_.Update(writer_->MaybeFlush());
}

// A chunk holds the events and the ops (their op lines) since the last:
// an op's line comes before its first event, in this chunk or a later one.
void EventLog::WriteChunk() {
  if (encoder_.size() == 0 && ops_.size() == 0) return;
  ops_.AppendTo(&ops_bytes_);
  encoder_.AppendRecord(ops_bytes_, &writer_->buffer());
  ops_bytes_.clear();
  ++chunks_;
}

void EventLog::WriteRecord(const LogRecord& record) {
  google::protobuf::io::StringOutputStream out(&writer_->buffer());
  google::protobuf::util::SerializeDelimitedToZeroCopyStream(record, &out);
}

absl::Status EventLog::Finish() {
  if (writer_ == nullptr) return status_;
  if (format_ == LogFormat::kBinary) {
    WriteChunk();
    LogRecord record;
    LogEnd* end = record.mutable_end();
    end->set_events(events_);
    end->set_chunks(chunks_);
    end->set_ops(op_lines_);
    WriteRecord(record);
  }
  status_.Update(writer_->Finish());
  return status_;
}

}  // namespace mmreplay::replay
