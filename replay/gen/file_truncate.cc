#include "replay/gen/file_truncate.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/page_geometry.h"
#include "base/status_macros.h"
#include "replay/gen/common.h"
#include "replay/gen/rng.h"

namespace mmreplay::replay::gen {
namespace {

struct FileSlot {
  bool exists = false;
  // The size it was written to, and the bytes of that written so far.
  uint64_t full = 0;
  uint64_t written = 0;
  // Its size now.
  uint64_t size = 0;
};

}  // namespace

const std::vector<std::string>& FileTruncateKinds() {
  static const auto* const kinds =
      new std::vector<std::string>{"truncate", "punch", "write", "unlink"};
  return *kinds;
}

absl::Status GenerateFileTruncate(const FileTruncateParams& p,
                                  trace::TraceWriter& out) {
  Header h = GeneratedHeader(
      "file-truncate", p.seed, p.memory_mib << 8,
      absl::StrCat("--ops=", p.ops, " --memory-mib=", p.memory_mib,
                   " --files=", p.files, " --sizes=",
                   absl::StrJoin(p.sizes, ",",
                                 [](std::string* s, uint64_t size) {
                                   s->append(FormatSize(size));
                                 }),
                   " --fs=", p.tmpfs ? "tmpfs" : "pagecache",
                   " --mix=", FormatMix(FileTruncateKinds(), p.mix)),
      absl::StrCat("files of a size mix written, truncated and punched at "
                   "random tails (",
                   p.tmpfs ? "tmpfs, huge=always" : "page cache", ")"));
  RETURN_IF_ERROR(out.WriteHeader(h));
  OpBudget budget(out, p.ops);
  std::vector<FileSlot> files(p.files);
  Rng rng(p.seed);
  const WeightedChoice mix(p.mix);
  while (!budget.done()) {
    const uint64_t i = rng.Below(files.size());
    const uint32_t id = static_cast<uint32_t>(i + 1);
    FileSlot& f = files[i];
    if (!f.exists) {
      f.exists = true;
      f.full = p.sizes[rng.Below(p.sizes.size())];
      f.written = f.size = 0;
      RETURN_IF_ERROR(budget.Emit(FileCreateOp(
          id, p.tmpfs ? FILESYSTEM_TMPFS : FILESYSTEM_PAGE_CACHE)));
      continue;
    }
    if (f.written < f.full) {
      // Still being written: the next 2 MiB.
      const uint64_t n = std::min(kPmdSize, f.full - f.written);
      RETURN_IF_ERROR(budget.Emit(FileWriteOp(id, f.written, n)));
      f.written += n;
      f.size = std::max(f.size, f.written);
      continue;
    }
    Op op;
    switch (mix.Pick(rng)) {
      case 0: {
        const uint64_t size = rng.Below(f.size + 1);
        op.mutable_truncate()->set_file_id(id);
        op.mutable_truncate()->set_size_bytes(size);
        f.size = size;
        break;
      }
      case 1: {
        // A range of the tail: from a random byte to a random end.
        const uint64_t start = rng.Below(f.size + 1);
        const uint64_t end = rng.Between(start, f.size);
        op = PunchHoleOp(id, start, std::max<uint64_t>(1, end - start));
        break;
      }
      case 2: {
        const uint64_t start = rng.Below(f.full);
        const uint64_t length = rng.Between(1, f.full - start);
        op = FileWriteOp(id, start, length);
        f.size = std::max(f.size, start + length);
        break;
      }
      default:
        op.mutable_file_unlink()->set_file_id(id);
        f.exists = false;
        break;
    }
    RETURN_IF_ERROR(budget.Emit(op));
  }
  return absl::OkStatus();
}

}  // namespace mmreplay::replay::gen
