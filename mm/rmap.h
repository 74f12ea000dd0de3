// Reverse mapping (mm/rmap.c): the mapcounts of a folio as page-table
// entries are added and removed, the "partially mapped" rule that puts an
// anonymous folio on the deferred split queue, rmap walks over the anon_vma
// family and the file's VMAs, and the MM slots (CONFIG_MM_ID). The per-PTE
// rules are inline: every fault and zap runs them.
#ifndef MMREPLAY_MM_RMAP_H_
#define MMREPLAY_MM_RMAP_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "base/check.h"
#include "mm/deferred_split.h"
#include "mm/mm_state.h"
#include "proto/event.pb.h"

namespace mmreplay::mm {

// The page index of an anonymous page mapped at addr in process p: its
// VMA's vm_pgoff + the offset (linear_page_index); addr >> PAGE_SHIFT until
// mremap moves anonymous pages. REQUIRES: a VMA holds addr.
// Simplified: a copy made in a private file mapping keeps its linear
// address as its index (the model finds it there; mremap of such a mapping
// is not modelled).
inline uint64_t AnonIndexIn(const Vma& v, uint64_t addr) {
  return v.anonymous() ? v.PageIndex(addr) : addr >> kPageShift;
}
inline uint64_t AnonIndex(const Process& p, uint64_t addr) {
  if (!p.moved_anon) return addr >> kPageShift;
  const Vma* v = p.vmas.Find(addr);
  return v == nullptr ? addr >> kPageShift : AnonIndexIn(*v, addr);
}

// vma_address() of page `index` of an anonymous folio in process p: the
// address of the private anonymous VMA whose vm_pgoff range holds it
// (index << PAGE_SHIFT until mremap moves anonymous pages in p).
// Simplified: the kernel asks only the VMAs of the folio's anon_vma; a
// moved page and a newer one of the same index in one process are told
// apart by the VMA at the linear address first.
uint64_t AnonPageAddress(const Process& p, uint64_t index);

// The processes of one anon_vma family (the fork tree an anonymous folio's
// owner names), in pid order: `for (auto [pid, p] : AnonVmaFamily(mm, id))`
// visits each as (pid, Process&). The anon_vma's interval tree, as the
// model keeps it.
class AnonVmaFamily {
 public:
  using Map = absl::btree_map<uint32_t, std::unique_ptr<Process>>;
  class Iterator {
   public:
    Iterator(Map::const_iterator it, Map::const_iterator end, uint32_t id)
        : it_(it), end_(end), id_(id) {
      Skip();
    }
    std::pair<uint32_t, Process&> operator*() const {
      return {it_->first, *it_->second};
    }
    Iterator& operator++() {
      ++it_;
      Skip();
      return *this;
    }
    bool operator!=(const Iterator& o) const { return it_ != o.it_; }

   private:
    void Skip() {
      while (it_ != end_ && it_->second->anon_vma != id_) ++it_;
    }
    Map::const_iterator it_, end_;
    uint32_t id_;
  };
  AnonVmaFamily(const MmState& mm, uint64_t anon_vma)
      : map_(mm.processes), id_(static_cast<uint32_t>(anon_vma)) {}
  Iterator begin() const { return {map_.begin(), map_.end(), id_}; }
  Iterator end() const { return {map_.end(), map_.end(), id_}; }

 private:
  const Map& map_;
  uint32_t id_;
};

// folio_add_anon_rmap_pmd(). REQUIRES: process pid's PMD maps large folio
// f.
void AddRmapPmd(MmState& mm, uint32_t pid, Folio& f);
// __folio_remove_rmap(RMAP_LEVEL_PMD). REQUIRES: the caller has just
// cleared process pid's PMD mapping of f (head).
void RemoveRmapPmd(MmState& mm, uint32_t pid, uint32_t head, Folio& f);

// The mappings of a folio: (pid, addr) of its PMD mappings and PTEs
// (rmap_walk_anon over its anon_vma family, rmap_walk_file over the VMAs
// mapping its file).
struct Mapping {
  uint32_t pid;
  uint64_t addr;
  bool pmd;
};
std::vector<Mapping> RmapWalk(const MmState& mm, uint32_t head, const Folio& f);
// try_to_unmap(TTU_SPLIT_HUGE_PMD) of a file folio.
void TryToUnmapFile(MmState& mm, uint32_t head, Reason reason);
// How many of anonymous folio f's mappings process p holds.
int32_t MappingsIn(const Process& p, const Folio& f);
// Whether a PTE at addr maps an anonymous page (in a private file mapping:
// a copy).
bool MapsAnonPage(const MmState& mm, const Process& p, uint64_t addr);
// folio_maybe_mapped_shared().
bool FolioMaybeMappedShared(const Folio& f);
// folio_add_return_large_mapcount(): the MM slots (mm_id.h) of large
// anonymous folio f as process `pid` maps `nr` more of it (f.mapcount
// counts them already).
void AddMmId(MmState& mm, uint32_t pid, Folio& f, int nr);
// A process other than `pid` that maps anonymous folio f, else
// MmIdTable::kNoPid.
uint32_t OtherMapper(const MmState& mm, uint32_t pid, const Folio& f);
// remap_page() after a split: the MM slots of large anonymous piece f.
void RemapMmIds(MmState& mm, Folio& f);

// The mappings Verify() counts over every page table, by head PFN.
struct MappingCounts {
  // Every mapping (PMD or PTE) of a folio, and its PMD ones.
  absl::flat_hash_map<uint32_t, int64_t> maps, pmd_maps;
  // Each page's PTEs.
  absl::flat_hash_map<uint32_t, std::vector<int32_t>> page_maps;
};
// Verify()'s parts. VerifyMappings: every mapping points into a live folio
// in a VMA that may map it (anonymous pages at their index in private VMAs
// with an anon_vma, the zero pages in private anonymous memory, no private
// file page writable), PageAnonExclusive holds (a writable anonymous
// mapping is exclusive, an exclusive page is mapped once), PTE tables count
// their entries, and each folio's mapcounts (per page too) and
// nr_pages_mapped equal its mappings. Fills `counts`.
[[nodiscard]] absl::Status VerifyMappings(const MmState& mm,
                                          absl::Span<const Folio* const> all,
                                          MappingCounts* counts);
// VerifyMmIds: a large anonymous folio whose bit is clear is mapped by one
// process at most; one whose bit is set has its slots, each held by a
// process that maps at least as many of its pages as it counts.
[[nodiscard]] absl::Status VerifyMmIds(const MmState& mm,
                                       absl::Span<const Folio* const> all);

// folio_add_anon_rmap_ptes() / folio_add_new_anon_rmap() for PTEs.
// REQUIRES: the caller has just set the `nr` PTEs of process pid that map
// pages pfn.. of f (head), and holds a reference for each.
inline void AddRmapPtes(MmState& mm, uint32_t pid, uint32_t head, Folio& f,
                        uint32_t pfn, int nr) {
  (void)head;
  // An order-0 folio's page mapcount is its mapcount.
  if (f.order == 0) {
    f.mapcount += nr;
    return;
  }
  mm.folios.AddPageMapcounts(f, pfn, nr, +1);
  f.mapcount += nr;
  // A new folio's first mappings (folio_set_large_mapcount) leave it
  // mapped by one process: nothing to keep.
  if (f.test(kFolioAnon) &&
      (f.mapcount != nr || f.test(kFolioMaybeMappedShared))) {
    AddMmId(mm, pid, f, nr);
  }
}

// folio_remove_rmap_ptes() -> __folio_remove_rmap(RMAP_LEVEL_PTE) with
// CONFIG_PAGE_MAPCOUNT: pages whose last mapping goes leave
// _nr_pages_mapped; the folio is partially mapped when that happened and some
// pages are still mapped (and no PMD maps it whole). REQUIRES: the caller has
// just cleared the `nr` PTEs of process pid that mapped pages pfn.. of f
// (head); it drops their references.
inline void RemoveRmapPtes(MmState& mm, uint32_t pid, uint32_t head, Folio& f,
                           uint32_t pfn, int nr) {
  f.mapcount -= nr;
  DCHECK(f.mapcount >= 0);
  // An order-0 folio is never partially mapped.
  if (f.order == 0) return;
  if (f.test(kFolioMaybeMappedShared)) mm.mm_ids.Sub(f, pid, nr);
  int last = mm.folios.AddPageMapcounts(f, pfn, nr, -1);
  const LargeFolio& l = mm.folios.Large(f);
  bool partially_mapped =
      last > 0 && l.entire_mapcount == 0 && l.nr_pages_mapped > 0;
  if (partially_mapped && f.test(kFolioAnon) &&
      !f.test(kFolioPartiallyMapped)) {
    DeferredSplitFolio(mm, head, f, /*partially_mapped=*/true);
  }
}

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_RMAP_H_
