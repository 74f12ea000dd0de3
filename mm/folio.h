// Folios (include/linux/mm_types.h struct folio): the model's unit of
// memory. A folio is 2^order naturally aligned pages; it is identified by its
// head PFN.
//
// FolioTable keeps, as the kernel's struct folio does, a small record for
// every folio (Folio: what the head page holds) and, for large folios only,
// the fields the kernel keeps in the tail pages beside it (LargeFolio: the
// entire mapcount, _nr_pages_mapped, _pincount, _deferred_list; per-page
// mapcounts in an array of their own while the pages differ). A run of
// order-0 folios at consecutive PFNs in the same state (the pieces of a
// uniform split) shares one record until one of them is changed on its own;
// then that one gets its own record (CarveRun). Nothing
// is kept per 4 KiB page unless a large folio's pages differ: the PTE
// mapcounts of a large folio are one number while every page has the same
// (the folio was mapped or unmapped whole), and its contents one of "all
// zero" and "all written" until some pages are written and others not.
// A page finds its folio through a radix index over PFNs (PfnIndex).
//
// Memory: 32 bytes an order-0 folio (or a run), 64 a large one, the
// index's nodes, and per-page arrays only for large folios whose pages
// differ.
#ifndef MMREPLAY_MM_FOLIO_H_
#define MMREPLAY_MM_FOLIO_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/check.h"
#include "mm/pfn_index.h"
#include "mm/slab.h"

namespace mmreplay::mm {

// Folio flags the model keeps (page-flags.h names). None for PG_locked or
// isolation from the LRU: an op runs whole, so no other op ever sees a
// folio in the middle of a split, collapse or migration (docs/model.md);
// bits 3 and 4 are free.
enum FolioFlag : uint8_t {
  kFolioAnon = 1 << 0,             // folio_test_anon()
  kFolioPartiallyMapped = 1 << 1,  // PG_partially_mapped
  kFolioDeferredListed = 1 << 2,   // on the deferred split queue
  kFolioLazyfree = 1 << 5,         // MADV_FREE: !PG_swapbacked
  kFolioDirty = 1 << 6,            // PG_dirty (page cache)
  // Large anon folios: FOLIO_MM_IDS_SHARED_BIT of _mm_ids (mm_id.h).
  kFolioMaybeMappedShared = 1 << 7,
};

inline constexpr uint32_t kNoFolio = UINT32_MAX;
// GUP_PIN_COUNTING_BIAS (include/linux/mm.h): FOLL_PIN on an order-0 folio
// adds this many references instead of a _pincount.
inline constexpr int kGupPinCountingBias = 1024;

// What a large folio's tail pages hold (struct folio's second and third
// pages): 32 bytes beside its Folio in one cache line (LargeFolioRecord),
// so that the rmap's and the zap's look at both costs one line.
struct LargeFolio {
  // _entire_mapcount + 1: PMD mappings.
  int32_t entire_mapcount = 0;
  // _pincount (FOLL_PIN).
  int32_t pincount = 0;
  // _deferred_list: queue links (head PFNs), kNoFolio at the ends.
  uint32_t deferred_prev = kNoFolio;
  uint32_t deferred_next = kNoFolio;
  // The PTE mapcount (page->_mapcount + 1) of every page while all are
  // equal; kPerPage when FolioTable keeps one for each page.
  int32_t page_mapcount = 0;
  static constexpr int32_t kPerPage = -1;
  // Pages with at least one PTE mapping (_nr_pages_mapped,
  // CONFIG_PAGE_MAPCOUNT); at most 512.
  int16_t nr_pages_mapped = 0;
  // Pages whose contents are not all zeros (at most 512); when it is
  // neither 0 nor all of them, `nonzero` says which (a bit per page).
  uint16_t nonzero_pages = 0;
  // The bits themselves for order <= 6, else an array of them that
  // FolioTable owns (allocated while the pages are mixed).
  union {
    uint64_t bits;
    uint64_t* words;
  } nonzero = {0};
};
static_assert(sizeof(LargeFolio) == 32, "the tail-page fields are 32 bytes");

// What the head page holds: 32 bytes, aligned so that no record straddles
// two cache lines.
struct alignas(32) Folio {
  // The head PFN; kNoFolio for a free slab slot.
  uint32_t head = kNoFolio;
  // anon_vma id (anon) or file id (page cache).
  uint32_t owner = 0;
  // _refcount.
  int32_t refcount = 0;
  // folio_mapcount(): every PTE and every PMD mapping counts one.
  int32_t mapcount = 0;
  // Page-cache index of the first page, or (anon) the linear page index the
  // folio was first mapped at (vma_address() in reverse).
  uint64_t index = 0;
  uint8_t order = 0;
  uint8_t flags = 0;
  // Order 0: the page's contents are not all zeros (what the zero-page
  // remap after a split and thp_underused() look at). Large folios keep
  // theirs in LargeFolio.
  bool nonzero = false;
  uint8_t unused = 0;
  union {
    // Order 0: how many more order-0 folios, at the PFNs (and indexes)
    // after this one, the record also stands for: a run of folios in the
    // same state, like the pieces of a split THP (see FolioTable).
    uint32_t run = 0;
    // Order >= 1, while large.page_mapcount is kPerPage: the slot of the
    // per-page mapcounts in FolioTable.
    uint32_t mapcounts;
  };

  uint64_t pages() const { return uint64_t{1} << order; }
  // The pages the record covers: the folio's, or its run's.
  uint32_t span() const { return order == 0 ? run + 1 : 1u << order; }
  // The folios the record stands for.
  uint32_t folios() const { return order == 0 ? run + 1 : 1; }
  bool test(FolioFlag f) const { return flags & f; }
  void set(FolioFlag f) { flags |= f; }
  void clear(FolioFlag f) { flags &= static_cast<uint8_t>(~f); }
};
static_assert(sizeof(Folio) == 32, "a folio record is 32 bytes");

// A large folio's record: its Folio and its tail pages' fields.
struct alignas(64) LargeFolioRecord {
  Folio folio;
  LargeFolio large;
};
static_assert(sizeof(LargeFolioRecord) == 64,
              "a large folio's record is a cache line");

// Folios of a split: `count` folios of `order` from head on.
struct FolioPiece {
  uint32_t head;
  uint32_t order;
  uint32_t count = 1;
};

class FolioTable {
 public:
  explicit FolioTable(uint64_t total_pages);
  ~FolioTable();
  FolioTable(const FolioTable&) = delete;
  FolioTable& operator=(const FolioTable&) = delete;

  // Makes a folio of [head, head + 2^order): refcount 0, nothing mapped,
  // contents zero. REQUIRES: the pages belong to no folio, order <= 9.
  // References to other records stay valid.
  Folio& Create(uint32_t head, uint32_t order);
  // Forgets the folio. REQUIRES: it exists.
  void Destroy(uint32_t head);
  // Forgets the folio (or run of order-0 folios) whose record f is.
  // REQUIRES: f is the table's record.
  void Destroy(Folio& f);
  // Forgets every folio in [first, end) (a batch freed together).
  // REQUIRES: no folio crosses either edge.
  void DestroyRange(uint32_t first, uint32_t end);

  // __split_folio_to_order()'s bookkeeping: replaces the folio at `head` by
  // `pieces` (which tile it, in PFN order). Each folio keeps the owner and
  // the flags but `drop_flags`, gets its index, the PTE mapcounts and
  // contents of its pages, and mapcount and nr_pages_mapped from them;
  // refcounts are 0 (the caller sets them). With `runs`, consecutive
  // order-0 pieces in the same state share a record. *made gets the
  // records, in PFN order.
  void Split(uint32_t head, const std::vector<FolioPiece>& pieces,
             uint8_t drop_flags, bool runs, std::vector<Folio*>* made);

  // The record holding pfn: its folio, or a run of order-0 folios it is
  // one of; null if the page belongs to none. For reading what all the
  // run's folios share (everything but head and index), or for the
  // model's batch paths.
  Folio* Peek(uint32_t pfn) {
    uint32_t ref = index_.Get(pfn);
    return ref == PfnIndex::kNone ? nullptr : &Record(ref);
  }
  const Folio* Peek(uint32_t pfn) const {
    return const_cast<FolioTable*>(this)->Peek(pfn);
  }
  // A cache hint for a Peek(pfn) coming up (PfnIndex::Prefetch).
  void PrefetchIndex(uint32_t pfn) const { index_.Prefetch(pfn); }
  // Peek() for a walk over nearby PFNs, valid while no folio or run is
  // made, carved or destroyed (Forget() after one is).
  class Cursor {
   public:
    explicit Cursor(FolioTable& t) : table_(t), index_(t.index_) {}
    Folio* Peek(uint32_t pfn) {
      uint32_t ref = index_.Get(pfn);
      return ref == PfnIndex::kNone ? nullptr : &table_.Record(ref);
    }
    void Forget() { index_.Forget(); }
    // PfnIndex::Cursor::entry_pages(): the pages from the last Peek()'s
    // block known to hold the same record.
    uint32_t entry_pages() const { return index_.entry_pages(); }

   private:
    FolioTable& table_;
    PfnIndex::Cursor index_;
  };

  // The folio holding pfn, with a record of its own (taken out of its run
  // if it is in one); null if the page belongs to none.
  Folio* Of(uint32_t pfn) {
    Folio* r = Peek(pfn);
    if (r == nullptr || r->order != 0 || r->run == 0) return r;
    return &CarveRun(*r, pfn, 1);
  }
  // Makes the folios [first, first + n) of run r a record of their own
  // (a run of n, or one folio), the rest of r staying in records before
  // and after it; returns it. REQUIRES: r is a run's record holding them.
  Folio& CarveRun(Folio& r, uint32_t first, uint32_t n);

  // CarveRun() when r stands for more than [first, first + n); else r.
  Folio& CarveRunIfRun(Folio& r, uint32_t first, uint32_t n) {
    return r.order == 0 && r.run + 1 != n ? CarveRun(r, first, n) : r;
  }

  // Head PFN of the folio holding pfn. REQUIRES: there is one.
  uint32_t HeadOf(uint32_t pfn) const {
    const Folio& r = Record(index_.Get(pfn));
    return r.order == 0 ? pfn : r.head;
  }
  // The folio whose head is `head`, with a record of its own. REQUIRES: it
  // exists.
  Folio& At(uint32_t head) {
    Folio& f = *Of(head);
    DCHECK(f.head == head);
    return f;
  }

  // The tail-page fields. REQUIRES: f.order >= 1, and f is the table's
  // record (not a copy).
  LargeFolio& Large(const Folio& f) {
    DCHECK(f.order >= 1);
    return reinterpret_cast<LargeFolioRecord&>(const_cast<Folio&>(f)).large;
  }
  const LargeFolio& Large(const Folio& f) const {
    DCHECK(f.order >= 1);
    return reinterpret_cast<const LargeFolioRecord&>(f).large;
  }
  // Mapcount fields that order-0 folios have implicitly.
  int32_t entire_mapcount(const Folio& f) const {
    return f.order == 0 ? 0 : Large(f).entire_mapcount;
  }
  int32_t nr_pages_mapped(const Folio& f) const {
    return f.order == 0 ? (f.mapcount > 0) : Large(f).nr_pages_mapped;
  }
  int32_t pincount(const Folio& f) const {
    return f.order == 0 ? 0 : Large(f).pincount;
  }

  // The PTE mapcount of page pfn of large folio f.
  int32_t page_mapcount(const Folio& f, uint32_t pfn) const {
    DCHECK(pfn - f.head < f.pages());
    const LargeFolio& l = Large(f);
    return l.page_mapcount != LargeFolio::kPerPage
               ? l.page_mapcount
               : page_mapcounts_[f.mapcounts][pfn - f.head];
  }
  // Every mapping of page pfn of large folio f, PMD and PTE: page_mapcount()
  // of the kernels before v6.10 (folio_precise_page_mapcount() since).
  int32_t precise_page_mapcount(const Folio& f, uint32_t pfn) const {
    return entire_mapcount(f) + page_mapcount(f, pfn);
  }
  // Adds `delta` (+1 or -1) to the PTE mapcount of the n pages from pfn of
  // large folio f, and keeps its nr_pages_mapped; returns how many pages
  // went from 0 to 1 (delta +1) or from 1 to 0 (delta -1).
  int AddPageMapcounts(Folio& f, uint32_t pfn, uint32_t n, int delta) {
    LargeFolio& l = Large(f);
    if (n != f.pages() || l.page_mapcount == LargeFolio::kPerPage) {
      return AddPageMapcountsPerPage(f, l, pfn, n, delta);
    }
    // The whole folio, one number for every page.
    int32_t before = l.page_mapcount;
    l.page_mapcount += delta;
    DCHECK(l.page_mapcount >= 0);
    int crossed = (delta > 0 ? before == 0 : l.page_mapcount == 0)
                      ? static_cast<int>(n)
                      : 0;
    l.nr_pages_mapped += delta > 0 ? crossed : -crossed;
    return crossed;
  }

  // Whether page pfn of folio f has non-zero contents.
  bool nonzero(const Folio& f, uint32_t pfn) const;
  // Sets that for the n pages from pfn of folio f.
  void set_nonzero(Folio& f, uint32_t pfn, uint32_t n, bool v) {
    if (f.order == 0) {
      f.nonzero = v;
      return;
    }
    LargeFolio& l = Large(f);
    // Mostly written already: nothing changes.
    if (l.nonzero_pages == (v ? f.pages() : 0)) return;
    // A whole folio with no per-page array to keep or give back (what an
    // mTHP's first write does): one number.
    if (n == f.pages() && f.order <= 6 &&
        l.page_mapcount != LargeFolio::kPerPage) {
      l.nonzero_pages = static_cast<uint16_t>(v ? n : 0);
      return;
    }
    SetNonzeroLarge(f, pfn, n, v);
  }
  // The same for one page, found by its PFN. REQUIRES: a folio holds it.
  bool PageNonzero(uint32_t pfn) const { return nonzero(*Peek(pfn), pfn); }
  void SetPageNonzero(uint32_t pfn, bool v) {
    set_nonzero(*Of(pfn), pfn, 1, v);
  }
  // Whether every page of f has non-zero contents.
  bool all_nonzero(const Folio& f) const {
    return f.order == 0 ? f.nonzero : Large(f).nonzero_pages == f.pages();
  }

  // Folios (every folio of a run counts).
  size_t size() const { return live_folios_; }
  // Calls fn(const Folio&) for every folio: the order-0 ones in slot
  // order, then the large ones (each its record) in slot order; a run's
  // folios are shown one by one, each as its own record would be.
  template <typename Fn>
  void ForEach(Fn fn) const {
    for (uint32_t s = 0; s < folios_.end(); ++s) {
      if (!folios_.live(s)) continue;
      const Folio& r = folios_[s];
      if (r.run == 0) {
        fn(r);
        continue;
      }
      for (uint32_t i = 0; i <= r.run; ++i) {
        Folio one = r;
        one.head += i;
        one.index += i;
        one.run = 0;
        fn(static_cast<const Folio&>(one));
      }
    }
    for (uint32_t s = 0; s < large_.end(); ++s) {
      if (large_.live(s)) fn(large_[s].folio);
    }
  }

  // Bytes of the folio records (large folios' with their tail-page
  // fields), the per-page arrays, and the PFN index.
  size_t record_bytes() const { return folios_.bytes() + large_.bytes(); }
  size_t large_bytes() const {
    return page_mapcounts_.bytes() + page_array_bytes_;
  }
  size_t index_bytes() const { return index_.bytes(); }

 private:
  void SetNonzeroLarge(Folio& f, uint32_t pfn, uint32_t n, bool v);
  int AddPageMapcountsPerPage(Folio& f, LargeFolio& l, uint32_t pfn, uint32_t n,
                              int delta);
  // Makes f's per-page mapcounts explicit.
  void PerPageMapcounts(Folio& f, LargeFolio& l);
  // Whether f's pages are neither all zero nor all written.
  static bool Mixed(const Folio& f, const LargeFolio& l) {
    return l.nonzero_pages != 0 && l.nonzero_pages != f.pages();
  }
  // The contents bits of a mixed folio; MakeNonzeroBits() fills them from
  // the uniform state first (and allocates them for order > 6).
  static const uint64_t* NonzeroBits(const Folio& f, const LargeFolio& l) {
    return f.order <= 6 ? &l.nonzero.bits : l.nonzero.words;
  }
  static uint64_t* NonzeroBits(const Folio& f, LargeFolio& l) {
    return const_cast<uint64_t*>(
        NonzeroBits(f, static_cast<const LargeFolio&>(l)));
  }
  uint64_t* MakeNonzeroBits(const Folio& f, LargeFolio& l);
  // Bytes of l's per-page arrays.
  static size_t ArrayBytes(const Folio& f, const LargeFolio& l);
  // Drops per-page arrays that no longer say anything.
  void Release(Folio& f, LargeFolio& l);
  static size_t NonzeroWords(uint32_t order) {
    return order < 6 ? 1 : size_t{1} << (order - 6);
  }

  // A record's reference (what the index stores): slot << 1 in folios_
  // (order 0), or (slot << 1) | 1 in large_.
  static uint32_t SmallRef(uint32_t slot) { return slot << 1; }
  static uint32_t LargeRef(uint32_t slot) { return (slot << 1) | 1; }
  Folio& Record(uint32_t ref) const {
    return ref & 1 ? large_[ref >> 1].folio : folios_[ref >> 1];
  }
  // Forgets a record the index no longer holds, with what it owns.
  void DestroyRecord(uint32_t ref);
  // Frees the record (and its slot).
  void FreeRecord(uint32_t ref) {
    if (ref & 1) {
      large_.Free(ref >> 1);
    } else {
      folios_.Free(ref >> 1);
    }
  }

  // Order-0 folios (and runs of them), and large folios.
  Slab<Folio> folios_;
  Slab<LargeFolioRecord> large_;
  // Per-page PTE mapcounts of the large folios that need them.
  Slab<std::unique_ptr<int32_t[]>> page_mapcounts_;
  PfnIndex index_;
  // Bytes of the per-page arrays.
  size_t page_array_bytes_ = 0;
  // Split()'s records for the pieces (a folio, or a run of order-0 ones),
  // their references and the order-0 ones' slots, kept for their capacity.
  std::vector<FolioPiece> scratch_groups_;
  std::vector<uint32_t> scratch_slots_, scratch_small_;
  // Folios, counting each of a run.
  size_t live_folios_ = 0;
};

// Inline: every fault makes a folio.
inline Folio& FolioTable::Create(uint32_t head, uint32_t order) {
  const uint32_t ref =
      order > 0 ? LargeRef(large_.Alloc()) : SmallRef(folios_.Alloc());
  Folio& f = Record(ref);
  f.head = head;
  f.order = static_cast<uint8_t>(order);
  index_.Set(head, order, ref);
  ++live_folios_;
  return f;
}

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_FOLIO_H_
