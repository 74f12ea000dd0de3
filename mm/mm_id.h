// MM owner tracking of large folios (CONFIG_MM_ID, include/linux/rmap.h,
// v6.15: "mm/rmap: basic MM owner tracking for large folios (!hugetlb)"): a
// large folio names up to two processes that map it (its two MM slots, with
// how many of its mappings each holds) and keeps a "maybe mapped shared" bit
// (FOLIO_MM_IDS_SHARED_BIT) that folio_maybe_mapped_shared() reads. The bit
// is set when a second process maps the folio; it is cleared only when a
// mapping goes and one slot then holds every mapping. So a process that
// mapped the folio without getting a slot (the third, while two hold them)
// leaves the bit set for as long as the folio is mapped, even when it ends
// up mapping the folio alone: the kernel says "maybe shared" there, and so
// does the model.
//
// While the bit is clear, at most one process maps the folio and holds
// every mapping in its slot, so the model keeps the slots only while the bit
// is set (kFolioMaybeMappedShared): a large folio that one process maps
// costs nothing here. Anonymous folios only: nothing the model does with a
// page-cache folio asks whether it is mapped shared.
#ifndef MMREPLAY_MM_MM_ID_H_
#define MMREPLAY_MM_MM_ID_H_

#include <cstddef>
#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "mm/folio.h"

namespace mmreplay::mm {

class MmIdTable {
 public:
  // No process (MM_ID_DUMMY).
  static constexpr uint32_t kNoPid = UINT32_MAX;
  struct Slots {
    uint32_t pid[2] = {kNoPid, kNoPid};
    // The mappings each slot holds (the kernel's _mm_id_mapcount + 1); 0
    // for a free slot.
    int32_t count[2] = {0, 0};
  };

  // folio_add_return_large_mapcount() where the bit is clear and process
  // `owner` holds all of folio f's `owner_count` mappings: process `pid`
  // takes the other slot for its `nr`, and the bit is set.
  void Share(Folio& f, uint32_t owner, int32_t owner_count, uint32_t pid,
             int32_t nr);
  // folio_add_return_large_mapcount() while the bit is set: `pid` maps `nr`
  // more of f. REQUIRES: f.test(kFolioMaybeMappedShared).
  void Add(const Folio& f, uint32_t pid, int32_t nr);
  // folio_sub_return_large_mapcount() while the bit is set: `pid` unmaps
  // `nr` of f, whose mapcount already leaves them out. Clears the bit when
  // one slot then holds every mapping (or none is left).
  // REQUIRES: f.test(kFolioMaybeMappedShared).
  void Sub(Folio& f, uint32_t pid, int32_t nr);
  // Clears the bit and forgets f's slots (a split rebuilds them).
  void Forget(Folio& f);

  // f's slots while its bit is set, else nullptr.
  const Slots* Find(uint32_t head) const;
  size_t size() const { return slots_.size(); }
  size_t bytes() const {
    return slots_.capacity() * (sizeof(uint32_t) + sizeof(Slots) + 1);
  }

 private:
  // By head PFN; looked up, never iterated on an output path.
  absl::flat_hash_map<uint32_t, Slots> slots_;
};

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_MM_ID_H_
