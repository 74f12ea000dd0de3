#include "replay/replay_to_string.h"

#include <atomic>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/status_macros.h"
#include "replay/event_log.h"
#include "replay/event_log_reader.h"
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

// The log of a replay running on its own thread, held as the replay's
// events (EventLogReader: made into lines as they are read, or compared as
// events by diff). The replay's sink fills blocks of up to kBlockItems
// events and op lines and queues them, waiting while kMaxBlocks are
// queued; the reader takes them in order.
class ReplayedLogReader : public EventLogReader {
 public:
  ReplayedLogReader(std::string name, std::unique_ptr<trace::TraceReader> trace,
                    const ReplayOptions& options, const std::string& profile)
      : EventLogReader(std::move(name), LogFormat::kText),
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
  bool CommentDue() const override {
    return next_comment_ < block_.comment_at.size() &&
           block_.comment_at[next_comment_] <= next_;
  }

  absl::string_view TakeComment() override {
    return block_.comment(next_comment_++);
  }

  bool NextBlock() override {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](ReplayedLogReader* r) { return !r->queue_.empty() || r->done_; },
        this));
    if (queue_.empty()) return status_.ok() ? false : Fail(status_);
    // The events read go back to the replay's sink, to be filled again.
    if (events_.capacity() > 0) {
      events_.clear();
      spare_.push_back(std::move(events_));
    }
    block_ = std::move(queue_.front());
    queue_.pop_front();
    events_ = std::move(block_.events);
    next_ = 0;
    nth_ = 0;
    next_comment_ = 0;
    return true;
  }

 private:
  static constexpr size_t kBlockItems = 4096;
  static constexpr size_t kMaxBlocks = 4;

  // Events, and the comment lines among them: the i-th comment comes
  // before events[comment_at[i]], its text (without its newline) ends at
  // comment_ends[i] in comments.
  struct Block {
    std::vector<mm::Event> events;
    std::string comments;
    std::vector<size_t> comment_ends;
    std::vector<size_t> comment_at;

    absl::string_view comment(size_t i) const {
      const size_t begin = i == 0 ? 0 : comment_ends[i - 1];
      return absl::string_view(comments).substr(begin, comment_ends[i] - begin);
    }
    // Appends a comment line, given with its newline.
    void AddComment(absl::string_view line) {
      comment_at.push_back(events.size());
      comments.append(line.data(), line.size() - 1);
      comment_ends.push_back(comments.size());
    }
    size_t items() const { return events.size() + comment_at.size(); }
  };

  class BlockSink : public mm::EventSink, public OpSink {
   public:
    explicit BlockSink(ReplayedLogReader* owner) : owner_(owner) {
      block_.events = owner_->SpareEvents();
    }
    void Emit(const mm::Event& event) override {
      block_.events.emplace_back();
      block_.events.back().CopyFrom(event);
      if (block_.items() >= kBlockItems) Push();
    }
    void BeginOp(uint64_t number, const trace::TraceOp& op) override {
      line_.clear();
      AppendOpLine(number, op.kind, op.args, op.note, &line_);
      block_.AddComment(line_);
      if (block_.items() >= kBlockItems) Push();
    }
    void Push() {
      if (block_.items() > 0) owner_->Push(std::move(block_));
      block_ = Block();
      block_.events = owner_->SpareEvents();
    }
    Block& block() { return block_; }

   private:
    ReplayedLogReader* owner_;
    Block block_;
    std::string line_;
  };

  // An empty vector for a block's events: one the reader is done with, or
  // a new one.
  std::vector<mm::Event> SpareEvents() {
    std::vector<mm::Event> events;
    {
      absl::MutexLock lock(&mu_);
      if (!spare_.empty()) {
        events = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    if (events.capacity() == 0) events.reserve(kBlockItems);
    return events;
  }

  // Queues a block, waiting for room; drops it once the reader is gone.
  void Push(Block block) {
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
    sink.block().AddComment(header);
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
  std::deque<Block> queue_ ABSL_GUARDED_BY(mu_);
  std::vector<std::vector<mm::Event>> spare_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);

  // The reading side's block (its events are in events_), and its next
  // comment.
  Block block_;
  size_t next_comment_ = 0;
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
