#include "replay/op_prefetcher.h"

#include <utility>

namespace mmreplay::replay {

OpPrefetcher::OpPrefetcher(trace::TraceReader& reader)
    : reader_(reader), thread_(&OpPrefetcher::Read, this) {}

OpPrefetcher::~OpPrefetcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void OpPrefetcher::Fill(Batch& b) {
  b.ops.clear();
  b.args.clear();
  b.rich.clear();
  b.notes.clear();
  b.last = false;
  // Copy first, point after: args grows while the batch fills.
  std::vector<size_t> arg_at;
  while (b.ops.size() < kBatchOps) {
    const trace::TraceOp* op = reader_.Next();
    if (op == nullptr) {
      b.last = true;
      b.status = reader_.status();
      break;
    }
    trace::TraceOp copy = *op;
    arg_at.push_back(b.args.size());
    if (op->rich != nullptr) {
      b.rich.push_back(*op->rich);
      copy.rich = &b.rich.back();
    } else if (op->args != nullptr) {
      b.args.insert(b.args.end(), op->args, op->args + op->info->arity);
    }
    if (!op->note.empty()) {
      b.notes.emplace_back(op->note);
      copy.note = b.notes.back();
    }
    b.ops.push_back(copy);
  }
  for (size_t i = 0; i < b.ops.size(); ++i) {
    if (b.ops[i].rich == nullptr && b.ops[i].args != nullptr) {
      b.ops[i].args = b.args.data() + arg_at[i];
    }
  }
}

void OpPrefetcher::Read() {
  for (;;) {
    std::unique_ptr<Batch> b;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (ready_.size() >= kBatchesAhead) {
        // Full: sleep until the replay is down to its last batches, so that
        // it wakes this thread once per few batches (a wake-up across
        // cores costs microseconds), not at each.
        reader_waiting_ = true;
        changed_.wait(lock,
                      [this] { return stop_ || ready_.size() < kRefillBelow; });
        reader_waiting_ = false;
      }
      if (stop_) return;
      if (!spare_.empty()) {
        b = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    if (b == nullptr) b = std::make_unique<Batch>();
    Fill(*b);
    bool last = b->last;
    bool wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ready_.push_back(std::move(b));
      wake = replay_waiting_;
    }
    if (wake) changed_.notify_all();
    if (last) return;
  }
}

const trace::TraceOp* OpPrefetcher::NextBatch() {
  while (current_ == nullptr || pos_ == current_->ops.size()) {
    if (current_ != nullptr && current_->last) {
      status_ = current_->status;
      return nullptr;
    }
    std::unique_ptr<Batch> next;
    bool wake;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (ready_.empty()) {
        replay_waiting_ = true;
        changed_.wait(lock, [this] { return !ready_.empty(); });
        replay_waiting_ = false;
      }
      next = std::move(ready_.front());
      ready_.pop_front();
      if (current_ != nullptr) spare_.push_back(std::move(current_));
      wake = reader_waiting_ && ready_.size() < kRefillBelow;
    }
    if (wake) changed_.notify_all();
    current_ = std::move(next);
    pos_ = 0;
  }
  return &current_->ops[pos_++];
}

}  // namespace mmreplay::replay
