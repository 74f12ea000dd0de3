#include "mm/page_table.h"

#include "base/check.h"

namespace mmreplay::mm {

PteTable& PageTable::TableFor(uint64_t addr) {
  Pmd* found = FindPmd(addr);
  if (found == nullptr) {
    Forget();  // the insert may move the b-tree's entries
    found = &pmds_[PmdIndex(addr)];
  }
  Pmd& pmd = *found;
  DCHECK(pmd.kind == Pmd::Kind::kTable);
  if (pmd.table == nullptr) pmd.table = std::make_unique<PteTable>();
  return *pmd.table;
}

Pmd& PageTable::SetHuge(uint64_t addr) {
  Forget();
  Pmd& pmd = pmds_[PmdIndex(addr)];
  DCHECK(pmd.table == nullptr || pmd.table->used == 0);
  pmd.table.reset();
  return pmd;
}

Pte PageTable::GetPte(uint64_t addr) const {
  const Pmd* pmd = FindPmd(addr);
  if (pmd == nullptr || pmd->kind != Pmd::Kind::kTable || !pmd->table) {
    return Pte::None();
  }
  return pmd->table->pte[PteIndex(addr)];
}

void PageTable::SetPte(uint64_t addr, Pte pte) {
  PteTable& t = TableFor(addr);
  Pte& slot = t.pte[PteIndex(addr)];
  t.used += (pte.none() ? 0 : 1) - (slot.none() ? 0 : 1);
  slot = pte;
}

size_t PageTable::tables() const {
  size_t n = 0;
  for (const auto& [k, pmd] : pmds_) n += pmd.table != nullptr;
  return n;
}

}  // namespace mmreplay::mm
