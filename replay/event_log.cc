#include "replay/event_log.h"

#include <array>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace mmreplay::replay {
namespace {

constexpr size_t kFlushBytes = 1 << 20;

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

absl::string_view ErrnoName(int err) {
  switch (-err) {
    case 11:
      return "-EAGAIN";
    case 16:
      return "-EBUSY";
    case 22:
      return "-EINVAL";
    case 12:
      return "-ENOMEM";
    case 14:
      return "-EFAULT";
    default:
      return "";
  }
}

void AppendChange(absl::string_view key, bool has_before, int64_t before,
                  bool has_after, int64_t after, std::string* out) {
  if (!has_before && !has_after) return;
  absl::StrAppend(out, " ", key, "=");
  if (has_before) absl::StrAppend(out, before, "->");
  if (has_after) absl::StrAppend(out, after);
}

// "0*4,2,3" for 0,0,0,0,2,3.
void AppendOrders(absl::Span<const mm::Event::OrderRun> runs,
                  std::string* out) {
  absl::StrAppend(out, " orders=");
  for (size_t i = 0; i < runs.size(); ++i) {
    if (i > 0) out->push_back(',');
    absl::StrAppend(out, runs[i].order);
    if (runs[i].count > 1) absl::StrAppend(out, "*", runs[i].count);
  }
}

}  // namespace

absl::string_view EventKindName(EventKind kind) { return KindNames()[kind]; }

std::string EventLogHeader(absl::string_view profile) {
  return absl::StrCat("# mmreplay event log v", kEventLogVersion,
                      " profile=", profile, "\n");
}

void AppendEventLine(const mm::Event& e, std::string* out) {
  absl::StrAppend(out, e.op_index(), " ", KindNames()[e.kind()]);
  if (e.has_pfn()) absl::StrAppend(out, absl::StrFormat(" pfn=0x%x", e.pfn()));
  if (e.has_order()) absl::StrAppend(out, " order=", e.order());
  if (e.has_dst_pfn()) {
    absl::StrAppend(out, absl::StrFormat(" dst=0x%x", e.dst_pfn()));
  }
  if (e.kind() == EVENT_SPLIT) {
    absl::StrAppend(out,
                    e.non_uniform() ? " type=non_uniform" : " type=uniform");
    if (e.has_split_at()) absl::StrAppend(out, " at=", e.split_at());
  }
  if (!e.new_orders().empty()) AppendOrders(e.new_orders(), out);
  if (e.pid() != 0) absl::StrAppend(out, " pid=", e.pid());
  if (e.has_addr())
    absl::StrAppend(out, absl::StrFormat(" addr=0x%x", e.addr()));
  if (e.file_id() != 0) absl::StrAppend(out, " file=", e.file_id());
  if (e.has_index()) absl::StrAppend(out, " index=", e.index());
  if (e.has_offset_bytes()) {
    absl::StrAppend(out, absl::StrFormat(" offset=0x%x", e.offset_bytes()));
  }
  if (e.has_length_bytes()) {
    absl::StrAppend(out, absl::StrFormat(" length=0x%x", e.length_bytes()));
  }
  if (e.nr_pages() != 0) absl::StrAppend(out, " pages=", e.nr_pages());
  if (e.level() == MAP_LEVEL_PTE) absl::StrAppend(out, " level=pte");
  if (e.level() == MAP_LEVEL_PMD) absl::StrAppend(out, " level=pmd");
  AppendChange("ref", e.has_ref_before(), e.ref_before(), e.has_ref_after(),
               e.ref_after(), out);
  AppendChange("map", e.has_map_before(), e.map_before(), e.has_map_after(),
               e.map_after(), out);
  if (e.err() != 0) {
    absl::string_view name = ErrnoName(e.err());
    if (name.empty()) {
      absl::StrAppend(out, " err=", e.err());
    } else {
      absl::StrAppend(out, " err=", name);
    }
  }
  if (e.reason() != REASON_UNSPECIFIED) {
    absl::StrAppend(out, " reason=", ReasonNames()[e.reason()]);
  }
}

void AppendEventLines(const mm::Event& event, std::string* out) {
  if (event.repeat() == 1) {
    AppendEventLine(event, out);
    out->push_back('\n');
    return;
  }
  for (uint32_t i = 0; i < event.repeat(); ++i) {
    AppendEventLine(event.Nth(i), out);
    out->push_back('\n');
  }
}

void EventLog::WriteHeader(absl::string_view profile) {
  if (out_ != nullptr) buf_ += EventLogHeader(profile);
}

void EventLog::Emit(const mm::Event& event) {
  events_ += event.repeat();
  if (out_ == nullptr) return;
  AppendEventLines(event, &buf_);
  if (buf_.size() >= kFlushBytes) status_.Update(Flush());
}

absl::Status EventLog::Flush() {
  if (out_ != nullptr && status_.ok()) status_.Update(out_->Write(buf_));
  buf_.clear();
  return status_;
}

}  // namespace mmreplay::replay
