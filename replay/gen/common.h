// What the synthetic generators share: the header they all write, the op
// budget (--ops counts the ops after setup), the mTHP order set and weighted
// choices, and builders for the ops they all emit. Every generator streams:
// an op is written through the TraceWriter as soon as it is made, and the
// state a generator keeps is bounded by its memory size, never by --ops.
#ifndef MMREPLAY_REPLAY_GEN_COMMON_H_
#define MMREPLAY_REPLAY_GEN_COMMON_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/trace.pb.h"
#include "replay/gen/rng.h"
#include "trace/trace_writer.h"

namespace mmreplay::replay::gen {

inline constexpr uint64_t kMiB = uint64_t{1} << 20;
inline constexpr uint64_t kGiB = uint64_t{1} << 30;

// The header every generator writes: format version, a machine of
// `total_pages`, profile linux-6.18, the provenance (generator, seed and the
// flags that reproduce the trace: `mmreplay gen GENERATOR --seed SEED
// PARAMETERS`) and a one-line description.
Header GeneratedHeader(absl::string_view generator, uint64_t seed,
                       uint64_t total_pages, absl::string_view parameters,
                       absl::string_view description);

// Anonymous large-folio sizes: the orders listed (2..9; 9 is the PMD THP)
// enabled "always", every other order "never". Adds the knobs to `profile`.
void AddAnonOrderKnobs(const std::vector<uint32_t>& orders,
                       KernelProfile& profile);
// "2,4,9" for {2, 4, 9}.
std::string OrderList(const std::vector<uint32_t>& orders);

// "4K", "2M", "1G" or a byte count: the size in the largest unit that
// divides it.
std::string FormatSize(uint64_t bytes);

// The flag parsers of the generators. Each error names the flag and what it
// accepts, in one line.
// A size: bytes, or a number with K, M or G; a multiple of 4 KiB in
// [lo, hi].
absl::StatusOr<uint64_t> ParseSize(absl::string_view flag,
                                   absl::string_view text, uint64_t lo,
                                   uint64_t hi);
// A comma-separated list of sizes, each as ParseSize takes it.
absl::StatusOr<std::vector<uint64_t>> ParseSizeList(absl::string_view flag,
                                                    absl::string_view text,
                                                    uint64_t lo, uint64_t hi);
// A comma-separated list of anonymous folio orders, 2..9, ascending.
absl::StatusOr<std::vector<uint32_t>> ParseOrders(absl::string_view flag,
                                                  absl::string_view text);
// "KIND:WEIGHT,...": the kinds named get those weights (0..1000000), the
// others keep theirs from `weights`; the sum must be positive.
absl::Status ParseMix(absl::string_view flag, absl::string_view text,
                      const std::vector<std::string>& kinds,
                      std::vector<uint64_t>& weights);
// "touch:929,dontneed:10" for those kinds and weights.
std::string FormatMix(const std::vector<std::string>& kinds,
                      const std::vector<uint64_t>& weights);

// Writes ops to a trace, setup ops freely and the workload's up to a budget.
class OpBudget {
 public:
  // `ops`: how many workload ops the trace gets.
  OpBudget(trace::TraceWriter& out, uint64_t ops) : out_(out), ops_(ops) {}

  // A setup op (the state the workload starts from): not counted.
  absl::Status Setup(const Op& op) { return out_.Write(op); }
  // A workload op, written unless the budget is spent.
  absl::Status Emit(const Op& op) {
    if (done()) return absl::OkStatus();
    ++emitted_;
    return out_.Write(op);
  }
  bool done() const { return emitted_ >= ops_; }

 private:
  trace::TraceWriter& out_;
  const uint64_t ops_;
  uint64_t emitted_ = 0;
};

// Picks kind i with probability weight[i] / sum(weight). The draw is one
// Rng::Below(sum), so the same weights give the same sequence everywhere.
class WeightedChoice {
 public:
  // REQUIRES: sum of weights > 0.
  explicit WeightedChoice(std::vector<uint64_t> weights);
  size_t Pick(Rng& rng) const;

 private:
  std::vector<uint64_t> cumulative_;
};

// Op builders. Anonymous mappings are private and read-write.
Op MmapAnonOp(uint32_t pid, uint64_t addr, uint64_t length);
Op MmapFileOp(uint32_t pid, uint64_t addr, uint64_t length, uint32_t file_id,
              bool shared);
Op TouchOp(uint32_t pid, uint64_t addr, uint64_t length, Access access);
Op MadviseOp(uint32_t pid, uint64_t addr, uint64_t length, Advice advice);
Op MunmapOp(uint32_t pid, uint64_t addr, uint64_t length);
Op FileCreateOp(uint32_t file_id, Filesystem fs);
Op FileWriteOp(uint32_t file_id, uint64_t offset, uint64_t length);
Op PunchHoleOp(uint32_t file_id, uint64_t offset, uint64_t length);
Op ProcessCreateOp(uint32_t pid);

}  // namespace mmreplay::replay::gen

#endif  // MMREPLAY_REPLAY_GEN_COMMON_H_
