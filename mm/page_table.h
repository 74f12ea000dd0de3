// One process's page tables, cut to what the model needs: a PMD entry for
// each 2 MiB of address space that has one, mapping either a PMD-sized folio
// (pmd_trans_huge), the huge zero folio, or a table of 512 PTEs. Lookup is a
// b-tree step for the PMD and an array index for the PTE; range walks visit
// PMDs in address order.
#ifndef MMREPLAY_MM_PAGE_TABLE_H_
#define MMREPLAY_MM_PAGE_TABLE_H_

#include <array>
#include <cstdint>
#include <memory>

#include "absl/container/btree_map.h"

namespace mmreplay::mm {

inline constexpr int kPmdShift = 21;
inline constexpr uint64_t kPmdSize = uint64_t{1} << kPmdShift;
inline constexpr int kPtesPerTable = 512;

// A PTE: none, the shared zero page (read-only), or a PFN with a write bit.
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
  bool present_page() const { return v_ > 1; }
  uint32_t pfn() const { return (v_ & ~kWrite) - 2; }
  bool writable() const { return v_ & kWrite; }
  Pte WithWrite(bool w) const {
    return Pte(w ? (v_ | kWrite) : (v_ & ~kWrite));
  }
  bool operator==(const Pte& o) const { return v_ == o.v_; }

 private:
  static constexpr uint32_t kWrite = 1u << 31;
  explicit Pte(uint32_t v) : v_(v) {}
  uint32_t v_;
};

struct PteTable {
  PteTable() { pte.fill(Pte::None()); }
  std::array<Pte, kPtesPerTable> pte;
  // Entries that are not none.
  int used = 0;
};

struct Pmd {
  enum class Kind : uint8_t { kTable, kFolio, kHugeZero };
  Kind kind = Kind::kTable;
  // kFolio: write permission and the folio's head PFN.
  bool writable = false;
  uint32_t head = 0;
  // kTable.
  std::unique_ptr<PteTable> table;
};

class PageTable {
 public:
  static uint64_t PmdIndex(uint64_t addr) { return addr >> kPmdShift; }
  static int PteIndex(uint64_t addr) {
    return static_cast<int>((addr >> 12) & (kPtesPerTable - 1));
  }

  // The PMD entry covering addr, or null. Faults and zaps look up the same
  // PMD many times in a row: the last lookup is remembered (until the map
  // changes).
  Pmd* FindPmd(uint64_t addr) {
    uint64_t key = PmdIndex(addr);
    if (key == last_key_) return last_pmd_;
    auto it = pmds_.find(key);
    last_key_ = key;
    last_pmd_ = it == pmds_.end() ? nullptr : &it->second;
    return last_pmd_;
  }
  const Pmd* FindPmd(uint64_t addr) const {
    return const_cast<PageTable*>(this)->FindPmd(addr);
  }
  // The PTE table covering addr, made empty if there is none.
  // REQUIRES: the PMD is not a huge mapping.
  PteTable& TableFor(uint64_t addr);
  // Sets the PMD covering addr to a huge mapping.
  Pmd& SetHuge(uint64_t addr);
  void ClearPmd(uint64_t addr) {
    Forget();
    pmds_.erase(PmdIndex(addr));
  }

  // The PTE for addr (none when there is no table or the PMD is huge).
  Pte GetPte(uint64_t addr) const;
  // Sets a PTE in the table covering addr (made if missing).
  void SetPte(uint64_t addr, Pte pte);

  // PMD indices with an entry in [start, end), lowest first.
  template <typename Fn>
  void ForEachPmd(uint64_t start, uint64_t end, Fn fn) {
    for (auto it = pmds_.lower_bound(PmdIndex(start));
         it != pmds_.end() && (it->first << kPmdShift) < end;) {
      uint64_t key = it->first;
      fn(key << kPmdShift, it->second);
      // fn may erase the entry: continue after its key.
      it = pmds_.upper_bound(key);
    }
  }

  const absl::btree_map<uint64_t, Pmd>& pmds() const { return pmds_; }
  absl::btree_map<uint64_t, Pmd>& mutable_pmds() { return pmds_; }

  PageTable() = default;
  // Copies and moves must not carry the lookup cache (it points into the
  // source's map).
  PageTable(PageTable&& o) noexcept : pmds_(std::move(o.pmds_)) {}
  PageTable& operator=(PageTable&& o) noexcept {
    pmds_ = std::move(o.pmds_);
    Forget();
    o.Forget();
    return *this;
  }
  size_t tables() const;

 private:
  void Forget() {
    last_key_ = UINT64_MAX;
    last_pmd_ = nullptr;
  }

  absl::btree_map<uint64_t, Pmd> pmds_;
  uint64_t last_key_ = UINT64_MAX;
  Pmd* last_pmd_ = nullptr;
};

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_PAGE_TABLE_H_
