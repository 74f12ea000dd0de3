// Folios (include/linux/mm_types.h struct folio): the model's unit of
// memory. A folio is 2^order naturally aligned pages; it is identified by its
// head PFN.
//
// FolioTable holds one record per live folio (no object per 4 KiB page) and
// three dense per-page arrays that play the part of struct page: the order
// of the folio each page belongs to (so head = pfn rounded down), the
// page's PTE mapcount (page->_mapcount + 1) and whether its contents are
// non-zero (what the zero-page remap after a split and thp_underused() look
// at).
#ifndef MMREPLAY_MM_FOLIO_H_
#define MMREPLAY_MM_FOLIO_H_

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "base/check.h"

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
  // REQUIRES: the pages belong to no folio.
  Folio& Create(uint32_t head, uint32_t order);
  // Forgets the folio. REQUIRES: it exists.
  void Destroy(uint32_t head);

  // The folio holding pfn, or null if the page belongs to none.
  Folio* Of(uint32_t pfn) {
    uint8_t o = page_order_[pfn];
    if (o == kNoOrder) return nullptr;
    auto it = folios_.find(pfn & ~((uint32_t{1} << o) - 1));
    DCHECK(it != folios_.end());
    return &it->second;
  }
  const Folio* Of(uint32_t pfn) const {
    return const_cast<FolioTable*>(this)->Of(pfn);
  }
  // Head PFN of the folio holding pfn. REQUIRES: there is one.
  uint32_t HeadOf(uint32_t pfn) const {
    return pfn & ~((uint32_t{1} << page_order_[pfn]) - 1);
  }
  Folio& At(uint32_t head) {
    auto it = folios_.find(head);
    DCHECK(it != folios_.end());
    return it->second;
  }

  // Re-labels the pages of a folio being split: [head, head + 2^order)
  // becomes one folio of `order` (its record is created by the caller).
  void SetPageOrder(uint32_t head, uint32_t order);

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

  size_t size() const { return folios_.size(); }
  // Heads of every folio, sorted (for checks and reports).
  std::vector<uint32_t> SortedHeads() const;
  // Bytes of the folio records (the hash table's slots and control bytes).
  size_t record_bytes() const;
  // Bytes of the per-page arrays.
  size_t page_array_bytes() const;

 private:
  static constexpr uint8_t kNoOrder = 0xff;
  absl::flat_hash_map<uint32_t, Folio> folios_;
  std::vector<uint8_t> page_order_;
  std::vector<uint16_t> page_mapcount_;
  std::vector<uint64_t> nonzero_;
};

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_FOLIO_H_
