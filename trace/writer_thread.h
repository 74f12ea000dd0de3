// WriterThread: the writing end of an output (serializing, compressing,
// writing the file) on a thread of its own, so that the caller only fills
// blocks. The caller fills a block and hands it over with Submit(), which
// gives back an emptied block to fill next (blocks are reused: their
// buffers keep their capacity); the thread writes the blocks one at a time,
// in the order submitted. What is written does not depend on timing: the
// same blocks give the same bytes.
//
//   WriterThread<std::string> writer([&](std::string& s) {
//     absl::Status st = zstd.Write(s);
//     s.clear();  // the write leaves the block empty for reuse
//     return st;
//   });
//   writer.Submit(&buffer);  // buffer is now an empty block
//   RETURN_IF_ERROR(writer.Finish());
#ifndef MMREPLAY_TRACE_WRITER_THREAD_H_
#define MMREPLAY_TRACE_WRITER_THREAD_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"

namespace mmreplay::trace {

template <typename Block>
class WriterThread {
 public:
  // Writes each block with `write`, on the thread; `write` leaves the block
  // empty (for the caller to fill again) and returns the write's status.
  // After the first error, blocks are emptied without being written.
  explicit WriterThread(absl::AnyInvocable<absl::Status(Block&)> write)
      : write_(std::move(write)), thread_(&WriterThread::Run, this) {}
  // Waits for the blocks submitted to be written (Finish() if not called).
  ~WriterThread() { Finish().IgnoreError(); }
  WriterThread(const WriterThread&) = delete;
  WriterThread& operator=(const WriterThread&) = delete;

  // Queues *block to be written and puts an empty block in its place.
  // Waits while kDepth blocks are queued. Returns the first error of a
  // write so far (the block is queued all the same).
  absl::Status Submit(Block* block) {
    Block empty;
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait(lock, [this] { return queued_.size() < kDepth; });
    if (!spare_.empty()) {
      empty = std::move(spare_.back());
      spare_.pop_back();
    }
    queued_.push_back(std::move(*block));
    *block = std::move(empty);
    lock.unlock();
    changed_.notify_all();
    lock.lock();
    return status_;
  }

  // Writes what is queued, stops the thread and returns the first error of
  // a write. Later calls return the same.
  absl::Status Finish() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    changed_.notify_all();
    if (thread_.joinable()) thread_.join();
    return status_;
  }

 private:
  // Blocks queued at most: the caller runs at most this far ahead.
  static constexpr size_t kDepth = 4;

  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      changed_.wait(lock, [this] { return stop_ || !queued_.empty(); });
      if (queued_.empty()) return;  // stopped, all written
      Block block = std::move(queued_.front());
      queued_.pop_front();
      const bool failed = !status_.ok();
      lock.unlock();
      absl::Status s;
      if (failed) {
        block = Block();
      } else {
        s = write_(block);
      }
      lock.lock();
      status_.Update(s);
      spare_.push_back(std::move(block));
      changed_.notify_all();
    }
  }

  absl::AnyInvocable<absl::Status(Block&)> write_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Block> queued_;
  std::vector<Block> spare_;
  absl::Status status_;
  bool stop_ = false;
  // Last: started once the rest is made.
  std::thread thread_;
};

}  // namespace mmreplay::trace

#endif  // MMREPLAY_TRACE_WRITER_THREAD_H_
