// EventSink: where the model reports every state change (mm/event.h).
// The model fills a reused Event and calls Emit(); the sink must copy what it
// keeps, and take an event with repeat() > 1 for that many (Event::Nth()).
// replay::EventLog writes each event as one line of text.
#ifndef MMREPLAY_MM_EVENT_SINK_H_
#define MMREPLAY_MM_EVENT_SINK_H_

#include "mm/event.h"

namespace mmreplay::mm {

class EventSink {
 public:
  virtual ~EventSink() = default;
  // `event` is valid only during the call. It may stand for several events
  // in a row (Event::repeat()).
  virtual void Emit(const Event& event) = 0;
};

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_EVENT_SINK_H_
