// The "scenario" generator: small random traces (5 to 30 ops) that mmcapture
// can run on the live kernel, for differential testing (generate, capture,
// replay with --check, minimize; scripts/campaign). Every op is one user
// space can do and one the kernel accepts in the state the trace built: no
// speculative references or split requests, pins of the capturable kinds,
// touches only where a VMA allows them (and file mappings only inside EOF),
// MADV_FREE only on private anonymous memory, mprotect only over mapped
// ranges. Ranges are weighted toward boundaries: folio and PMD edges, VMA
// ends and a file's EOF, a page either side.
#ifndef MMREPLAY_REPLAY_GEN_SCENARIO_H_
#define MMREPLAY_REPLAY_GEN_SCENARIO_H_

#include <cstdint>

#include "absl/status/status.h"
#include "trace/trace_writer.h"

namespace mmreplay::replay::gen {

struct ScenarioParams {
  uint64_t seed = 1;
  // Read touches of anonymous memory. Off for hosts whose kernel allocates
  // on a read fault instead of mapping the zero page (docs/capture.md):
  // mmcapture refuses such reads there.
  bool anon_reads = true;
};

absl::Status GenerateScenario(const ScenarioParams& params,
                              trace::TraceWriter& out);

}  // namespace mmreplay::replay::gen

#endif  // MMREPLAY_REPLAY_GEN_SCENARIO_H_
