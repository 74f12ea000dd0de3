// Reverse mapping (mm/rmap.c): the mapcounts of a folio as page-table
// entries are added and removed, and the "partially mapped" rule that puts
// an anonymous folio on the deferred split queue.
#include <algorithm>

#include "absl/container/btree_map.h"
#include "absl/strings/str_format.h"
#include "base/check.h"
#include "mm/model.h"

namespace mmreplay::mm {

// folio_add_anon_rmap_pmd().
void Model::AddRmapPmd(uint32_t pid, Folio& f) {
  ++folios_.Large(f).entire_mapcount;
  ++f.mapcount;
  if (f.test(kFolioAnon)) AddMmId(pid, f, 1);
}

// __folio_remove_rmap(RMAP_LEVEL_PMD): when the last PMD mapping goes, the
// pages no PTE maps are unmapped; partially mapped if some remain.
void Model::RemoveRmapPmd(uint32_t pid, uint32_t head, Folio& f) {
  LargeFolio& l = folios_.Large(f);
  --l.entire_mapcount;
  --f.mapcount;
  if (f.test(kFolioMaybeMappedShared)) mm_ids_.Sub(f, pid, 1);
  if (l.entire_mapcount > 0) return;
  int unmapped = static_cast<int>(f.pages()) - l.nr_pages_mapped;
  bool partially_mapped =
      unmapped > 0 && unmapped < static_cast<int>(f.pages());
  if (partially_mapped && f.test(kFolioAnon) &&
      !f.test(kFolioPartiallyMapped)) {
    DeferredSplitFolio(head, f, /*partially_mapped=*/true);
  }
}

// try_to_unmap() of a file folio with TTU_SPLIT_HUGE_PMD: each mapping
// goes; a PMD one by a PMD split first (__split_huge_pmd_locked, which for
// a file just removes it, and counts thp_split_pmd).
void Model::TryToUnmapFile(uint32_t head, Reason reason) {
  for (const Mapping& m : RmapWalk(head, folios_.At(head))) {
    if (m.pmd) {
      SplitPmd(m.pid, m.addr, reason);
    } else {
      ZapRange(m.pid, m.addr, m.addr + kPageSize, reason);
    }
  }
}

// The mappings of anonymous folio f in process p: its PMD, or the PTEs of
// its pages (an anonymous page is mapped only at its linear index: no
// mremap here).
int32_t Model::MappingsIn(const Process& p, const Folio& f) const {
  const uint64_t addr = f.index << kPageShift;
  if (f.pages() == kPtesPerTable) {
    const Pmd* pmd = p.pt.FindPmd(addr);
    if (pmd != nullptr && pmd->kind == Pmd::Kind::kFolio &&
        pmd->head == f.head) {
      return 1;
    }
  }
  int32_t mine = 0;
  for (uint32_t i = 0; i < f.pages(); ++i) {
    Pte pte = p.pt.GetPte(addr + (uint64_t(i) << kPageShift));
    if (pte.present_page() && pte.pfn() == f.head + i) ++mine;
  }
  return mine;
}

// folio_maybe_mapped_shared() with CONFIG_MM_ID (6.15): an order-0 folio
// mapped more than once; a large one mapped more than once whose "maybe
// mapped shared" bit is set (mm_id.h).
bool Model::FolioMaybeMappedShared(const Folio& f) const {
  if (f.order == 0) return f.mapcount > 1;
  if (f.mapcount <= 1) return false;
  return f.test(kFolioMaybeMappedShared);
}

// folio_add_return_large_mapcount(): while the bit is clear, the process
// that maps the folio holds every mapping in its slot; another one that
// maps it takes the other slot, and the bit is set.
void Model::AddMmId(uint32_t pid, Folio& f, int nr) {
  if (f.test(kFolioMaybeMappedShared)) {
    mm_ids_.Add(f, pid, nr);
    return;
  }
  const int32_t before = f.mapcount - nr;
  if (before == 0) return;
  const uint32_t owner = OtherMapper(pid, f);
  if (owner != MmIdTable::kNoPid) mm_ids_.Share(f, owner, before, pid, nr);
}

uint32_t Model::OtherMapper(uint32_t pid, const Folio& f) const {
  for (const auto& [q, p] : processes_) {
    if (q != pid && p->anon_vma == f.owner && MappingsIn(*p, f) > 0) return q;
  }
  return MmIdTable::kNoPid;
}

// After a split the pieces are unmapped (unmap_folio) and mapped again
// (remap_page, remove_migration_ptes), each process's pages of a piece in
// turn: the first two to map it take its slots, and the bit is set if a
// second does. SIMPLIFIED: in the anon_vma family's pid order, where the
// kernel walks the anon_vma's interval tree (by vm_pgoff, then the order
// the VMAs' chains went in: fork order until a VMA is split or merged);
// docs/model.md says when the two differ.
void Model::RemapMmIds(Folio& f) {
  uint32_t first = MmIdTable::kNoPid;
  int32_t first_count = 0;
  for (const auto& [pid, p] : processes_) {
    if (p->anon_vma != f.owner) continue;
    const int32_t n = MappingsIn(*p, f);
    if (n == 0) continue;
    if (first == MmIdTable::kNoPid) {
      first = pid;
      first_count = n;
      continue;
    }
    mm_ids_.Share(f, first, first_count, pid, n);
    return;
  }
}

absl::Status Model::VerifyMmIds(absl::Span<const Folio* const> all) const {
  absl::btree_map<uint32_t, int> family_size;
  for (const auto& [pid, p] : processes_) ++family_size[p->anon_vma];
  size_t shared = 0;
  for (const Folio* fp : all) {
    const Folio& f = *fp;
    if (f.order == 0 || !f.test(kFolioAnon)) {
      if (f.test(kFolioMaybeMappedShared)) {
        return absl::InternalError(absl::StrFormat(
            "folio 0x%x: maybe mapped shared, not a large anon folio", f.head));
      }
      continue;
    }
    const MmIdTable::Slots* s = mm_ids_.Find(f.head);
    if (!f.test(kFolioMaybeMappedShared)) {
      if (s != nullptr) {
        return absl::InternalError(absl::StrFormat(
            "folio 0x%x: MM slots kept with the bit clear", f.head));
      }
      auto fam = family_size.find(static_cast<uint32_t>(f.owner));
      if (f.mapcount == 0 || fam == family_size.end() || fam->second < 2) {
        continue;
      }
      if (uint32_t q = OtherMapper(MmIdTable::kNoPid, f);
          q != MmIdTable::kNoPid && OtherMapper(q, f) != MmIdTable::kNoPid) {
        return absl::InternalError(absl::StrFormat(
            "folio 0x%x: mapped by processes %d and %d, the bit clear", f.head,
            q, OtherMapper(q, f)));
      }
      continue;
    }
    ++shared;
    // (The bit may stay set down to the last mapping: a slot holder's
    // unmapping that leaves it some does not look.)
    if (s == nullptr || f.mapcount < 1) {
      return absl::InternalError(absl::StrFormat(
          "folio 0x%x: maybe mapped shared with %s, mapcount %d", f.head,
          s == nullptr ? "no slots" : "slots", f.mapcount));
    }
    for (int k = 0; k < 2; ++k) {
      if (s->pid[k] == MmIdTable::kNoPid) continue;
      auto it = processes_.find(s->pid[k]);
      const int32_t mapped =
          it == processes_.end() ? 0 : MappingsIn(*it->second, f);
      if (s->count[k] < 1 || s->count[k] > mapped) {
        return absl::InternalError(
            absl::StrFormat("folio 0x%x: MM slot %d of process %d counts %d "
                            "mappings, it has %d",
                            f.head, k, s->pid[k], s->count[k], mapped));
      }
    }
  }
  if (shared != mm_ids_.size()) {
    return absl::InternalError(
        absl::StrFormat("%d folios are maybe mapped shared, %d have MM slots",
                        shared, mm_ids_.size()));
  }
  return absl::OkStatus();
}

// rmap_walk_anon(): the processes of the folio's anon_vma family, at the
// address the folio was mapped at.
std::vector<Model::Mapping> Model::RmapWalk(uint32_t head, const Folio& f) {
  std::vector<Mapping> out;
  if (!f.test(kFolioAnon)) {
    // rmap_walk_file(): the VMAs mapping the folio's file at its index.
    if (f.owner == 0) return out;
    uint64_t first = f.index, last = f.index + f.pages();
    for (auto& [pid, p_ptr] : processes_) {
      Process& p = *p_ptr;
      for (const Vma& v : p.vmas.all()) {
        if (v.file != f.owner) continue;
        uint64_t lo = std::max(first, v.pgoff);
        uint64_t hi = std::min(last, v.pgoff + v.pages());
        for (uint64_t i = lo; i < hi; ++i) {
          uint64_t addr = v.start + ((i - v.pgoff) << kPageShift);
          const Pmd* pmd = p.pt.FindPmd(addr);
          if (pmd != nullptr && pmd->kind == Pmd::Kind::kFolio &&
              pmd->head == head) {
            out.push_back({pid, addr & ~(kPmdSize - 1), true});
            // Skip the rest of this PMD's pages.
            i += ((kPmdSize - (addr & (kPmdSize - 1))) >> kPageShift) - 1;
            continue;
          }
          Pte pte = p.pt.GetPte(addr);
          if (pte.present_page() &&
              pte.pfn() == head + static_cast<uint32_t>(i - f.index)) {
            out.push_back({pid, addr, false});
          }
        }
      }
    }
    return out;
  }
  uint64_t base = f.index << kPageShift;
  for (auto& [pid, p_ptr] : processes_) {
    Process& p = *p_ptr;
    if (!f.test(kFolioAnon) || p.anon_vma != f.owner) continue;
    const Pmd* pmd = p.pt.FindPmd(base);
    if (pmd != nullptr && pmd->kind == Pmd::Kind::kFolio && pmd->head == head) {
      out.push_back({pid, base & ~(kPmdSize - 1), true});
      continue;
    }
    for (uint64_t i = 0; i < f.pages(); ++i) {
      uint64_t addr = base + (i << kPageShift);
      Pte pte = p.pt.GetPte(addr);
      if (pte.present_page() && pte.pfn() == head + i) {
        out.push_back({pid, addr, false});
      }
    }
  }
  return out;
}

}  // namespace mmreplay::mm
