// Reader of the binary .mmt format: a zstd stream of varint-length-delimited
// Record messages (traces/FORMAT.md). Internal to TraceReader::Open().
#ifndef MMREPLAY_TRACE_MMT_READER_H_
#define MMREPLAY_TRACE_MMT_READER_H_

#include <array>
#include <cstdio>
#include <string>

#include "proto/trace.pb.h"
#include "trace/op_schema.h"
#include "trace/trace_reader.h"
#include "trace/zstd_stream.h"

namespace mmreplay::trace {

class MmtReader : public TraceReader {
 public:
  // Takes ownership of `file`.
  MmtReader(std::string path, FILE* file);

 protected:
  absl::Status ReadHeader(uint64_t* byte_offset) override;
  bool ReadOp(TraceOp* op) override;

 private:
  enum class Got { kHeader, kBatch, kEnd, kError };
  // Reads the next Record: its header into header_ or its batch into
  // batch_msg_; its offset into record_offset_.
  Got ReadRecord();
  // Checks the batch now in batch_msg_ and makes it current. False after
  // Fail().
  bool StartBatch();
  // Fails at the current op's record.
  bool FailOp(absl::string_view what);
  bool OddArity(const OpKindInfo* info, TraceOp* op);
  bool Unshift(uint32_t kind, int arity, uint64_t* args);

  const OpSchema& schema_;
  StreamInput input_;

  // The last batch read, reused so its columns keep their capacity.
  OpBatch batch_msg_;
  uint64_t record_offset_ = 0;

  // The current batch and the read position in its columns.
  const OpBatch* batch_ = nullptr;
  // batch_msg_'s arg column, which Unshift() rewrites in place.
  uint64_t* args_ = nullptr;
  int op_pos_ = 0;
  int arg_pos_ = 0;
  int rich_pos_ = 0;
  int note_pos_ = 0;
  // Index in the batch of the next op with a note, or UINT32_MAX.
  uint32_t next_note_op_ = UINT32_MAX;
  // Written arity per kind for this batch; -1 where the batch names none.
  std::array<int, kMaxOpKind + 1> arity_{};
  // Page-shifted fields per kind for this batch (OpBatch.shift_fields).
  std::array<uint32_t, kMaxOpKind + 1> shift_{};
  // Flat op fields padded to the current arity when the batch was written
  // with fewer.
  std::array<uint64_t, kMaxArity> padded_{};
};

}  // namespace mmreplay::trace

#endif  // MMREPLAY_TRACE_MMT_READER_H_
