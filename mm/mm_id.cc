#include "mm/mm_id.h"

#include "base/check.h"

namespace mmreplay::mm {

void MmIdTable::Share(Folio& f, uint32_t owner, int32_t owner_count,
                      uint32_t pid, int32_t nr) {
  DCHECK(!f.test(kFolioMaybeMappedShared) && owner != pid);
  Slots& s = slots_[f.head];
  s.pid[0] = owner;
  s.count[0] = owner_count;
  s.pid[1] = pid;
  s.count[1] = nr;
  f.set(kFolioMaybeMappedShared);
}

void MmIdTable::Add(const Folio& f, uint32_t pid, int32_t nr) {
  auto it = slots_.find(f.head);
  CHECK(it != slots_.end());
  Slots& s = it->second;
  for (int k = 0; k < 2; ++k) {
    if (s.pid[k] == pid) {
      s.count[k] += nr;
      return;
    }
  }
  // A free slot, slot 0 first; with none, the mappings go uncounted.
  for (int k = 0; k < 2; ++k) {
    if (s.pid[k] == kNoPid) {
      s.pid[k] = pid;
      s.count[k] = nr;
      return;
    }
  }
}

void MmIdTable::Sub(Folio& f, uint32_t pid, int32_t nr) {
  auto it = slots_.find(f.head);
  CHECK(it != slots_.end());
  Slots& s = it->second;
  for (int k = 0; k < 2; ++k) {
    if (s.pid[k] != pid) continue;
    s.count[k] -= nr;
    // The slot keeps mappings: the bit stays as it is.
    if (s.count[k] > 0) return;
    // Some of them may have been added while the process had no slot: a
    // slot that would go below none is freed.
    s.pid[k] = kNoPid;
    s.count[k] = 0;
    break;
  }
  // One slot holds every mapping (or, none left, both are free and hold
  // none): mapped exclusively.
  if (s.count[0] == f.mapcount || s.count[1] == f.mapcount) {
    slots_.erase(it);
    f.clear(kFolioMaybeMappedShared);
  }
}

void MmIdTable::Forget(Folio& f) {
  if (!f.test(kFolioMaybeMappedShared)) return;
  slots_.erase(f.head);
  f.clear(kFolioMaybeMappedShared);
}

const MmIdTable::Slots* MmIdTable::Find(uint32_t head) const {
  auto it = slots_.find(head);
  return it == slots_.end() ? nullptr : &it->second;
}

}  // namespace mmreplay::mm
