// Folios (include/linux/mm_types.h struct folio): the model's unit of
// memory. A folio is 2^order naturally aligned pages; it is identified by its
// head PFN.
//
// FolioTable holds one record per live folio (no object per 4 KiB page), in
// a slab whose free slots are reused, and three dense per-page arrays that
// play the part of struct page: the slab slot of the folio each page belongs
// to, the page's PTE mapcount (page->_mapcount + 1) and whether its contents
// are non-zero (what the zero-page remap after a split and thp_underused()
// look at). A page finds its folio with two array reads and no hashing; the
// pieces of a split sit side by side in the slab.
#ifndef MMREPLAY_MM_FOLIO_H_
#define MMREPLAY_MM_FOLIO_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "base/check.h"
#include "mm/free_set.h"

namespace mmreplay::mm {

// Folio flags the model keeps (page-flags.h names).
enum FolioFlag : uint8_t {
  kFolioAnon = 1 << 0,             // folio_test_anon()
  kFolioPartiallyMapped = 1 << 1,  // PG_partially_mapped
  kFolioDeferredListed = 1 << 2,   // on the deferred split queue
  kFolioLocked = 1 << 3,           // PG_locked
  kFolioIsolated = 1 << 4,         // off the LRU for compaction
  kFolioLazyfree = 1 << 5,         // MADV_FREE: !PG_swapbacked
  kFolioDirty = 1 << 6,            // PG_dirty (page cache)
};

inline constexpr uint32_t kNoFolio = UINT32_MAX;

struct Folio {
  // The head PFN; kNoFolio for a free slab slot.
  uint32_t head = kNoFolio;
  // anon_vma id (anon) or file id (page cache).
  uint32_t owner = 0;
  uint8_t order = 0;
  uint8_t flags = 0;
  // Pages with at least one PTE mapping (_nr_pages_mapped,
  // CONFIG_PAGE_MAPCOUNT).
  uint16_t nr_pages_mapped = 0;
  // _refcount.
  int32_t refcount = 0;
  // folio_mapcount(): every PTE and every PMD mapping counts one.
  int32_t mapcount = 0;
  // _entire_mapcount + 1: PMD mappings.
  int32_t entire_mapcount = 0;
  // _pincount (FOLL_PIN).
  int32_t pincount = 0;
  // Deferred split queue links (head PFNs), kNoFolio at the ends.
  uint32_t deferred_prev = kNoFolio;
  uint32_t deferred_next = kNoFolio;
  // Page-cache index of the first page, or (anon) the linear page index the
  // folio was first mapped at (vma_address() in reverse).
  uint64_t index = 0;

  uint64_t pages() const { return uint64_t{1} << order; }
  bool test(FolioFlag f) const { return flags & f; }
  void set(FolioFlag f) { flags |= f; }
  void clear(FolioFlag f) { flags &= static_cast<uint8_t>(~f); }
};

class FolioTable {
 public:
  explicit FolioTable(uint64_t total_pages);

  // Makes a folio of [head, head + 2^order), refcount 0, nothing mapped.
  // REQUIRES: the pages belong to no folio. References to other records
  // stay valid.
  Folio& Create(uint32_t head, uint32_t order);
  // Forgets the folio. REQUIRES: it exists.
  void Destroy(uint32_t head);

  // The folio holding pfn, or null if the page belongs to none.
  Folio* Of(uint32_t pfn) {
    uint32_t slot = page_slot_[pfn];
    return slot == 0 ? nullptr : &Slot(slot - 1);
  }
  const Folio* Of(uint32_t pfn) const {
    return const_cast<FolioTable*>(this)->Of(pfn);
  }
  // Head PFN of the folio holding pfn. REQUIRES: there is one.
  uint32_t HeadOf(uint32_t pfn) const { return Slot(page_slot_[pfn] - 1).head; }
  // The folio whose head is `head`. REQUIRES: it exists.
  Folio& At(uint32_t head) {
    DCHECK(page_slot_[head] != 0 && Slot(page_slot_[head] - 1).head == head);
    return Slot(page_slot_[head] - 1);
  }

  // Per-page PTE mapcount.
  uint16_t& page_mapcount(uint32_t pfn) { return page_mapcount_[pfn]; }
  uint16_t page_mapcount(uint32_t pfn) const { return page_mapcount_[pfn]; }

  // Per-page "contents not all zero".
  bool nonzero(uint32_t pfn) const {
    return nonzero_[pfn / 64] >> (pfn % 64) & 1;
  }
  void set_nonzero(uint32_t pfn, bool v) {
    uint64_t bit = uint64_t{1} << (pfn % 64);
    if (v) {
      nonzero_[pfn / 64] |= bit;
    } else {
      nonzero_[pfn / 64] &= ~bit;
    }
  }

  // set_nonzero() for the n pages from pfn, a word at a time.
  void set_nonzero_range(uint32_t pfn, uint32_t n, bool v);

  size_t size() const { return live_; }
  // Heads of every folio, sorted (for checks and reports).
  std::vector<uint32_t> SortedHeads() const;
  // Bytes of the folio records (the slab, free slots included).
  size_t record_bytes() const;
  // Bytes of the per-page arrays.
  size_t page_array_bytes() const;

 private:
  // The slab: fixed-size chunks, so growing it never moves the records
  // callers hold.
  static constexpr uint32_t kChunkShift = 12;
  Folio& Slot(uint32_t i) const {
    return chunks_[i >> kChunkShift][i & ((1u << kChunkShift) - 1)];
  }
  std::vector<std::unique_ptr<Folio[]>> chunks_;
  uint32_t slots_ = 0;
  size_t live_ = 0;
  // Per page: 1 + the slab slot of its folio, or 0.
  std::vector<uint32_t> page_slot_;
  std::vector<uint16_t> page_mapcount_;
  std::vector<uint64_t> nonzero_;
  // Slots below slots_ that hold no folio.
  FreeSet free_slots_;
};

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_FOLIO_H_
