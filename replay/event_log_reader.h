// EventLogReader: the LogReader of a log held as events rather than text
// (a binary log's chunks, or a replay running beside its reader). It gives
// an event's line made from the event (a run's lines made at once, as the
// text log makes them), or, to NextEvent(), PeekRow() and SkipEvents(), the
// event itself, with the comment lines (the header, the op lines) that
// come between events. A subclass fills events_ a block at a time and says
// where its comments go.
#ifndef MMREPLAY_REPLAY_EVENT_LOG_READER_H_
#define MMREPLAY_REPLAY_EVENT_LOG_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "mm/event.h"
#include "replay/log_reader.h"

namespace mmreplay::replay {

class EventLogReader : public LogReader {
 protected:
  using LogReader::LogReader;

  // Whether a comment line is due before events_[next_] (or, at the end
  // of events_, before the next block's).
  virtual bool CommentDue() const = 0;
  // Takes the comment line due; valid until the next call that reads.
  virtual absl::string_view TakeComment() = 0;
  // Replaces events_ with the next block's (next_ and nth_ at 0), and the
  // comments with its; false at the log's end, or on an error (Fail()).
  virtual bool NextBlock() = 0;

  // Whether the log is read by NextEvent(): its comment lines may then be
  // given as "#" alone (LogReader::NextEvent()).
  bool by_events() const { return by_events_; }

  bool ReadLine(absl::string_view* line) override;
  bool ReadEvent(absl::string_view* line, mm::Event* event,
                 bool* is_event) override;
  bool PeekEventRow(const mm::Event** row, uint32_t* nth) override;
  void SkipRowEvents(uint32_t n) override;

  // The block's events: a run as one row (mm::Event::repeat()).
  std::vector<mm::Event> events_;
  // The row to give next, and the event of its run.
  size_t next_ = 0;
  uint32_t nth_ = 0;

 private:
  enum class Item { kComment, kEvent, kEnd };
  // Moves to the next line: a comment (in *line), the event at next_ and
  // nth_, or the end.
  Item Advance(absl::string_view* line);

  bool by_events_ = false;
  // The line of an event alone; the lines of a run, and where the next
  // one starts.
  std::string event_line_;
  std::string run_;
  size_t run_at_ = 0;
};

}  // namespace mmreplay::replay

#endif  // MMREPLAY_REPLAY_EVENT_LOG_READER_H_
