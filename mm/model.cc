#include "mm/model.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace mmreplay::mm {
namespace {

absl::Status NotMapped(uint32_t pid, uint64_t addr) {
  return absl::FailedPreconditionError(
      absl::StrFormat("address 0x%x is not mapped in process %d", addr, pid));
}

}  // namespace

Model::Model(const Machine& machine, const Profile& profile, const Knobs& knobs,
             EventSink* sink)
    : profile_(profile),
      knobs_(knobs),
      sink_(sink),
      total_pages_(machine.total_pages()) {}

Model::Process* Model::FindProcess(uint32_t pid) {
  auto it = processes_.find(pid);
  return it == processes_.end() ? nullptr : &it->second;
}

const Model::Process* Model::FindProcess(uint32_t pid) const {
  auto it = processes_.find(pid);
  return it == processes_.end() ? nullptr : &it->second;
}

Model::File* Model::FindFile(uint64_t file) {
  auto it = files_.find(file);
  return it == files_.end() ? nullptr : &it->second;
}

absl::StatusOr<const Vma*> Model::MappedAt(const Process& p, uint32_t pid,
                                           uint64_t addr) const {
  const Vma* vma = p.vmas.Find(addr);
  if (vma == nullptr) return NotMapped(pid, addr);
  return vma;
}

absl::Status Model::ProcessCreate(uint32_t pid) {
  processes_[pid];
  return absl::OkStatus();
}

absl::Status Model::ProcessExit(uint32_t pid) {
  processes_.erase(pid);
  return absl::OkStatus();
}

absl::Status Model::ProcessFork(uint32_t parent_pid, uint32_t child_pid) {
  Process child = *FindProcess(parent_pid);
  processes_[child_pid] = std::move(child);
  return absl::OkStatus();
}

absl::Status Model::MmapAnon(uint32_t pid, uint64_t addr, uint64_t length,
                             uint32_t prot, uint32_t flags) {
  Vma vma;
  vma.start = addr;
  vma.end = addr + length;
  vma.prot = prot;
  vma.shared = (flags & MAP_BITS_SHARED) != 0;
  vma.pgoff = addr >> kPageShift;
  FindProcess(pid)->vmas.Map(vma);
  return absl::OkStatus();
}

absl::Status Model::MmapFile(uint32_t pid, uint64_t addr, uint64_t length,
                             uint32_t prot, uint32_t flags, uint32_t file_id,
                             uint64_t offset) {
  Vma vma;
  vma.start = addr;
  vma.end = addr + length;
  vma.prot = prot;
  vma.shared = (flags & MAP_BITS_SHARED) != 0;
  vma.file = file_id;
  vma.pgoff = offset >> kPageShift;
  FindProcess(pid)->vmas.Map(vma);
  return absl::OkStatus();
}

absl::Status Model::Munmap(uint32_t pid, uint64_t addr, uint64_t length) {
  FindProcess(pid)->vmas.Unmap(addr, addr + length);
  return absl::OkStatus();
}

absl::Status Model::Madvise(uint32_t pid, uint64_t addr, uint64_t length,
                            Advice advice) {
  Process* p = FindProcess(pid);
  switch (advice) {
    case ADVICE_HUGEPAGE:
    case ADVICE_NOHUGEPAGE: {
      bool huge = advice == ADVICE_HUGEPAGE;
      // hugepage_madvise(): sets one flag and clears the other.
      p->vmas.Update(addr, addr + length, [huge](Vma& v) {
        v.hugepage = huge;
        v.nohugepage = !huge;
      });
      return absl::OkStatus();
    }
    default:
      return absl::OkStatus();
  }
}

absl::Status Model::Mprotect(uint32_t pid, uint64_t addr, uint64_t length,
                             uint32_t prot) {
  Process* p = FindProcess(pid);
  for (uint64_t a = addr; a < addr + length;) {
    const Vma* v = p->vmas.Find(a);
    // mprotect() fails with ENOMEM on a hole and changes nothing.
    if (v == nullptr) return absl::OkStatus();
    a = v->end;
  }
  p->vmas.Update(addr, addr + length, [prot](Vma& v) { v.prot = prot; });
  return absl::OkStatus();
}

absl::Status Model::Touch(uint32_t pid, uint64_t addr, uint64_t length,
                          Access access) {
  const Process& p = *FindProcess(pid);
  for (uint64_t a = addr; a < addr + length;) {
    const Vma* v = p.vmas.Find(a);
    if (v == nullptr) return NotMapped(pid, a);
    uint32_t need = access == ACCESS_WRITE ? PROT_BITS_WRITE : PROT_BITS_READ;
    if ((v->prot & need) == 0) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "%s fault at 0x%x in process %d: the mapping does not allow it",
          access == ACCESS_WRITE ? "write" : "read", a, pid));
    }
    a = v->end;
  }
  return absl::OkStatus();
}

absl::Status Model::FileCreate(uint32_t file_id, Filesystem filesystem,
                               TmpfsHuge huge, uint32_t min_order,
                               uint32_t max_order) {
  File f;
  f.filesystem = filesystem;
  f.huge = huge;
  f.min_order = min_order;
  f.max_order = max_order;
  files_[file_id] = f;
  return absl::OkStatus();
}

absl::Status Model::FileWrite(uint32_t file_id, uint64_t offset,
                              uint64_t length) {
  File* f = FindFile(file_id);
  f->size = std::max(f->size, offset + length);
  return absl::OkStatus();
}

absl::Status Model::FileRead(uint32_t, uint64_t, uint64_t) {
  return absl::OkStatus();
}

absl::Status Model::PunchHole(uint32_t, uint64_t, uint64_t) {
  return absl::OkStatus();
}

absl::Status Model::Truncate(uint32_t file_id, uint64_t size) {
  FindFile(file_id)->size = size;
  return absl::OkStatus();
}

absl::Status Model::FileUnlink(uint32_t file_id) {
  FindFile(file_id)->unlinked = true;
  return absl::OkStatus();
}

absl::Status Model::Pin(uint32_t pin_id, uint32_t pid, uint64_t addr,
                        uint64_t length, PinKind) {
  const Process& p = *FindProcess(pid);
  for (uint64_t a = addr; a < addr + length;) {
    absl::StatusOr<const Vma*> v = MappedAt(p, pid, a);
    if (!v.ok()) return v.status();
    a = (*v)->end;
  }
  pins_[pin_id] = pid;
  return absl::OkStatus();
}

absl::Status Model::Unpin(uint32_t pin_id) {
  pins_.erase(pin_id);
  return absl::OkStatus();
}

absl::Status Model::SpeculativeGetFile(uint32_t ref_id, uint32_t file_id,
                                       uint64_t) {
  refs_[ref_id] = file_id;
  return absl::OkStatus();
}

absl::Status Model::SpeculativeGetAddr(uint32_t ref_id, uint32_t pid,
                                       uint64_t addr) {
  absl::StatusOr<const Vma*> v = MappedAt(*FindProcess(pid), pid, addr);
  if (!v.ok()) return v.status();
  refs_[ref_id] = pid;
  return absl::OkStatus();
}

absl::Status Model::SpeculativePut(uint32_t ref_id) {
  refs_.erase(ref_id);
  return absl::OkStatus();
}

absl::Status Model::Compact(CompactMode, uint32_t) { return absl::OkStatus(); }

absl::Status Model::DeferredSplitScan(uint64_t) { return absl::OkStatus(); }

absl::Status Model::Collapse(uint32_t, uint64_t, uint64_t) {
  return absl::OkStatus();
}

absl::Status Model::SplitRange(uint32_t, uint64_t, uint64_t, uint32_t, bool,
                               uint64_t) {
  return absl::OkStatus();
}

absl::Status Model::SplitFileRange(uint32_t, uint64_t, uint64_t, uint32_t, bool,
                                   uint64_t) {
  return absl::OkStatus();
}

absl::StatusOr<Layout> Model::RangeLayout(uint32_t, uint64_t, uint64_t length,
                                          uint64_t* pmd_mapped_pages) const {
  LayoutBuilder b;
  b.AddHole(length >> kPageShift);
  *pmd_mapped_pages = 0;
  return b.Finish();
}

absl::StatusOr<Layout> Model::FileLayout(uint32_t, uint64_t,
                                         uint64_t length) const {
  LayoutBuilder b;
  b.AddHole(length >> kPageShift);
  return b.Finish();
}

absl::Status Model::Verify() const { return absl::OkStatus(); }

}  // namespace mmreplay::mm
