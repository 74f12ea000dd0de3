// OpPrefetcher: reads a trace's ops on a second thread, up to a few
// batches ahead of the replay, so that decoding (zstd, protobuf, the
// validator's checks) overlaps the model's work. The replay sees the same ops
// in the same order and stops at the same bad record, so its log is unchanged;
// only the wall time is shorter.
//
// Usage, as with the reader itself:
//   OpPrefetcher ops(reader);
//   while (const trace::TraceOp* op = ops.Next()) { ... }
//   RETURN_IF_ERROR(ops.status());
#ifndef MMREPLAY_REPLAY_OP_PREFETCHER_H_
#define MMREPLAY_REPLAY_OP_PREFETCHER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "proto/trace.pb.h"
#include "trace/trace_op.h"
#include "trace/trace_reader.h"

namespace mmreplay::replay {

class OpPrefetcher {
 public:
  // Starts reading `reader`, which must outlive this and not be used
  // meanwhile.
  explicit OpPrefetcher(trace::TraceReader& reader);
  // Stops the reading thread (even mid-trace) and waits for it.
  ~OpPrefetcher();
  OpPrefetcher(const OpPrefetcher&) = delete;
  OpPrefetcher& operator=(const OpPrefetcher&) = delete;

  // trace::TraceReader::Next(): the next op, valid until the next call, or null
  // at the end or at a bad record.
  const trace::TraceOp* Next() {
    if (current_ != nullptr && pos_ < current_->ops.size()) {
      const trace::TraceOp* ops = current_->ops.data();
      const size_t n = current_->ops.size();
      // The batch was written on the reading thread's core: ask for the
      // op kPrefetchOps ahead, and for the arguments of the op half as far
      // ahead (itself asked for kPrefetchOps / 2 calls ago, so its args
      // pointer is at hand), so that the replay does not wait for them
      // (about 7% faster, bench/README.md). A rich op's null args is a
      // harmless hint.
      if (pos_ + kPrefetchOps < n) {
        __builtin_prefetch(&ops[pos_ + kPrefetchOps]);
        __builtin_prefetch(ops[pos_ + kPrefetchOps / 2].args);
      }
      return &ops[pos_++];
    }
    return NextBatch();
  }
  // The reader's status once Next() returned null.
  const absl::Status& status() const { return status_; }

 private:
  // Ops copied out of the reader, with what they point to.
  struct Batch {
    std::vector<trace::TraceOp> ops;
    std::vector<uint64_t> args;
    std::deque<Op> rich;
    std::deque<std::string> notes;
    // The reader ended (cleanly or not) after these ops.
    bool last = false;
    absl::Status status;
  };
  static constexpr size_t kBatchOps = 2048;
  // How far ahead Next() asks for ops.
  static constexpr size_t kPrefetchOps = 16;
  // The reading thread fills up to kBatchesAhead batches, then sleeps until
  // fewer than kRefillBelow are left.
  static constexpr size_t kBatchesAhead = 4;
  static constexpr size_t kRefillBelow = 2;

  void Read();
  void Fill(Batch& b);
  // Next() at the end of the current batch: takes the next one.
  const trace::TraceOp* NextBatch();

  trace::TraceReader& reader_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::unique_ptr<Batch>> ready_;
  std::vector<std::unique_ptr<Batch>> spare_;
  bool stop_ = false;
  // Who sleeps on changed_: a side wakes the other only then.
  bool reader_waiting_ = false;
  bool replay_waiting_ = false;

  // The batch being replayed, and the next op in it.
  std::unique_ptr<Batch> current_;
  size_t pos_ = 0;
  absl::Status status_;
  std::thread thread_;
};

}  // namespace mmreplay::replay

#endif  // MMREPLAY_REPLAY_OP_PREFETCHER_H_
