// One process's page tables, as x86-64 has them with 4 KiB pages and 48-bit
// user addresses: a PGD of PUD tables of PMD tables (512 entries each), whose
// entries map a PMD-sized folio (pmd_trans_huge), the huge zero folio, or a
// table of 512 PTEs. A lookup is three array steps (no search); a range walk
// skips what has no table. Upper-level tables are made on first use and
// freed when their last entry goes (free_pgtables); a few freed tables of
// each level are kept as spares for the next to be made.
#ifndef MMREPLAY_MM_PAGE_TABLE_H_
#define MMREPLAY_MM_PAGE_TABLE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/check.h"
#include "base/page_geometry.h"
#include "mm/match_run.h"

namespace mmreplay::mm {

inline constexpr int kPtesPerTable = static_cast<int>(kPagesPerPmd);

// The largest number of pages (PFNs 0 .. kMaxPages - 1) a PTE can map.
inline constexpr uint64_t kMaxPages = (uint64_t{1} << 29) - 2;

// A PTE: none, the shared zero page (read-only), or a PFN with a write bit,
// a dirty bit (_PAGE_DIRTY: a write went through this PTE, so the page is
// known to hold data; set by the access, as the MMU does) and an exclusive
// bit. The last is the page's PageAnonExclusive: an exclusive anonymous
// page has this one mapping only, so its flag can live here.
class Pte {
 public:
  Pte() : v_(0) {}
  static Pte None() { return Pte(0); }
  static Pte ZeroPage() { return Pte(1); }
  static Pte Page(uint32_t pfn, bool writable) {
    return Pte((pfn + 2) | (writable ? kWrite : 0));
  }
  bool none() const { return v_ == 0; }
  bool zero_page() const { return v_ == 1; }
  bool present_page() const { return (v_ & ~kFlags) > 1; }
  uint32_t pfn() const { return (v_ & ~kFlags) - 2; }
  bool writable() const { return v_ & kWrite; }
  bool dirty() const { return v_ & kDirty; }
  bool exclusive() const { return v_ & kExclusive; }
  Pte WithWrite(bool w) const {
    return Pte(w ? (v_ | kWrite) : (v_ & ~kWrite));
  }
  Pte WithExclusive(bool e) const {
    return Pte(e ? (v_ | kExclusive) : (v_ & ~kExclusive));
  }
  Pte Dirty() const { return Pte(v_ | kDirty); }
  bool operator==(const Pte& o) const { return v_ == o.v_; }
  uint32_t raw() const { return v_; }

 private:
  friend struct PteTable;
  static constexpr uint32_t kWrite = 1u << 31;
  static constexpr uint32_t kDirty = 1u << 30;
  static constexpr uint32_t kExclusive = 1u << 29;
  static constexpr uint32_t kFlags = kWrite | kDirty | kExclusive;
  explicit Pte(uint32_t v) : v_(v) {}
  uint32_t v_;
};

struct PteTable {
  PteTable() { pte.fill(Pte::None()); }
  std::array<Pte, kPtesPerTable> pte;
  // Entries that are not none.
  int used = 0;

  // How many entries from i (at most n) are none.
  int NoneRun(int i, int n) const {
    return MatchRun(
        pte.data() + i, n, [](Pte p) { return p.raw(); }, 0, 0);
  }
  // The first entry from i (to stop) that is not none, or stop.
  int NextUsed(int i, int stop) const { return i + NoneRun(i, stop - i); }
  // folio_pte_batch(): how many entries from i (at most max >= 1) map
  // pte[i]'s page and the pages after it, in order; with same_bits, with
  // pte[i]'s write, dirty and exclusive bits as well (the kernel's batch
  // does not look at PageAnonExclusive, a page's flag; the walk, the only
  // caller that asks for the bits, just does in two steps what differs).
  // REQUIRES: pte[i] maps a page.
  int Batch(int i, int max, bool same_bits) const {
    const uint32_t mask = same_bits ? ~0u : ~Pte::kFlags;
    return MatchRun(
        pte.data() + i, max, [mask](Pte p) { return p.raw() & mask; },
        pte[i].raw() & mask, 1);
  }
};

// A PMD entry.
struct Pmd {
  enum class Kind : uint8_t { kNone, kTable, kFolio, kHugeZero };
  Kind kind = Kind::kNone;
  // kFolio: write permission.
  bool writable = false;
  // kFolio: PageAnonExclusive of the (anonymous) folio's pages.
  bool exclusive = false;
  // kFolio: every page of the folio is known to hold data (a write through
  // this PMD needs no change to the folio).
  bool written = false;
  union {
    // kFolio: the folio's head PFN.
    uint32_t head = 0;
    // kTable: the PTE table's slot in its PageTable.
    uint32_t table;
  };
};
static_assert(sizeof(Pmd) == 8, "a PMD entry is 8 bytes, as on x86-64");

class PageTable {
 public:
  // One past the highest user address (TASK_SIZE, rounded up).
  static constexpr uint64_t kUserEnd = uint64_t{1} << 47;

  static int PteIndex(uint64_t addr) {
    return static_cast<int>((addr >> 12) & (kPtesPerTable - 1));
  }

  PageTable() = default;
  PageTable(const PageTable&) = delete;
  PageTable& operator=(const PageTable&) = delete;
  ~PageTable() {
    if (table_counter_ != nullptr) *table_counter_ -= pte_tables();
  }

  // Counts this table's PTE tables in *counter too (MmState::pte_tables:
  // the page-table pages of every process). REQUIRES: no PTE table yet.
  void set_table_counter(uint64_t* counter) {
    DCHECK(pte_tables() == 0);
    table_counter_ = counter;
  }
  // PTE tables in use (pte_alloc()'s pages).
  uint64_t pte_tables() const { return tables_.size() - free_tables_.size(); }

  // The PMD entry covering addr, or null if it is none.
  // REQUIRES: addr < kUserEnd.
  Pmd* FindPmd(uint64_t addr) {
    PmdTable* t = PmdTableOf(addr);
    if (t == nullptr) return nullptr;
    Pmd& e = t->entry[PmdIndex(addr)];
    return e.kind == Pmd::Kind::kNone ? nullptr : &e;
  }
  const Pmd* FindPmd(uint64_t addr) const {
    return const_cast<PageTable*>(this)->FindPmd(addr);
  }
  // The first address in [addr, end) whose PMD entry is not none (addr
  // itself if its entry is not), else end: a walk's skip over unmapped
  // space, in time that grows with the tables passed, not the distance.
  uint64_t NextPmd(uint64_t addr, uint64_t end) const;
  // Whether a PMD table covers addr (mm_find_pmd finds a PMD, none or not).
  bool HasPmdTable(uint64_t addr) const { return PmdTableOf(addr) != nullptr; }
  // The PTE table of a kTable entry.
  PteTable& Table(const Pmd& pmd) const { return *tables_[pmd.table]; }

  // The PTE table covering addr, made empty if there is none.
  // REQUIRES: the PMD is not a huge mapping.
  PteTable& TableFor(uint64_t addr) {
    Pmd* found = FindPmd(addr);
    if (found == nullptr) return MakeTable(addr);
    DCHECK(found->kind == Pmd::Kind::kTable);
    return Table(*found);
  }
  // Makes the PMD entry covering addr (a huge mapping, or none) an empty
  // PTE table, for __split_huge_pmd to fill. REQUIRES: not already a table.
  PteTable& MakeTable(uint64_t addr);
  // Sets the PMD covering addr to a huge mapping of `kind` (kFolio or
  // kHugeZero), dropping an empty PTE table there. The caller fills in
  // head and writable.
  Pmd& SetHuge(uint64_t addr, Pmd::Kind kind);
  // Makes the PMD entry none (freeing its PTE table).
  void ClearPmd(uint64_t addr);

  // The PTE for addr (none when there is no table or the PMD is huge).
  Pte GetPte(uint64_t addr) const {
    const Pmd* pmd = FindPmd(addr);
    if (pmd == nullptr || pmd->kind != Pmd::Kind::kTable) return Pte::None();
    return Table(*pmd).pte[PteIndex(addr)];
  }
  // Sets a PTE in the table covering addr (made if missing).
  void SetPte(uint64_t addr, Pte pte);

  // Calls fn(pmd_addr, Pmd&) for each PMD entry that is not none in
  // [start, end), lowest first. fn may change or clear the entry it is
  // given.
  template <typename Fn>
  void ForEachPmd(uint64_t start, uint64_t end, Fn fn) {
    if (end > kUserEnd) end = kUserEnd;
    for (uint64_t a = start & ~(kPmdSize - 1); a < end;) {
      PmdTable* t = PmdTableOf(a);
      if (t == nullptr) {
        // No PMD table here: on to the next PUD entry.
        a = (a | ((uint64_t{1} << kPudShift) - 1)) + 1;
        continue;
      }
      Pmd& e = t->entry[PmdIndex(a)];
      if (e.kind != Pmd::Kind::kNone) fn(a, e);
      a += kPmdSize;
    }
  }
  template <typename Fn>
  void ForEachPmd(uint64_t start, uint64_t end, Fn fn) const {
    const_cast<PageTable*>(this)->ForEachPmd(
        start, end, [&fn](uint64_t a, const Pmd& e) { fn(a, e); });
  }

  // PTE tables in use.
  size_t tables() const { return tables_.size() - free_tables_.size(); }
  // Bytes of every level of the tables, spares included.
  size_t bytes() const;
  // Bytes of the tables kept as spares, and the most they can be.
  size_t spare_bytes() const;
  static size_t max_spare_bytes();

 private:
  static constexpr int kPudShift = 30;
  static constexpr int kPgdShift = 39;
  static constexpr int kEntries = 512;
  static constexpr int kPgdEntries = 1 << (47 - kPgdShift);
  struct PmdTable {
    std::array<Pmd, kEntries> entry;
    int used = 0;
  };
  struct PudTable {
    std::array<std::unique_ptr<PmdTable>, kEntries> entry;
    int used = 0;
  };
  static int PmdIndex(uint64_t addr) {
    return static_cast<int>((addr >> kPmdShift) & (kEntries - 1));
  }
  static int PudIndex(uint64_t addr) {
    return static_cast<int>((addr >> kPudShift) & (kEntries - 1));
  }
  PmdTable* PmdTableOf(uint64_t addr) const {
    const PudTable* pud = pgd_[addr >> kPgdShift].get();
    return pud == nullptr ? nullptr : pud->entry[PudIndex(addr)].get();
  }
  // The PMD entry for addr, making the tables above it.
  Pmd& PmdFor(uint64_t addr);
  // Called after an entry became none: frees the tables left empty.
  void EntryGone(uint64_t addr);
  uint32_t NewTable();
  void FreeTable(uint32_t slot);

  // Tables freed empty, kept (up to kSpares of each level) for the next to
  // be made: a loop that maps and unmaps one range makes and frees its
  // upper tables each time. What the model counts is unchanged: a spare is
  // not a table in use.
  static constexpr size_t kSpares = 16;
  template <typename T>
  static std::unique_ptr<T> Take(std::vector<std::unique_ptr<T>>& spares) {
    if (spares.empty()) return std::make_unique<T>();
    std::unique_ptr<T> t = std::move(spares.back());
    spares.pop_back();
    return t;
  }
  template <typename T>
  static void Give(std::unique_ptr<T>& t,
                   std::vector<std::unique_ptr<T>>& spares) {
    if (spares.size() < kSpares) {
      spares.push_back(std::move(t));
    } else {
      t.reset();
    }
  }

  std::array<std::unique_ptr<PudTable>, kPgdEntries> pgd_;
  std::vector<std::unique_ptr<PteTable>> tables_;
  std::vector<uint32_t> free_tables_;
  std::vector<std::unique_ptr<PteTable>> spare_ptes_;
  std::vector<std::unique_ptr<PmdTable>> spare_pmds_;
  std::vector<std::unique_ptr<PudTable>> spare_puds_;
  size_t pud_tables_ = 0;
  size_t pmd_tables_ = 0;
  uint64_t* table_counter_ = nullptr;
};

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_PAGE_TABLE_H_
