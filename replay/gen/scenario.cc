#include "replay/gen/scenario.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "replay/gen/rng.h"
#include "trace/trace_format.h"

namespace mmreplay::replay::gen {
namespace {

// Anonymous regions at kAnonBase + i * kSlotBytes, mremap destinations at
// kMoveBase + k * kSlotBytes, file mappings at kFileBase + j * kSlotBytes:
// 2 MiB-aligned, far from mmcapture's own maps. Regions past kMaxRegions
// are made when no region suits an op, so their slots are not bounded by
// it: the moves have an area of their own, which no region reaches (a
// region mapped over a moved range fails with EEXIST in mmcapture, whose
// mmap is MAP_FIXED_NOREPLACE; campaign seeds 28075, 28079).
constexpr uint64_t kAnonBase = 0x200000000000ull;
constexpr uint64_t kMoveBase = 0x208000000000ull;
constexpr uint64_t kFileBase = 0x210000000000ull;
constexpr uint64_t kSlotBytes = 16 << 20;
constexpr uint32_t kMaxRegions = 3;
constexpr uint32_t kMaxFiles = 2;
constexpr uint32_t kMaxProcesses = 3;
// A file stays below this size (3 PMDs and a bit).
constexpr uint64_t kMaxFileBytes = 3 * kPmdSize + 64 * kPageSize;

struct Vma {
  uint64_t end;  // exclusive
  uint32_t prot;
  uint32_t file_id;      // 0: anonymous
  uint64_t file_offset;  // of the VMA's start
  bool shared;
};

struct File {
  uint64_t size = 0;
};

class Scenario {
 public:
  Scenario(const ScenarioParams& p, trace::TraceWriter& out)
      : p_(p), out_(out), rng_(p.seed) {}

  absl::Status Run() {
    RETURN_IF_ERROR(out_.WriteHeader(MakeHeader()));
    Op op;
    op.mutable_process_create()->set_pid(1);
    RETURN_IF_ERROR(Emit(op));
    vmas_[1];
    // The trace starts with something to work on: a region, or a file.
    RETURN_IF_ERROR(rng_.Percent(65) ? NewRegion() : NewFile());
    // A new region is up to three ops: the trace ends at 30 at most.
    const uint64_t budget = rng_.Between(5, 28);
    while (emitted_ < budget) RETURN_IF_ERROR(Step());
    return absl::OkStatus();
  }

 private:
  Header MakeHeader() {
    Header h;
    h.set_format_version(trace::kFormatVersion);
    h.mutable_machine()->set_total_pages(262144);
    h.mutable_profile()->set_name("linux-6.18");
    // madvise everywhere (the default), so only the trace's MADV_HUGEPAGE
    // regions get large folios and the rest of the machine is left alone;
    // a random set of mTHP sizes, the PMD size inherited or not.
    std::string sizes;
    for (uint32_t order = 2; order <= 9; ++order) {
      KnobValue v;
      if (order == 9) {
        v = rng_.Percent(75) ? KNOB_VALUE_INHERIT : KNOB_VALUE_NEVER;
      } else if (order <= 4 ? rng_.Percent(40) : rng_.Percent(15)) {
        v = rng_.Percent(80) ? KNOB_VALUE_MADVISE : KNOB_VALUE_INHERIT;
      } else {
        continue;  // never, the default
      }
      SysfsSet* k = h.mutable_profile()->add_knob();
      k->set_knob(KNOB_ANON_ORDER_ENABLED);
      k->set_order(order);
      k->set_value(v);
      if (v != KNOB_VALUE_NEVER) {
        absl::StrAppend(&sizes, sizes.empty() ? "" : ",", 4 << order, "K");
      }
    }
    // Shared anonymous memory's sizes (hugepages-<N>kB/shmem_enabled):
    // advise or the default, so only MADV_HUGEPAGE regions of the trace
    // get large shmem folios (the top-level shmem_enabled stays never).
    std::string shmem_sizes;
    for (uint32_t order : {2u, 4u, 9u}) {
      if (!rng_.Percent(order == 9 ? 50 : 25)) continue;
      SysfsSet* k = h.mutable_profile()->add_knob();
      k->set_knob(KNOB_SHMEM_ORDER_ENABLED);
      k->set_order(order);
      k->set_value(KNOB_VALUE_ADVISE);
      absl::StrAppend(&shmem_sizes, shmem_sizes.empty() ? "" : ",", 4 << order,
                      "K");
    }
    Generated* g = h.mutable_provenance()->mutable_generated();
    g->set_generator("scenario");
    g->set_seed(p_.seed);
    g->set_parameters(p_.anon_reads ? "" : "--no-anon-reads");
    h.set_description(absl::StrCat(
        "random scenario ", p_.seed, " (anonymous sizes: ",
        sizes.empty() ? "none" : sizes, "; shared anonymous sizes: ",
        shmem_sizes.empty() ? "none" : shmem_sizes, ")"));
    return h;
  }

  absl::Status Emit(const Op& op) {
    ++emitted_;
    return out_.Write(op);
  }

  // --- the state the trace built --------------------------------------

  // Removes [start, end) from pid's VMAs, splitting those it cuts.
  void Unmap(uint32_t pid, uint64_t start, uint64_t end) {
    auto& m = vmas_[pid];
    std::vector<std::pair<uint64_t, Vma>> keep;
    for (auto it = m.begin(); it != m.end();) {
      const uint64_t s = it->first;
      const Vma v = it->second;
      if (v.end <= start || s >= end) {
        ++it;
        continue;
      }
      it = m.erase(it);
      if (s < start) {
        Vma left = v;
        left.end = start;
        keep.push_back({s, left});
      }
      if (v.end > end) {
        Vma right = v;
        right.file_offset += end - s;
        keep.push_back({end, right});
      }
    }
    for (auto& [s, v] : keep) m[s] = v;
  }

  // Makes `at` a VMA boundary of pid if one of its VMAs spans it.
  void SplitVmaAt(uint32_t pid, uint64_t at) {
    auto& m = vmas_[pid];
    auto it = m.upper_bound(at);
    if (it == m.begin()) return;
    --it;
    if (it->first >= at || it->second.end <= at) return;
    Vma right = it->second;
    right.file_offset += at - it->first;
    it->second.end = at;
    m[at] = right;
  }

  void Map(uint32_t pid, uint64_t start, const Vma& v) {
    Unmap(pid, start, v.end);
    vmas_[pid][start] = v;
  }

  // The VMAs of pid meeting [start, end), cut to it: mprotect's change.
  void Protect(uint32_t pid, uint64_t start, uint64_t end, uint32_t prot) {
    std::vector<std::pair<uint64_t, Vma>> cut;
    for (auto& [s, v] : vmas_[pid]) {
      if (v.end <= start || s >= end) continue;
      const uint64_t lo = std::max(s, start);
      Vma piece = v;
      piece.end = std::min(v.end, end);
      piece.file_offset += lo - s;
      piece.prot = prot;
      cut.push_back({lo, piece});
    }
    for (auto& [s, v] : cut) Map(pid, s, v);
  }

  // A mapped run [start, end) of pid whose pages all satisfy `ok`, chosen
  // at random among the VMAs that do (adjacent ones joined); false if none.
  template <typename Ok>
  bool PickRun(uint32_t pid, Ok ok, uint64_t* start, uint64_t* end) {
    std::vector<std::pair<uint64_t, uint64_t>> runs;
    for (const auto& [s, v] : vmas_[pid]) {
      uint64_t e = v.end;
      if (v.file_id != 0) {
        // Pages wholly past EOF fault with SIGBUS.
        const uint64_t eof =
            (files_[v.file_id].size + kPageSize - 1) / kPageSize * kPageSize;
        if (eof <= v.file_offset) continue;
        e = std::min(e, s + (eof - v.file_offset));
      }
      if (!ok(v)) continue;
      if (!runs.empty() && runs.back().second == s) {
        runs.back().second = e;
      } else {
        runs.push_back({s, e});
      }
    }
    if (runs.empty()) return false;
    const auto& r = runs[rng_.Below(runs.size())];
    *start = r.first;
    *end = r.second;
    return true;
  }

  // A subrange of [lo, hi) (pages), weighted toward boundaries: it starts
  // at or a page beside a folio or PMD edge, or an end, and is one page, a
  // few, an mTHP size, a PMD, or the rest.
  void PickRange(uint64_t lo, uint64_t hi, uint64_t* addr, uint64_t* len) {
    const uint64_t pages = (hi - lo) / kPageSize;
    uint64_t first;  // page index from lo
    switch (rng_.Below(4)) {
      case 0:
        first = 0;
        break;
      case 1: {
        const uint64_t align = uint64_t{1} << rng_.Between(2, 9);
        const uint64_t base = lo / kPageSize;
        uint64_t edge = (base + rng_.Below(pages) + align - 1) / align * align;
        first = edge > base ? edge - base : 0;
        break;
      }
      case 2:
        first = pages - 1 - std::min<uint64_t>(pages - 1, rng_.Below(4));
        break;
      default:
        first = rng_.Below(pages);
    }
    if (first > 0 && rng_.Percent(30)) first -= 1;
    first = std::min(first, pages - 1);
    const uint64_t room = pages - first;
    uint64_t n;
    switch (rng_.Below(5)) {
      case 0:
        n = 1;
        break;
      case 1:
        n = rng_.Between(2, 16);
        break;
      case 2:
        n = uint64_t{1} << rng_.Between(2, 4);
        break;
      case 3:
        n = kPagesPerPmd;
        break;
      default:
        n = room;
    }
    if (rng_.Percent(25)) n += 1;
    n = std::max<uint64_t>(1, std::min(n, room));
    *addr = lo + first * kPageSize;
    *len = n * kPageSize;
  }

  uint32_t SomePid() {
    auto it = vmas_.begin();
    std::advance(it, rng_.Below(vmas_.size()));
    return it->first;
  }

  // --- ops ----------------------------------------------------------------

  absl::Status NewRegion() {
    const uint64_t addr = kAnonBase + regions_ * kSlotBytes;
    ++regions_;
    uint64_t pages;
    switch (rng_.Below(4)) {
      case 0:
        pages = kPagesPerPmd;
        break;
      case 1:
        pages = kPagesPerPmd * rng_.Between(2, 3);
        break;
      case 2:
        pages = kPagesPerPmd + rng_.Between(1, 64);
        break;
      default:
        pages = rng_.Between(4, 96);
    }
    const uint32_t pid = 1;
    // A quarter are MAP_SHARED (shmem_zero_setup: as QEMU's guest memory).
    const bool shared = rng_.Percent(25);
    Op op;
    MmapAnon* m = op.mutable_mmap_anon();
    m->set_pid(pid);
    m->set_addr(addr);
    m->set_length_bytes(pages * kPageSize);
    m->set_prot(PROT_BITS_READ | PROT_BITS_WRITE);
    m->set_flags(shared ? MAP_BITS_SHARED : MAP_BITS_PRIVATE);
    RETURN_IF_ERROR(Emit(op));
    Map(pid, addr,
        Vma{addr + pages * kPageSize, PROT_BITS_READ | PROT_BITS_WRITE, 0, 0,
            shared});
    if (rng_.Percent(85)) {
      RETURN_IF_ERROR(Advise(pid, addr, pages * kPageSize, ADVICE_HUGEPAGE));
    }
    // Mostly written whole at once: folios to work on.
    if (rng_.Percent(70)) {
      RETURN_IF_ERROR(TouchOp(pid, addr, pages * kPageSize, ACCESS_WRITE));
    }
    return absl::OkStatus();
  }

  absl::Status NewFile() {
    const uint32_t id = ++files_made_;
    files_[id];
    static constexpr TmpfsHuge kHuge[] = {TMPFS_HUGE_ALWAYS, TMPFS_HUGE_ALWAYS,
                                          TMPFS_HUGE_WITHIN_SIZE,
                                          TMPFS_HUGE_ADVISE, TMPFS_HUGE_NEVER};
    Op op;
    FileCreate* c = op.mutable_file_create();
    c->set_file_id(id);
    c->set_filesystem(FILESYSTEM_TMPFS);
    c->set_huge(kHuge[rng_.Below(5)]);
    RETURN_IF_ERROR(Emit(op));
    return FileWriteOp(id);
  }

  absl::Status Advise(uint32_t pid, uint64_t addr, uint64_t len, Advice a) {
    // MADV_(NO)HUGEPAGE may split VMAs at the range's edges: so do ours,
    // so that an mremap range inside one of ours is inside one of the
    // kernel's (which may have merged some of ours back).
    if (a == ADVICE_HUGEPAGE || a == ADVICE_NOHUGEPAGE) {
      SplitVmaAt(pid, addr);
      SplitVmaAt(pid, addr + len);
    }
    Op op;
    Madvise* m = op.mutable_madvise();
    m->set_pid(pid);
    m->set_addr(addr);
    m->set_length_bytes(len);
    m->set_advice(a);
    return Emit(op);
  }

  absl::Status TouchOp(uint32_t pid, uint64_t addr, uint64_t len, Access a) {
    Op op;
    Touch* t = op.mutable_touch();
    t->set_pid(pid);
    t->set_addr(addr);
    t->set_length_bytes(len);
    t->set_access(a);
    return Emit(op);
  }

  // A byte offset weighted toward a file's interesting places: 0, EOF, a
  // PMD edge, each give or take a page or a few bytes.
  uint64_t FileOffset(const File& f) {
    uint64_t at;
    switch (rng_.Below(4)) {
      case 0:
        at = 0;
        break;
      case 1:
        at = f.size;
        break;
      case 2:
        at = rng_.Between(1, 3) * kPmdSize;
        break;
      default:
        at = rng_.Below(kMaxFileBytes);
    }
    if (rng_.Percent(30)) at += kPageSize;
    if (rng_.Percent(20) && at >= kPageSize) at -= kPageSize;
    if (rng_.Percent(25)) at += rng_.Below(kPageSize);  // not page-aligned
    return std::min(at, kMaxFileBytes - kPageSize);
  }

  uint64_t FileLength(uint64_t offset) {
    static constexpr uint64_t kLens[] = {
        kPageSize, 4 * kPageSize, 16 * kPageSize, kPmdSize, 2 * kPmdSize};
    uint64_t len = kLens[rng_.Below(5)];
    if (rng_.Percent(25)) len = rng_.Between(1, 3 * kPageSize);
    return std::max<uint64_t>(1, std::min(len, kMaxFileBytes - offset));
  }

  absl::Status FileWriteOp(uint32_t id) {
    File& f = files_[id];
    const uint64_t off =
        files_[id].size == 0 && rng_.Percent(70) ? 0 : FileOffset(f);
    const uint64_t len = FileLength(off);
    Op op;
    FileWrite* w = op.mutable_file_write();
    w->set_file_id(id);
    w->set_offset_bytes(off);
    w->set_length_bytes(len);
    f.size = std::max(f.size, off + len);
    return Emit(op);
  }

  absl::Status FileOp(uint32_t id) {
    File& f = files_[id];
    Op op;
    switch (rng_.Below(7)) {
      case 0:
      case 1:
        return FileWriteOp(id);
      case 2: {
        if (f.size == 0) return FileWriteOp(id);
        FileRead* r = op.mutable_file_read();
        const uint64_t off = rng_.Below(f.size);
        r->set_file_id(id);
        r->set_offset_bytes(off);
        r->set_length_bytes(std::max<uint64_t>(1, FileLength(off)));
        break;
      }
      case 3:
      case 4: {
        const uint64_t off = FileOffset(f);
        PunchHole* h = op.mutable_punch_hole();
        h->set_file_id(id);
        h->set_offset_bytes(off);
        h->set_length_bytes(FileLength(off));
        break;
      }
      case 5: {
        // fallocate, mode 0 or KEEP_SIZE, from the same edges as a punch
        // (so across a PMD boundary and EOF).
        const uint64_t off = FileOffset(f);
        const uint64_t len = FileLength(off);
        const bool keep = rng_.Percent(50);
        Fallocate* a = op.mutable_fallocate();
        a->set_file_id(id);
        a->set_offset_bytes(off);
        a->set_length_bytes(len);
        a->set_keep_size(keep);
        if (!keep) f.size = std::max(f.size, off + len);
        break;
      }
      default: {
        // Shrink (often to inside a folio), grow, or the same size.
        uint64_t size;
        switch (rng_.Below(4)) {
          case 0:
            size = f.size;
            break;
          case 1:
            size = std::min(kMaxFileBytes, f.size + FileLength(f.size));
            break;
          default:
            size = f.size == 0 ? 0 : rng_.Below(f.size);
        }
        op.mutable_truncate()->set_file_id(id);
        op.mutable_truncate()->set_size_bytes(size);
        f.size = size;
      }
    }
    return Emit(op);
  }

  // mremap of a range inside one anonymous VMA of pid, from PickRange's
  // edges: a move (MREMAP_FIXED) to a slot of its own, at the same offset
  // in its PMD (a THP moves whole), one page off it (split), or a PMD
  // boundary, keeping, halving or growing the length; a shrink; or a grow
  // in place where nothing follows. Shared anonymous memory is not grown
  // (its shmem file keeps the size it was made with: SIGBUS past it).
  absl::Status MremapOp(uint32_t pid) {
    std::vector<std::pair<uint64_t, Vma>> anon;
    for (const auto& [s, v] : vmas_[pid]) {
      if (v.file_id == 0) anon.push_back({s, v});
    }
    if (anon.empty()) return NewRegion();
    const auto [start, v] = anon[rng_.Below(anon.size())];
    uint64_t addr, len;
    PickRange(start, v.end, &addr, &len);
    Op op;
    Mremap* m = op.mutable_mremap();
    m->set_pid(pid);
    m->set_addr(addr);
    m->set_old_length_bytes(len);
    const uint64_t dice = rng_.Below(100);
    if (dice < 55) {
      const uint64_t slot = kMoveBase + (moves_++ % 3) * kSlotBytes;
      uint64_t to;
      switch (rng_.Below(3)) {
        case 0:
          to = slot + (addr & (kPmdSize - 1));
          break;
        case 1:
          to = slot + (addr & (kPmdSize - 1)) + kPageSize;
          break;
        default:
          to = slot + kPmdSize * rng_.Below(2);
      }
      uint64_t new_len = len;
      if (rng_.Percent(20) && len > kPageSize) {
        new_len = len / 2 / kPageSize * kPageSize;
      } else if (rng_.Percent(20) && !v.shared) {
        new_len = len + kPageSize * rng_.Between(1, 512);
      }
      // The ranges may not overlap (EINVAL): a range moved before may sit
      // in this slot.
      if (to < addr + len && addr < to + new_len) to += kSlotBytes;
      m->set_new_length_bytes(new_len);
      m->set_flags(trace::kMremapMaymove | trace::kMremapFixed);
      m->set_new_addr(to);
      Unmap(pid, to, to + new_len);
      Unmap(pid, addr, addr + len);
      Map(pid, to, Vma{to + new_len, v.prot, 0, 0, v.shared});
      return Emit(op);
    }
    if (dice < 80 || v.shared) {
      if (len == kPageSize) return Advise(pid, addr, len, ADVICE_HUGEPAGE);
      // A shrink to a PMD or folio edge, or by a page.
      uint64_t new_len =
          rng_.Percent(50)
              ? len - kPageSize
              : std::max<uint64_t>(kPageSize, len / 2 / kPageSize * kPageSize);
      m->set_new_length_bytes(new_len);
      Unmap(pid, addr + new_len, addr + len);
      return Emit(op);
    }
    // A grow in place: the range ends its VMA and the pages after it are
    // free (the slots are 16 MiB apart).
    const uint64_t end = v.end;
    const uint64_t grow =
        kPageSize * (rng_.Percent(50) ? kPagesPerPmd : rng_.Between(1, 64));
    for (const auto& [s, w] : vmas_[pid]) {
      if (s < end + grow && w.end > end) {
        return Advise(pid, addr, len, ADVICE_HUGEPAGE);
      }
    }
    if ((end - kAnonBase) / kSlotBytes !=
        (end + grow - 1 - kAnonBase) / kSlotBytes) {
      return Advise(pid, addr, len, ADVICE_HUGEPAGE);
    }
    m->set_old_length_bytes(end - addr);
    m->set_new_length_bytes(end - addr + grow);
    Map(pid, end, Vma{end + grow, v.prot, 0, 0, false});
    return Emit(op);
  }

  absl::Status MapFile(uint32_t id) {
    const uint64_t addr = kFileBase + maps_ * kSlotBytes;
    ++maps_;
    const uint64_t pages =
        std::max<uint64_t>(1, (files_[id].size + kPageSize - 1) / kPageSize);
    const bool shared = rng_.Percent(70);
    const uint32_t pid = SomePid();
    Op op;
    MmapFile* m = op.mutable_mmap_file();
    m->set_pid(pid);
    m->set_addr(addr);
    m->set_length_bytes(pages * kPageSize);
    m->set_prot(PROT_BITS_READ | PROT_BITS_WRITE);
    m->set_flags(shared ? MAP_BITS_SHARED : MAP_BITS_PRIVATE);
    m->set_file_id(id);
    RETURN_IF_ERROR(Emit(op));
    Map(pid, addr,
        Vma{addr + pages * kPageSize, PROT_BITS_READ | PROT_BITS_WRITE, id, 0,
            shared});
    return absl::OkStatus();
  }

  absl::Status Step() {
    const uint32_t pid = SomePid();
    uint64_t lo, hi, addr, len;
    Op op;
    const uint64_t dice = rng_.Below(100);
    if (dice < 8 && regions_ < kMaxRegions) return NewRegion();
    if (dice < 12 && files_made_ < kMaxFiles) return NewFile();
    if (dice < 30) {
      // A touch where the VMA allows it; reads of anonymous memory only
      // where the host maps the zero page.
      const bool write = !rng_.Percent(30);
      const bool anon_ok = write || p_.anon_reads;
      const uint32_t need = write ? PROT_BITS_WRITE : PROT_BITS_READ;
      if (!PickRun(
              pid,
              [&](const Vma& v) {
                // Shared anonymous memory is shmem: a read allocates.
                return (v.prot & need) != 0 &&
                       (v.file_id != 0 || v.shared || anon_ok);
              },
              &lo, &hi)) {
        return NewRegion();
      }
      PickRange(lo, hi, &addr, &len);
      return TouchOp(pid, addr, len, write ? ACCESS_WRITE : ACCESS_READ);
    }
    if (dice < 42) {
      // MADV_DONTNEED anywhere mapped; MADV_FREE on private anonymous
      // memory only (EINVAL elsewhere).
      const bool free = rng_.Percent(40);
      if (!PickRun(
              pid,
              [&](const Vma& v) {
                return !free || (v.file_id == 0 && !v.shared);
              },
              &lo, &hi)) {
        return NewRegion();
      }
      PickRange(lo, hi, &addr, &len);
      return Advise(pid, addr, len, free ? ADVICE_FREE : ADVICE_DONTNEED);
    }
    if (dice < 50) {
      if (!PickRun(
              pid, [](const Vma&) { return true; }, &lo, &hi)) {
        return NewRegion();
      }
      PickRange(lo, hi, &addr, &len);
      Munmap* m = op.mutable_munmap();
      m->set_pid(pid);
      m->set_addr(addr);
      m->set_length_bytes(len);
      Unmap(pid, addr, addr + len);
      return Emit(op);
    }
    if (dice < 56) {
      // mprotect read-only, or back to read-write, over a mapped range.
      if (!PickRun(
              pid, [](const Vma&) { return true; }, &lo, &hi)) {
        return NewRegion();
      }
      PickRange(lo, hi, &addr, &len);
      const uint32_t prot =
          rng_.Percent(60) ? PROT_BITS_READ : PROT_BITS_READ | PROT_BITS_WRITE;
      Mprotect* m = op.mutable_mprotect();
      m->set_pid(pid);
      m->set_addr(addr);
      m->set_length_bytes(len);
      m->set_prot(prot);
      Protect(pid, addr, addr + len, prot);
      return Emit(op);
    }
    if (dice < 62) {
      // fork, or a child's exit.
      if (vmas_.size() < kMaxProcesses && rng_.Percent(70)) {
        const uint32_t child = ++pids_made_ + 1;
        ProcessFork* f = op.mutable_process_fork();
        f->set_parent_pid(1);
        f->set_child_pid(child);
        // A copy first: inserting the child may move the parent's node.
        absl::btree_map<uint64_t, Vma> parent = vmas_[1];
        vmas_[child] = std::move(parent);
        return Emit(op);
      }
      if (vmas_.size() > 1) {
        const uint32_t child = std::prev(vmas_.end())->first;
        op.mutable_process_exit()->set_pid(child);
        vmas_.erase(child);
        pins_.erase(child);
        return Emit(op);
      }
      return NewRegion();
    }
    if (dice < 68) {
      // A pin (io_uring's FOLL_PIN needs write access; vmsplice reads), or
      // the release of one.
      auto held = pins_.find(pid);
      if (held != pins_.end() && !held->second.empty() && rng_.Percent(40)) {
        op.mutable_unpin()->set_pin_id(held->second.back());
        held->second.pop_back();
        return Emit(op);
      }
      const bool foll_pin = rng_.Percent(50);
      const uint32_t need = foll_pin ? PROT_BITS_WRITE : PROT_BITS_READ;
      if (!PickRun(
              pid,
              [&](const Vma& v) {
                return (v.prot & need) != 0 && (v.file_id != 0 || v.shared ||
                                                p_.anon_reads || foll_pin);
              },
              &lo, &hi)) {
        return NewRegion();
      }
      PickRange(lo, hi, &addr, &len);
      Pin* pin = op.mutable_pin();
      const uint32_t id = ++pins_made_;
      pin->set_pin_id(id);
      pin->set_pid(pid);
      pin->set_addr(addr);
      pin->set_length_bytes(std::min<uint64_t>(len, 16 * kPageSize));
      pin->set_kind(foll_pin ? PIN_KIND_FOLL_PIN : PIN_KIND_VMSPLICE);
      pins_[pid].push_back(id);
      return Emit(op);
    }
    if (dice < 77) {
      if (files_.empty()) return NewFile();
      auto it = files_.begin();
      std::advance(it, rng_.Below(files_.size()));
      if (rng_.Percent(20)) return MapFile(it->first);
      return FileOp(it->first);
    }
    if (dice < 82) return MremapOp(pid);
    if (dice < 90) {
      op.mutable_deferred_split_scan();
      return Emit(op);
    }
    if (dice < 95) {
      // MADV_HUGEPAGE / NOHUGEPAGE over a mapped range.
      if (!PickRun(
              pid, [](const Vma&) { return true; }, &lo, &hi)) {
        return NewRegion();
      }
      PickRange(lo, hi, &addr, &len);
      return Advise(pid, addr, len,
                    rng_.Percent(75) ? ADVICE_HUGEPAGE : ADVICE_NOHUGEPAGE);
    }
    // MADV_COLLAPSE of a PMD-aligned block of a written private anonymous
    // region (the collapse of shared anonymous memory is not modelled).
    if (!PickRun(
            pid,
            [](const Vma& v) {
              return v.file_id == 0 && !v.shared &&
                     (v.prot & PROT_BITS_WRITE) != 0;
            },
            &lo, &hi)) {
      return NewRegion();
    }
    const uint64_t block = (lo + kPmdSize - 1) / kPmdSize * kPmdSize;
    if (block + kPmdSize > hi) {
      op.mutable_deferred_split_scan();
      return Emit(op);
    }
    Collapse* c = op.mutable_collapse();
    c->set_pid(pid);
    c->set_addr(block);
    c->set_length_bytes(kPmdSize);
    return Emit(op);
  }

  const ScenarioParams& p_;
  trace::TraceWriter& out_;
  Rng rng_;
  uint64_t emitted_ = 0;
  uint32_t regions_ = 0;
  uint32_t maps_ = 0;
  uint32_t moves_ = 0;  // mremap moves made (their slots rotate)
  uint32_t files_made_ = 0;
  uint32_t pids_made_ = 0;
  uint32_t pins_made_ = 0;
  // Each live process's VMAs by start.
  absl::btree_map<uint32_t, absl::btree_map<uint64_t, Vma>> vmas_;
  absl::btree_map<uint32_t, File> files_;
  // Live pins by process, newest last.
  absl::btree_map<uint32_t, std::vector<uint32_t>> pins_;
};

}  // namespace

absl::Status GenerateScenario(const ScenarioParams& params,
                              trace::TraceWriter& out) {
  return Scenario(params, out).Run();
}

}  // namespace mmreplay::replay::gen
