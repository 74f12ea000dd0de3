#include "replay/gen/fork_cow.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/page_geometry.h"
#include "base/status_macros.h"
#include "replay/gen/common.h"
#include "replay/gen/rng.h"

namespace mmreplay::replay::gen {
namespace {

constexpr uint32_t kParent = 1;
constexpr uint64_t kBase = 0x7f0000000000ull;

struct Child {
  bool alive = false;
  // Writes left before the exit.
  uint64_t writes_left = 0;
};

}  // namespace

absl::Status GenerateForkCow(const ForkCowParams& p, trace::TraceWriter& out) {
  Header h = GeneratedHeader(
      "fork-cow", p.seed, p.memory_mib << 8,
      absl::StrCat("--ops=", p.ops, " --memory-mib=", p.memory_mib,
                   " --parent-mib=", p.parent_mib, " --children=", p.children,
                   " --write-percent=", p.write_percent,
                   " --write-size=", FormatSize(p.write_size)),
      "fork and copy-on-write: a parent with THPs, children that write part "
      "of it and exit");
  AddAnonOrderKnobs({9}, *h.mutable_profile());
  RETURN_IF_ERROR(out.WriteHeader(h));
  OpBudget budget(out, p.ops);

  const uint64_t bytes = p.parent_mib * kMiB;
  RETURN_IF_ERROR(budget.Setup(ProcessCreateOp(kParent)));
  RETURN_IF_ERROR(budget.Setup(MmapAnonOp(kParent, kBase, bytes)));
  for (uint64_t off = 0; off < bytes; off += kPmdSize) {
    RETURN_IF_ERROR(
        budget.Setup(TouchOp(kParent, kBase + off, kPmdSize, ACCESS_WRITE)));
  }
  const uint64_t writes =
      std::max<uint64_t>(1, bytes / p.write_size * p.write_percent / 100);
  const uint64_t blocks = bytes / p.write_size;
  std::vector<Child> children(p.children);
  Rng rng(p.seed);
  for (uint64_t step = 0; !budget.done(); ++step) {
    // Child slot c is pid 2 + c; the slots take turns, one op each.
    const uint64_t c = step % children.size();
    const uint32_t pid = static_cast<uint32_t>(2 + c);
    Child& child = children[c];
    Op op;
    if (!child.alive) {
      op.mutable_process_fork()->set_parent_pid(kParent);
      op.mutable_process_fork()->set_child_pid(pid);
      child = Child{true, writes};
    } else if (child.writes_left > 0) {
      op = TouchOp(pid, kBase + rng.Below(blocks) * p.write_size, p.write_size,
                   ACCESS_WRITE);
      --child.writes_left;
    } else {
      op.mutable_process_exit()->set_pid(pid);
      child.alive = false;
    }
    RETURN_IF_ERROR(budget.Emit(op));
  }
  return absl::OkStatus();
}

}  // namespace mmreplay::replay::gen
