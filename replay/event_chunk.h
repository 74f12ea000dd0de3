// The binary event log's encodings of an event (proto/event_log.proto): the
// Event message, which is one line of the text log field for field, and the
// EventChunk, which holds up to kChunkEvents events as columns of integers
// (deltas where neighbours are close: PFNs, addresses, op indexes), for
// zstd to compress to a byte or two per event. The model's events stay
// plain structs (mm::Event); they are converted here, at the sink.
#ifndef MMREPLAY_REPLAY_EVENT_CHUNK_H_
#define MMREPLAY_REPLAY_EVENT_CHUNK_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "mm/event.h"
#include "proto/event.pb.h"
#include "proto/event_log.pb.h"

namespace mmreplay::replay {

// Events per EventChunk written.
inline constexpr int kChunkEvents = 4096;

// The Event message of `event`. REQUIRES: event.repeat() == 1.
Event EventToProto(const mm::Event& event);
// The mm::Event of `message`; InvalidArgument when a field holds a value
// the event cannot (an unknown kind, too many order runs).
absl::Status EventFromProto(const Event& message, mm::Event* event);

// Appends events to the columns of one chunk.
class ChunkEncoder {
 public:
  // Appends the i-th event of the run `event` stands for (mm::Event::Nth).
  void Add(const mm::Event& event, uint32_t i);
  int size() const { return chunk_.kind_size(); }
  // Moves the chunk into *out (its old contents are dropped) and starts an
  // empty one.
  void Take(EventChunk* out);

 private:
  EventChunk chunk_;
  uint64_t op_ = 0;
  uint64_t pfn_ = 0;
  uint64_t addr_ = 0;
  uint64_t index_ = 0;
};

// Decodes a whole chunk into *events (replacing its contents), checking
// that the columns agree and every value fits; InvalidArgument says what
// does not ("corrupt event chunk: ...").
absl::Status DecodeChunk(const EventChunk& chunk,
                         std::vector<mm::Event>* events);

}  // namespace mmreplay::replay

#endif  // MMREPLAY_REPLAY_EVENT_CHUNK_H_
