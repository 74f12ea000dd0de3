#include "replay/event_log_reader.h"

#include "base/check.h"
#include "replay/event_log.h"

namespace mmreplay::replay {

EventLogReader::Item EventLogReader::Advance(absl::string_view* line) {
  for (;;) {
    if (CommentDue()) {
      *line = TakeComment();
      return Item::kComment;
    }
    if (next_ < events_.size()) return Item::kEvent;
    if (!NextBlock()) return Item::kEnd;
  }
}

bool EventLogReader::ReadLine(absl::string_view* line) {
  switch (Advance(line)) {
    case Item::kEnd:
      return false;
    case Item::kComment:
      return true;
    case Item::kEvent:
      break;
  }
  // A run's row stands for repeat() lines (proto/event_log.proto), made at
  // once as the text log makes them (AppendEventLines: each the last
  // counted up) and given one by one.
  const mm::Event& e = events_[next_];
  if (e.repeat() == 1) {
    event_line_.clear();
    AppendEventLine(e, &event_line_);
    *line = event_line_;
  } else {
    if (nth_ == 0) {
      run_.clear();
      AppendEventLines(e, &run_);
      run_at_ = 0;
    }
    const size_t end = run_.find('\n', run_at_);
    *line = absl::string_view(run_).substr(run_at_, end - run_at_);
    run_at_ = end + 1;
  }
  SkipRowEvents(1);
  return true;
}

bool EventLogReader::ReadEvent(absl::string_view* line, mm::Event* event,
                               bool* is_event) {
  by_events_ = true;
  switch (Advance(line)) {
    case Item::kEnd:
      return false;
    case Item::kComment:
      *is_event = false;
      return true;
    case Item::kEvent:
      break;
  }
  *is_event = true;
  event->CopyFrom(events_[next_]);
  event->ToNth(nth_);
  SkipRowEvents(1);
  return true;
}

bool EventLogReader::PeekEventRow(const mm::Event** row, uint32_t* nth) {
  if (next_ >= events_.size() || CommentDue()) return false;
  *row = &events_[next_];
  *nth = nth_;
  return true;
}

void EventLogReader::SkipRowEvents(uint32_t n) {
  DCHECK(next_ < events_.size() && nth_ + n <= events_[next_].repeat());
  nth_ += n;
  if (nth_ == events_[next_].repeat()) {
    nth_ = 0;
    ++next_;
  }
}

}  // namespace mmreplay::replay
