#include "replay/gen/malloc.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/page_geometry.h"
#include "base/status_macros.h"
#include "replay/gen/common.h"
#include "replay/gen/rng.h"

namespace mmreplay::replay::gen {
namespace {

// Process p's arena at kArenaBase, the same address in every process.
constexpr uint64_t kArenaBase = 0x7e0000000000ull;

struct Cell {
  // Bytes allocated (written) from the cell's start; 0 when free.
  uint64_t used = 0;
};

}  // namespace

const std::vector<std::string>& MallocKinds() {
  static const auto* const kinds =
      new std::vector<std::string>{"use", "free", "partial-free", "shrink"};
  return *kinds;
}

absl::Status GenerateMalloc(const MallocParams& p, trace::TraceWriter& out) {
  Header h = GeneratedHeader(
      "malloc", p.seed, p.memory_mib << 8,
      absl::StrCat("--ops=", p.ops, " --memory-mib=", p.memory_mib,
                   " --processes=", p.processes,
                   " --mthp-orders=", OrderList(p.mthp_orders), " --sizes=",
                   absl::StrJoin(p.sizes, ",",
                                 [](std::string* s, uint64_t size) {
                                   s->append(FormatSize(size));
                                 }),
                   " --mix=", FormatMix(MallocKinds(), p.mix)),
      "an allocator over anonymous mTHP memory: allocations of a size mix "
      "written, freed and partly freed with MADV_DONTNEED");
  AddAnonOrderKnobs(p.mthp_orders, *h.mutable_profile());
  RETURN_IF_ERROR(out.WriteHeader(h));
  OpBudget budget(out, p.ops);

  const uint64_t largest = *std::max_element(p.sizes.begin(), p.sizes.end());
  const uint64_t cell_bytes = (largest + kPmdSize - 1) / kPmdSize * kPmdSize;
  const uint64_t cells_per_process = std::max<uint64_t>(
      1, p.memory_mib * kMiB * 3 / 4 / p.processes / cell_bytes);
  for (uint32_t pid = 1; pid <= p.processes; ++pid) {
    RETURN_IF_ERROR(budget.Setup(ProcessCreateOp(pid)));
    RETURN_IF_ERROR(budget.Setup(
        MmapAnonOp(pid, kArenaBase, cells_per_process * cell_bytes)));
  }
  // Cell i: process 1 + i % processes, at index i / processes in its arena.
  std::vector<Cell> cells(cells_per_process * p.processes);
  Rng rng(p.seed);
  const WeightedChoice mix(p.mix);
  while (!budget.done()) {
    const uint64_t i = rng.Below(cells.size());
    Cell& cell = cells[i];
    const uint32_t pid = static_cast<uint32_t>(1 + i % p.processes);
    const uint64_t base = kArenaBase + i / p.processes * cell_bytes;
    if (cell.used == 0) {
      cell.used = p.sizes[rng.Below(p.sizes.size())];
      RETURN_IF_ERROR(budget.Emit(TouchOp(pid, base, cell.used, ACCESS_WRITE)));
      continue;
    }
    const uint64_t pages = cell.used / kPageSize;
    const uint64_t first = rng.Below(pages);
    switch (mix.Pick(rng)) {
      case 0: {
        const uint64_t n =
            rng.Between(1, std::min<uint64_t>(16, pages - first));
        RETURN_IF_ERROR(
            budget.Emit(TouchOp(pid, base + first * kPageSize, n * kPageSize,
                                rng.Percent(80) ? ACCESS_WRITE : ACCESS_READ)));
        break;
      }
      case 1:
        RETURN_IF_ERROR(
            budget.Emit(MadviseOp(pid, base, cell.used, ADVICE_DONTNEED)));
        cell.used = 0;
        break;
      case 2:
        RETURN_IF_ERROR(budget.Emit(MadviseOp(pid, base + first * kPageSize,
                                              cell.used - first * kPageSize,
                                              ADVICE_DONTNEED)));
        cell.used = first * kPageSize;
        break;
      default: {
        Op op;
        op.mutable_deferred_split_scan();
        RETURN_IF_ERROR(budget.Emit(op));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace mmreplay::replay::gen
