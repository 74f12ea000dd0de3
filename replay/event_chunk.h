// The binary event log's encodings of an event (proto/event_log.proto): the
// Event message, which is one line of the text log field for field, and the
// EventChunk, which holds up to kChunkEvents events as columns of integers
// (deltas where neighbours are close: PFNs, addresses, op indexes), for
// zstd to compress to a byte or two per event. The model's events stay
// plain structs (mm::Event); they are converted here, at the sink.
#ifndef MMREPLAY_REPLAY_EVENT_CHUNK_H_
#define MMREPLAY_REPLAY_EVENT_CHUNK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "mm/event.h"
#include "proto/event.pb.h"
#include "proto/event_log.pb.h"
#include "replay/packed_columns.h"

namespace mmreplay::replay {

// Rows per EventChunk written: events, or runs of them.
inline constexpr int kChunkEvents = 4096;
// The most events one row stands for.
inline constexpr uint32_t kMaxRowRepeat = 4096;

// The Event message of `event`. REQUIRES: event.repeat() == 1.
Event EventToProto(const mm::Event& event);
// The mm::Event of `message`; InvalidArgument when a field holds a value
// the event cannot (an unknown kind, too many order runs).
absl::Status EventFromProto(const Event& message, mm::Event* event);

// Appends events to the columns of one chunk.
class ChunkEncoder {
 public:
  // Appends the events first .. first + count - 1 of the run `event`
  // stands for (mm::Event::Nth) as one row. REQUIRES: 1 <= count <=
  // kMaxRowRepeat, first + count <= event.repeat().
  void Add(const mm::Event& event, uint32_t first, uint32_t count = 1);
  // Rows in the chunk.
  int size() const { return rows_; }
  // Appends the chunk to *out as the binary log writes it: one LogRecord
  // holding it, after the record's varint length (a delimited record), with
  // `ops` (a serialized OpColumns; empty: none) as its op columns, the
  // bytes protobuf's deterministic serialization of that record gives.
  // Starts an empty chunk.
  void AppendRecord(absl::string_view ops, std::string* out);
  // The chunk as a message (parsed from AppendRecord's bytes), with no op
  // columns; starts an empty chunk.
  void Take(EventChunk* out);

 private:
  PackedColumns columns_{EventChunk::kRepeatFieldNumber};
  int rows_ = 0;
  uint64_t op_ = 0;
  uint64_t pfn_ = 0;
  uint64_t addr_ = 0;
  uint64_t index_ = 0;
};

// Decodes a whole chunk into *events (replacing its contents), one per
// row: a run's row is one mm::Event with its repeat(). Checks that the
// columns agree and every value fits; InvalidArgument says what does not
// ("corrupt event chunk: ...").
absl::Status DecodeChunk(const EventChunk& chunk,
                         std::vector<mm::Event>* events);

}  // namespace mmreplay::replay

#endif  // MMREPLAY_REPLAY_EVENT_CHUNK_H_
