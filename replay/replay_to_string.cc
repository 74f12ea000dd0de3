#include "replay/replay_to_string.h"

#include <atomic>
#include <deque>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/status_macros.h"
#include "replay/event_log.h"
#include "trace/trace_reader.h"

namespace mmreplay::replay {
namespace {

// Collects log lines in memory.
class StringSink : public mm::EventSink, public OpSink {
 public:
  explicit StringSink(std::string* out) : out_(out) {}
  void Emit(const mm::Event& event) override { AppendEventLines(event, out_); }
  void BeginOp(uint64_t number, const trace::TraceOp& op) override {
    AppendOpLine(number, op.kind, op.args, op.note, out_);
  }

 private:
  std::string* out_;
};

// The log of a replay running on its own thread. The replay's sink formats
// lines into blocks of about kBlockBytes and queues them, waiting while
// kMaxBlocks are queued; Next() takes them in order.
class ReplayedLogReader : public LogReader {
 public:
  ReplayedLogReader(std::string name, std::unique_ptr<trace::TraceReader> trace,
                    const ReplayOptions& options, const std::string& profile)
      : LogReader(std::move(name), LogFormat::kText),
        trace_(std::move(trace)),
        options_(options) {
    options_.cancel = &cancel_;
    thread_ =
        std::thread([this, header = EventLogHeader(profile)] { Run(header); });
  }

  ~ReplayedLogReader() override {
    {
      absl::MutexLock lock(&mu_);
      cancel_ = true;
    }
    thread_.join();
  }

 protected:
  bool ReadLine(absl::string_view* line) override {
    for (;;) {
      if (pos_ < block_.size()) {
        size_t eol = block_.find('\n', pos_);
        *line = absl::string_view(block_).substr(pos_, eol - pos_);
        pos_ = eol + 1;
        return true;
      }
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](ReplayedLogReader* r) { return !r->queue_.empty() || r->done_; },
          this));
      if (queue_.empty()) {
        return status_.ok() ? false : Fail(status_);
      }
      block_ = std::move(queue_.front());
      queue_.pop_front();
      pos_ = 0;
    }
  }

 private:
  static constexpr size_t kBlockBytes = 256 << 10;
  static constexpr size_t kMaxBlocks = 4;

  class BlockSink : public mm::EventSink, public OpSink {
   public:
    explicit BlockSink(ReplayedLogReader* owner) : owner_(owner) {}
    void Emit(const mm::Event& event) override {
      AppendEventLines(event, &block_);
      if (block_.size() >= kBlockBytes) Push();
    }
    void BeginOp(uint64_t number, const trace::TraceOp& op) override {
      AppendOpLine(number, op.kind, op.args, op.note, &block_);
    }
    void Push() {
      if (!block_.empty()) owner_->Push(std::move(block_));
      block_.clear();
    }
    std::string& block() { return block_; }

   private:
    ReplayedLogReader* owner_;
    std::string block_;
  };

  // Queues a block, waiting for room; drops it once the reader is gone.
  void Push(std::string block) {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](ReplayedLogReader* r) {
          return r->queue_.size() < kMaxBlocks || r->cancel_;
        },
        this));
    if (!cancel_) queue_.push_back(std::move(block));
  }

  void Run(const std::string& header) {
    BlockSink sink(this);
    sink.block() = header;
    ReplayReport report;
    options_.op_sink = &sink;
    absl::Status status = Replay(*trace_, options_, &sink, &report);
    sink.Push();
    absl::MutexLock lock(&mu_);
    status_ = status;
    done_ = true;
  }

  std::unique_ptr<trace::TraceReader> trace_;
  ReplayOptions options_;
  std::atomic<bool> cancel_{false};
  std::thread thread_;

  absl::Mutex mu_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);

  // The reading side's block.
  std::string block_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<std::string> ReplayToString(const std::string& trace_path,
                                           const ReplayOptions& options,
                                           ReplayReport* report) {
  ASSIGN_OR_RETURN(std::unique_ptr<trace::TraceReader> reader,
                   trace::TraceReader::Open(trace_path));
  ASSIGN_OR_RETURN(mm::Profile profile, ResolveProfile(*reader, options));
  std::string log = EventLogHeader(profile.name);
  StringSink sink(&log);
  ReplayReport local;
  ReplayOptions with_ops = options;
  with_ops.op_sink = &sink;
  RETURN_IF_ERROR(Replay(*reader, with_ops, &sink, report ? report : &local));
  return log;
}

absl::StatusOr<std::unique_ptr<LogReader>> OpenReplayedLog(
    const std::string& trace_path, const ReplayOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<trace::TraceReader> reader,
                   trace::TraceReader::Open(trace_path));
  ASSIGN_OR_RETURN(mm::Profile profile, ResolveProfile(*reader, options));
  return std::unique_ptr<LogReader>(
      new ReplayedLogReader(absl::StrCat(trace_path, " (", profile.name, ")"),
                            std::move(reader), options, profile.name));
}

}  // namespace mmreplay::replay
