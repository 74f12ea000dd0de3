// replay --summary: what a replay did, in numbers (proto/summary.proto,
// docs/summary.md). A SummarySink sits in front of the event log and counts
// the events on their way; Finish() adds the ops and the model's counters.
#ifndef MMREPLAY_REPLAY_SUMMARY_H_
#define MMREPLAY_REPLAY_SUMMARY_H_

#include <array>
#include <cstdint>
#include <string>
#include <tuple>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/page_geometry.h"
#include "mm/counters.h"
#include "mm/event_sink.h"
#include "proto/summary.pb.h"
#include "replay/driver.h"

namespace mmreplay::replay {

class SummarySink : public mm::EventSink {
 public:
  // Passes every event on to `next` (not owned; may be null).
  explicit SummarySink(mm::EventSink* next) : next_(next) {}

  void Emit(const mm::Event& event) override;

  // The summary of the replay whose events came through here.
  Summary Finish(absl::string_view profile, const ReplayReport& report,
                 const mm::Counters& counters) const;

 private:
  static constexpr int kOrders = kMaxPageOrder + 1;
  mm::EventSink* next_;
  uint64_t events_ = 0;
  std::array<uint64_t, kOrders> allocated_{};
  std::array<uint64_t, EventKind_ARRAYSIZE> by_kind_{};
  std::array<int64_t, kOrders> live_{};
  // (non_uniform, reason, order) -> (splits, pieces).
  absl::btree_map<std::tuple<bool, int, uint32_t>,
                  std::pair<uint64_t, uint64_t>>
      splits_;
  // (reason, errno) -> count.
  absl::btree_map<std::pair<int, int>, uint64_t> split_failures_, ops_failed_;
  uint64_t pmd_splits_ = 0;
  uint64_t deferred_adds_ = 0, deferred_removes_ = 0, deferred_len_ = 0,
           deferred_max_ = 0;
  uint64_t xa_alloc_ = 0, xa_free_ = 0;
  absl::btree_map<int, uint64_t> bytes_freed_;  // by reason
  // By scan result (0: collapsed), and the errno of a failure without one.
  absl::btree_map<std::pair<int, int>, uint64_t> collapses_;
  absl::btree_map<int, uint64_t> compactions_;  // by result
  uint64_t migrations_ = 0, migrations_failed_ = 0;
};

// The summary as an aligned table, one section per field that is not empty.
std::string SummaryTable(const Summary& summary);
// A Summary (or compare's Comparison) in protobuf's JSON mapping, with the
// proto field names and every field, one object.
absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message);

}  // namespace mmreplay::replay

#endif  // MMREPLAY_REPLAY_SUMMARY_H_
