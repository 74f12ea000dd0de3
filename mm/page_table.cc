#include "mm/page_table.h"

#include "base/check.h"

namespace mmreplay::mm {

Pmd& PageTable::PmdFor(uint64_t addr) {
  DCHECK(addr < kUserEnd);
  std::unique_ptr<PudTable>& pud = pgd_[addr >> kPgdShift];
  if (pud == nullptr) {
    pud = Take(spare_puds_);
    ++pud_tables_;
  }
  std::unique_ptr<PmdTable>& pmd = pud->entry[PudIndex(addr)];
  if (pmd == nullptr) {
    pmd = Take(spare_pmds_);
    ++pud->used;
    ++pmd_tables_;
  }
  return pmd->entry[PmdIndex(addr)];
}

void PageTable::EntryGone(uint64_t addr) {
  std::unique_ptr<PudTable>& pud = pgd_[addr >> kPgdShift];
  std::unique_ptr<PmdTable>& pmd = pud->entry[PudIndex(addr)];
  if (--pmd->used > 0) return;
  Give(pmd, spare_pmds_);
  --pmd_tables_;
  if (--pud->used > 0) return;
  Give(pud, spare_puds_);
  --pud_tables_;
}

uint32_t PageTable::NewTable() {
  if (table_counter_ != nullptr) ++*table_counter_;
  if (free_tables_.empty()) {
    tables_.push_back(Take(spare_ptes_));
    return static_cast<uint32_t>(tables_.size() - 1);
  }
  uint32_t slot = free_tables_.back();
  free_tables_.pop_back();
  tables_[slot] = Take(spare_ptes_);
  return slot;
}

void PageTable::FreeTable(uint32_t slot) {
  if (table_counter_ != nullptr) --*table_counter_;
  std::unique_ptr<PteTable>& t = tables_[slot];
  if (t->used != 0) {
    // Freed with entries left (a table whose PTEs the caller dropped
    // itself): a spare is empty.
    t->pte.fill(Pte::None());
    t->used = 0;
  }
  DCHECK(t->NoneRun(0, kPtesPerTable) == kPtesPerTable);
  Give(t, spare_ptes_);
  free_tables_.push_back(slot);
}

uint64_t PageTable::NextPmd(uint64_t addr, uint64_t end) const {
  // The first address past the block of 1 << shift bytes holding a.
  auto next = [](uint64_t a, int shift) {
    return (a | ((uint64_t{1} << shift) - 1)) + 1;
  };
  for (uint64_t a = addr; a < end;) {
    const PudTable* pud = pgd_[a >> kPgdShift].get();
    if (pud == nullptr) {
      a = next(a, kPgdShift);
    } else if (const PmdTable* t = pud->entry[PudIndex(a)].get();
               t == nullptr) {
      a = next(a, kPudShift);
    } else if (t->entry[PmdIndex(a)].kind == Pmd::Kind::kNone) {
      a = next(a, kPmdShift);
    } else {
      return a;
    }
  }
  return end;
}

PteTable& PageTable::MakeTable(uint64_t addr) {
  Pmd& e = PmdFor(addr);
  DCHECK(e.kind != Pmd::Kind::kTable);
  if (e.kind == Pmd::Kind::kNone) ++PmdTableOf(addr)->used;
  e = Pmd();
  e.kind = Pmd::Kind::kTable;
  e.table = NewTable();
  return Table(e);
}

Pmd& PageTable::SetHuge(uint64_t addr, Pmd::Kind kind) {
  DCHECK(kind == Pmd::Kind::kFolio || kind == Pmd::Kind::kHugeZero);
  Pmd& e = PmdFor(addr);
  if (e.kind == Pmd::Kind::kNone) {
    ++PmdTableOf(addr)->used;
  } else if (e.kind == Pmd::Kind::kTable) {
    DCHECK(Table(e).used == 0);
    FreeTable(e.table);
  }
  e = Pmd();
  e.kind = kind;
  return e;
}

void PageTable::ClearPmd(uint64_t addr) {
  Pmd* e = FindPmd(addr);
  if (e == nullptr) return;
  if (e->kind == Pmd::Kind::kTable) FreeTable(e->table);
  *e = Pmd();
  EntryGone(addr);
}

void PageTable::SetPte(uint64_t addr, Pte pte) {
  PteTable& t = TableFor(addr);
  Pte& slot = t.pte[PteIndex(addr)];
  t.used += (pte.none() ? 0 : 1) - (slot.none() ? 0 : 1);
  slot = pte;
}

size_t PageTable::bytes() const {
  return sizeof(pgd_) + pud_tables_ * sizeof(PudTable) +
         pmd_tables_ * sizeof(PmdTable) + tables() * sizeof(PteTable) +
         tables_.capacity() * sizeof(tables_[0]) +
         free_tables_.capacity() * sizeof(uint32_t) + spare_bytes();
}

size_t PageTable::spare_bytes() const {
  return spare_ptes_.size() * sizeof(PteTable) +
         spare_pmds_.size() * sizeof(PmdTable) +
         spare_puds_.size() * sizeof(PudTable);
}

size_t PageTable::max_spare_bytes() {
  return kSpares * (sizeof(PteTable) + sizeof(PmdTable) + sizeof(PudTable));
}

}  // namespace mmreplay::mm
