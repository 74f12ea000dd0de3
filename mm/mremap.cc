// mremap() (mm/mremap.c): a shrink unmaps the tail as munmap does; a grow
// expands the VMA in place where nothing is mapped after it; a move
// (MREMAP_MAYMOVE | MREMAP_FIXED) unmaps the destination, then
// move_page_tables() carries the mappings over and the old range goes.
// Rmap and mapcounts do not change: a moved anonymous page keeps its index
// and is found through its new VMA's vm_pgoff (rmap.h AnonPageAddress).
#include <algorithm>

#include "absl/strings/str_format.h"
#include "base/check.h"
#include "base/status_macros.h"
#include "mm/anon_shmem.h"
#include "mm/errno.h"
#include "mm/model.h"
#include "mm/rmap.h"
#include "mm/zap.h"

namespace mmreplay::mm {
namespace {

constexpr uint32_t kMremapMaymove = 1;  // MREMAP_MAYMOVE
constexpr uint32_t kMremapFixed = 2;    // MREMAP_FIXED

// move_page_tables(): the mappings of [old_addr, old_addr + len) of process
// pid go to new_addr, extent by extent (up to the next PMD boundary of
// either side). A huge PMD the extent covers whole moves as it is
// (move_huge_pmd: still PMD-mapped); one covered in part is split first
// (split_huge_pmd: an anonymous THP is PTE-mapped, a file one unmapped)
// and its PTEs move (move_ptes), each keeping its page and bits.
void MovePageTables(MmState& mm, uint32_t pid, uint64_t old_addr,
                    uint64_t new_addr, uint64_t len) {
  Process& p = mm.GetProcess(pid);
  for (uint64_t off = 0; off < len;) {
    const uint64_t o = old_addr + off, n = new_addr + off;
    const uint64_t extent =
        std::min({kPmdSize - (o & (kPmdSize - 1)),
                  kPmdSize - (n & (kPmdSize - 1)), len - off});
    const Pmd* pmd = p.pt.FindPmd(o);
    if (pmd != nullptr && pmd->kind != Pmd::Kind::kTable) {
      if (extent == kPmdSize) {
        const Pmd moved = *pmd;
        p.pt.ClearPmd(o);
        p.pt.SetHuge(n, moved.kind) = moved;
        off += extent;
        continue;
      }
      SplitPmd(mm, pid, o & ~(kPmdSize - 1), REASON_MREMAP);
      pmd = p.pt.FindPmd(o);
    }
    if (pmd != nullptr && pmd->kind == Pmd::Kind::kTable) {
      for (uint64_t a = 0; a < extent; a += kPageSize) {
        const Pte pte = p.pt.GetPte(o + a);
        if (pte.none()) continue;
        p.pt.SetPte(n + a, pte);
        p.pt.SetPte(o + a, Pte::None());
      }
    }
    off += extent;
  }
}

}  // namespace

absl::Status Model::Mremap(uint32_t pid, uint64_t addr, uint64_t old_length,
                           uint64_t new_length, uint32_t flags,
                           uint64_t new_addr) {
  auto failed = [&](int err) {
    mm_.OpFailed(pid, addr, old_length, err, REASON_MREMAP);
    return absl::OkStatus();
  };
  if (flags & kMremapFixed) {
    // mremap_to(): the two ranges may not overlap.
    if (new_addr < addr + old_length && addr < new_addr + new_length) {
      return failed(kEinval);
    }
    // The destination is unmapped first, then a shrink's tail.
    RETURN_IF_ERROR(Munmap(pid, new_addr, new_length));
    if (old_length > new_length) {
      RETURN_IF_ERROR(Munmap(pid, addr + new_length, old_length - new_length));
      old_length = new_length;
    }
    Process& p = mm_.GetProcess(pid);
    const Vma* found = p.vmas.Find(addr);
    // vma_to_resize(): the range must lie in one VMA.
    if (found == nullptr || addr + old_length > found->end) {
      return failed(kEfault);
    }
    if (!found->anonymous() && !found->shared && found->anon_vma) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "mremap of 0x%x in process %d: a private file mapping holding "
          "copied pages cannot be moved in the model",
          addr, pid));
    }
    // move_vma(): copy_vma() makes the new VMA (vm_pgoff of addr, the
    // flags with it), move_page_tables(), then the old range goes.
    Vma dst = *found;
    dst.pgoff = found->PageIndex(addr);
    dst.start = new_addr;
    dst.end = new_addr + new_length;
    if (dst.anonymous() && !dst.shared &&
        dst.pgoff != (new_addr >> kPageShift)) {
      p.moved_anon = true;
    }
    MovePageTables(mm_, pid, addr, new_addr, old_length);
    p.vmas.Map(dst);
    p.vmas.Unmap(addr, addr + old_length);
    FreePgtables(p, addr, addr + old_length);
    ReleaseAnonShmem(mm_);
    return absl::OkStatus();
  }
  if (new_length <= old_length) {
    // A shrink: do_vmi_munmap() of the tail.
    if (new_length < old_length) {
      RETURN_IF_ERROR(Munmap(pid, addr + new_length, old_length - new_length));
    }
    return absl::OkStatus();
  }
  Process& p = mm_.GetProcess(pid);
  const Vma* found = p.vmas.Find(addr);
  if (found == nullptr || addr + old_length > found->end) {
    return failed(kEfault);
  }
  // A grow in place (vma_expand): the old range ends the VMA and nothing
  // is mapped up to the new end.
  const uint64_t end = addr + new_length;
  if (addr + old_length == found->end &&
      p.vmas.Overlapping(found->end, end).empty()) {
    Vma ext = *found;
    ext.pgoff = found->PageIndex(found->start) + found->pages();
    ext.start = found->end;
    ext.end = end;
    p.vmas.Map(ext);
    return absl::OkStatus();
  }
  if (!(flags & kMremapMaymove)) return failed(kEnomem);
  return absl::FailedPreconditionError(absl::StrFormat(
      "mremap of 0x%x in process %d cannot grow in place: the kernel would "
      "move it to an address it picks (give MREMAP_FIXED and new_addr)",
      addr, pid));
}

}  // namespace mmreplay::mm
