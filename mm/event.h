// Event: one state change the model reports (docs/event-log.md). The kinds,
// reasons and map levels are proto/event.proto's enums, their single
// definition; the event itself is a plain struct, because the model makes
// one for every alloc, free, map and unmap (about 13 per op of the churn
// benchmark) and a protobuf message costs several times more to clear and
// fill. replay/event_log.cc writes each as one line of stable text.
//
// Fields that do not apply to a kind are unset and not printed. The plain
// ones (0 means unset) are op_index, kind, reason, err, non_uniform, pid,
// nr_pages, level and file_id; the others have a presence bit (has_*()),
// because 0 is a meaningful value for them. An Event is trivially copyable.
#ifndef MMREPLAY_MM_EVENT_H_
#define MMREPLAY_MM_EVENT_H_

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "absl/types/span.h"
#include "base/check.h"
#include "mm/scan_result.h"
#include "proto/event.pb.h"

namespace mmreplay::mm {

class Event {
 public:
  // EVENT_SPLIT: a run of resulting folios of one order.
  struct OrderRun {
    uint32_t order;
    uint32_t count;
  };
  // A split gives at most n - m + 2 runs (KERNEL.md 1.2).
  static constexpr int kMaxOrderRuns = 12;

  // Unsets every field.
  void Clear() {
    repeat_ = 1;
    has_ = 0;
    op_index_ = 0;
    kind_ = EVENT_KIND_UNSPECIFIED;
    reason_ = REASON_UNSPECIFIED;
    err_ = 0;
    non_uniform_ = false;
    pid_ = 0;
    nr_pages_ = 0;
    level_ = MAP_LEVEL_UNSPECIFIED;
    file_id_ = 0;
    order_runs_ = 0;
  }

#define MMREPLAY_EVENT_FIELD(type, name)   \
 public:                                   \
  type name() const { return name##_; }    \
  void set_##name(type v) { name##_ = v; } \
                                           \
 private:                                  \
  type name##_ {}

#define MMREPLAY_EVENT_OPTIONAL(type, name, bit)            \
 public:                                                    \
  type name() const { return has(bit) ? name##_ : type{}; } \
  bool has_##name() const { return has(bit); }              \
  void set_##name(type v) {                                 \
    name##_ = v;                                            \
    has_ |= 1u << (bit);                                    \
  }                                                         \
                                                            \
 private:                                                   \
  type name##_ {}

  // Number of the op that caused it: ops counted from 1, a trace's
  // expectation records not counted (Model::BeginOp).
  MMREPLAY_EVENT_FIELD(uint64_t, op_index);
  MMREPLAY_EVENT_FIELD(EventKind, kind);
  // Head PFN of the folio in the model's physical memory: its identity.
  MMREPLAY_EVENT_OPTIONAL(uint64_t, pfn, 0);
  MMREPLAY_EVENT_OPTIONAL(uint32_t, order, 1);
  // Refcount and mapcount before and after, where the event changes them.
  // The mapcount is folio_mapcount(): PMD mappings count 1 per PMD.
  MMREPLAY_EVENT_OPTIONAL(int64_t, ref_before, 2);
  MMREPLAY_EVENT_OPTIONAL(int64_t, ref_after, 3);
  MMREPLAY_EVENT_OPTIONAL(int64_t, map_before, 4);
  MMREPLAY_EVENT_OPTIONAL(int64_t, map_after, 5);
  MMREPLAY_EVENT_FIELD(Reason, reason);
  // Negative kernel errno of a failure (-EAGAIN is -11), else 0.
  MMREPLAY_EVENT_FIELD(int32_t, err);
  // EVENT_SPLIT: true for folio_split() (buddy-like), false for uniform,
  // and the page index in the folio a non-uniform split was made at.
  MMREPLAY_EVENT_FIELD(bool, non_uniform);
  MMREPLAY_EVENT_OPTIONAL(uint64_t, split_at, 6);
  // EVENT_MAP / EVENT_UNMAP / EVENT_PMD_SPLIT.
  MMREPLAY_EVENT_FIELD(uint32_t, pid);
  MMREPLAY_EVENT_OPTIONAL(uint64_t, addr, 7);
  MMREPLAY_EVENT_FIELD(uint64_t, nr_pages);
  MMREPLAY_EVENT_FIELD(MapLevel, level);
  // EVENT_MIGRATE: the new head PFN.
  MMREPLAY_EVENT_OPTIONAL(uint64_t, dst_pfn, 8);
  // Page-cache events and EVENT_ZERO_RANGE.
  MMREPLAY_EVENT_FIELD(uint32_t, file_id);
  MMREPLAY_EVENT_OPTIONAL(uint64_t, index, 9);
  // EVENT_ZERO_RANGE: byte range inside the folio.
  MMREPLAY_EVENT_OPTIONAL(uint64_t, offset_bytes, 10);
  MMREPLAY_EVENT_OPTIONAL(uint64_t, length_bytes, 11);
  // EVENT_COLLAPSE that failed: the block's scan result, whose
  // madvise_collapse_errno() is err.
  MMREPLAY_EVENT_OPTIONAL(ScanResult, scan_result, 12);
  // EVENT_COMPACT_END: the zone's compaction result.
  MMREPLAY_EVENT_OPTIONAL(CompactResult, compact_result, 13);
  // EVENT_SPLIT_PIECE: the head PFN of the folio the piece was split from.
  MMREPLAY_EVENT_OPTIONAL(uint64_t, parent_pfn, 14);

#undef MMREPLAY_EVENT_FIELD
#undef MMREPLAY_EVENT_OPTIONAL

 public:
  // This event stands for `repeat` events in a row, made by one batch of
  // the model (the zap of a run of order-0 folios, say): the i-th, from 0,
  // has pfn + i and, if set, addr + i pages; every other field is the same.
  uint32_t repeat() const { return repeat_; }
  void set_repeat(uint32_t n) { repeat_ = n; }
  // The i-th event of the run, alone.
  Event Nth(uint32_t i) const {
    Event e = *this;
    e.ToNth(i);
    return e;
  }
  // Copies `from` into *this: memcpy() copies an event several times
  // faster than the assignment gcc makes of it (rep movsq), for the readers
  // that copy every event of a log.
  void CopyFrom(const Event& from) {
    std::memcpy(static_cast<void*>(this), &from, sizeof(from));
  }
  // Makes this event the i-th of its run, alone (Nth() in place).
  void ToNth(uint32_t i) {
    repeat_ = 1;
    pfn_ += i;
    addr_ += uint64_t{i} << 12;
  }

  // EVENT_SPLIT: the orders of the resulting folios in PFN order, as runs
  // of equal orders.
  absl::Span<const OrderRun> new_orders() const {
    return absl::MakeConstSpan(runs_, order_runs_);
  }
  // Appends `count` folios of `order`.
  void add_new_orders(uint32_t order, uint32_t count = 1) {
    if (order_runs_ > 0 && runs_[order_runs_ - 1].order == order) {
      runs_[order_runs_ - 1].count += count;
      return;
    }
    CHECK(order_runs_ < kMaxOrderRuns);
    runs_[order_runs_++] = {order, count};
  }

 private:
  bool has(int bit) const { return has_ >> bit & 1; }
  uint32_t repeat_ = 1;
  uint32_t has_ = 0;
  uint32_t order_runs_ = 0;
  OrderRun runs_[kMaxOrderRuns];
};

static_assert(std::is_trivially_copyable_v<Event>,
              "events are copied by value into sinks and buffers");

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_EVENT_H_
