// The replay driver: reads a trace op by op, applies each to a fresh
// mm::Model and, when asked, compares expectation records with the model.
#ifndef MMREPLAY_REPLAY_DRIVER_H_
#define MMREPLAY_REPLAY_DRIVER_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mm/event_sink.h"
#include "mm/model.h"
#include "mm/profile.h"
#include "proto/trace.pb.h"
#include "replay/event_log.h"
#include "replay/progress.h"
#include "trace/op_schema.h"
#include "trace/trace_reader.h"

namespace mmreplay::replay {

struct ReplayOptions {
  // Profile preset to replay under; empty means the header's (or
  // mm::kDefaultProfile if the header names none).
  std::string profile;
  // Switches set over the profile's, "batched_rmap_zap=off,..."
  // (mm::ApplySwitches).
  std::string set;
  // Compare expectation records with the model.
  bool check = false;
  // Check the model's invariants after every op (always on in debug builds).
  bool verify = false;
  // Told the ops done as the replay goes (not owned; may be null).
  Progress* progress = nullptr;
  // Told of each op before its events, for the log's "# op N: ..." lines
  // (not owned; may be null: no op lines).
  OpSink* op_sink = nullptr;
  // If set, the replay stops before the next op once it turns true, with a
  // Cancelled error (a reader of its log went away).
  const std::atomic<bool>* cancel = nullptr;
};

struct ReplayReport {
  uint64_t ops = 0;
  // Ops by kind (Op's oneof field number), expectation records included.
  std::array<uint64_t, trace::kMaxOpKind + 1> ops_by_kind{};
  // Expectations compared, and those skipped as unstable.
  uint64_t checked = 0;
  uint64_t unstable = 0;
  // One text block per expectation the model did not meet, in trace order.
  std::vector<std::string> mismatches;
};

// The profile a replay of `reader`'s trace runs under: options.profile, or
// the header's, or mm::kDefaultProfile, with options.set applied. An unknown
// name in the header is bad input at record 0.
absl::StatusOr<mm::Profile> ResolveProfile(const trace::TraceReader& reader,
                                           const ReplayOptions& options);

// Replays every op of `reader` into a new model that reports to `sink`.
// Its events name ops by number: the ops counted from 1, a trace's
// expectation records not counted (a record's number is still what errors
// and expectation mismatches name).
// Errors: InvalidArgument for bad input ("<path>: record <n> (byte <b>):
// ..."), Internal when a model invariant breaks (naming the op).
// `memory`, if set, gets the model's memory use at the end; `counters`,
// if set, its counters at the end.
absl::Status Replay(trace::TraceReader& reader, const ReplayOptions& options,
                    mm::EventSink* sink, ReplayReport* report,
                    mm::Model::MemoryUse* memory = nullptr,
                    mm::Counters* counters = nullptr);

}  // namespace mmreplay::replay

#endif  // MMREPLAY_REPLAY_DRIVER_H_
