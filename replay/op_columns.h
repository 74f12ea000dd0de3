// The binary log's ops (proto/event_log.proto OpColumns): what the text
// log's "# op N: ..." lines need, carried in each EventChunk as columns of
// integers (the op's kind and its fields) and its note, so that `log print`
// of a .mme gives those lines byte for byte.
#ifndef MMREPLAY_REPLAY_OP_COLUMNS_H_
#define MMREPLAY_REPLAY_OP_COLUMNS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proto/event_log.pb.h"
#include "replay/packed_columns.h"
#include "trace/trace_op.h"

namespace mmreplay::replay {

// Appends the op columns of ops in a row.
class OpColumnsEncoder {
 public:
  // Appends op `number`, which follows the op added before it (if any).
  // REQUIRES: op is flat (no expectation record).
  void Add(uint64_t number, const trace::TraceOp& op);
  int size() const { return ops_; }
  // Appends the ops as a serialized OpColumns message (nothing when there
  // are none: the chunk then has no op columns), the bytes protobuf's
  // deterministic serialization gives, and starts afresh.
  void AppendTo(std::string* out);
  // The ops as a message (parsed from AppendTo's bytes); starts afresh.
  void Take(OpColumns* out);

 private:
  PackedColumns columns_{OpColumns::kNoteIndexFieldNumber};
  int ops_ = 0;
  uint64_t first_op_ = 0;
  std::vector<std::string> notes_;
};

// The op lines of a chunk, in op order.
struct OpLines {
  // Op numbers, and where each op's line ends in `text` (lines without
  // their newlines, one after another).
  std::vector<uint64_t> numbers;
  std::vector<size_t> ends;
  std::string text;

  size_t size() const { return numbers.size(); }
  absl::string_view line(size_t i) const {
    const size_t begin = i == 0 ? 0 : ends[i - 1];
    return absl::string_view(text).substr(begin, ends[i] - begin);
  }
};

// The op lines of `ops` (replacing *lines); InvalidArgument when the
// columns do not agree with each other or with this build's op kinds
// ("corrupt op columns: ...").
// With text false, the lines are checked and numbered but left empty.
absl::Status DecodeOpColumns(const OpColumns& ops, OpLines* lines,
                             bool text = true);

}  // namespace mmreplay::replay

#endif  // MMREPLAY_REPLAY_OP_COLUMNS_H_
