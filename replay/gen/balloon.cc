#include "replay/gen/balloon.h"

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "replay/gen/rng.h"
#include "trace/trace_format.h"

namespace mmreplay::replay::gen {

absl::Status GenerateBalloon(const BalloonParams& p, trace::TraceWriter& out) {
  Header h;
  h.set_format_version(trace::kFormatVersion);
  h.mutable_machine()->set_total_pages((p.memory_gib + 1) << 18);
  h.mutable_profile()->set_name("linux-6.18");
  Generated* g = h.mutable_provenance()->mutable_generated();
  g->set_generator("balloon");
  g->set_seed(p.seed);
  g->set_parameters(
      absl::StrCat("--ops=", p.ops, " --memory-gib=", p.memory_gib));
  h.set_description(
      "balloon inflation: random 4 KiB punches over a tmpfs-backed guest");
  RETURN_IF_ERROR(out.WriteHeader(h));
  uint64_t emitted = 0;
  auto emit = [&](const Op& op) -> absl::Status {
    if (emitted == p.ops) return absl::OkStatus();
    ++emitted;
    return out.Write(op);
  };
  Op op;
  FileCreate* c = op.mutable_file_create();
  c->set_file_id(1);
  c->set_filesystem(FILESYSTEM_TMPFS);
  c->set_huge(TMPFS_HUGE_ALWAYS);
  RETURN_IF_ERROR(emit(op));
  const uint64_t guest = p.memory_gib << 30;
  constexpr uint64_t kChunk = 2 << 20;
  for (uint64_t off = 0; off < guest; off += kChunk) {
    op.Clear();
    FileWrite* w = op.mutable_file_write();
    w->set_file_id(1);
    w->set_offset_bytes(off);
    w->set_length_bytes(kChunk);
    RETURN_IF_ERROR(emit(op));
  }
  Rng rng(p.seed);
  const uint64_t pages = guest / kPageSize;
  while (emitted < p.ops) {
    op.Clear();
    PunchHole* ph = op.mutable_punch_hole();
    ph->set_file_id(1);
    ph->set_offset_bytes(rng.Below(pages) * kPageSize);
    ph->set_length_bytes(kPageSize);
    RETURN_IF_ERROR(emit(op));
  }
  return absl::OkStatus();
}

}  // namespace mmreplay::replay::gen
