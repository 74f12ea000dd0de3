// Reverse mapping (mm/rmap.c): the mapcounts of a folio as page-table
// entries are added and removed, and the "partially mapped" rule that puts
// an anonymous folio on the deferred split queue.
#include "mm/rmap.h"

#include <algorithm>

#include "absl/container/btree_map.h"
#include "absl/strings/str_format.h"
#include "base/check.h"
#include "mm/deferred_split.h"
#include "mm/zap.h"

namespace mmreplay::mm {

// folio_add_anon_rmap_pmd().
void AddRmapPmd(MmState& mm, uint32_t pid, Folio& f) {
  ++mm.folios.Large(f).entire_mapcount;
  ++f.mapcount;
  if (f.test(kFolioAnon)) AddMmId(mm, pid, f, 1);
}

// __folio_remove_rmap(RMAP_LEVEL_PMD): when the last PMD mapping goes, the
// pages no PTE maps are unmapped; partially mapped if some remain.
void RemoveRmapPmd(MmState& mm, uint32_t pid, uint32_t head, Folio& f) {
  LargeFolio& l = mm.folios.Large(f);
  --l.entire_mapcount;
  --f.mapcount;
  if (f.test(kFolioMaybeMappedShared)) mm.mm_ids.Sub(f, pid, 1);
  if (l.entire_mapcount > 0) return;
  int unmapped = static_cast<int>(f.pages()) - l.nr_pages_mapped;
  bool partially_mapped =
      unmapped > 0 && unmapped < static_cast<int>(f.pages());
  if (partially_mapped && f.test(kFolioAnon) &&
      !f.test(kFolioPartiallyMapped)) {
    DeferredSplitFolio(mm, head, f, /*partially_mapped=*/true);
  }
}

// try_to_unmap() of a file folio with TTU_SPLIT_HUGE_PMD: each mapping
// goes; a PMD one by a PMD split first (__split_huge_pmd_locked, which for
// a file just removes it, and counts thp_split_pmd).
void TryToUnmapFile(MmState& mm, uint32_t head, Reason reason) {
  for (const Mapping& m : RmapWalk(mm, head, mm.folios.At(head))) {
    if (m.pmd) {
      SplitPmd(mm, m.pid, m.addr, reason);
    } else {
      ZapRange(mm, m.pid, m.addr, m.addr + kPageSize, reason);
    }
  }
}

// The mappings of anonymous folio f in process p: its PMD, or the PTEs of
// its pages, each where its VMA maps it (AnonPageAddress).
int32_t MappingsIn(const Process& p, const Folio& f) {
  const uint64_t addr = AnonPageAddress(p, f.index);
  if (f.pages() == kPtesPerTable) {
    const Pmd* pmd = p.pt.FindPmd(addr);
    if (pmd != nullptr && pmd->kind == Pmd::Kind::kFolio &&
        pmd->head == f.head) {
      return 1;
    }
  }
  int32_t mine = 0;
  for (uint32_t i = 0; i < f.pages(); ++i) {
    const uint64_t a = p.moved_anon ? AnonPageAddress(p, f.index + i)
                                    : addr + (uint64_t(i) << kPageShift);
    Pte pte = p.pt.GetPte(a);
    if (pte.present_page() && pte.pfn() == f.head + i) ++mine;
  }
  return mine;
}

uint64_t AnonPageAddress(const Process& p, uint64_t index) {
  const uint64_t linear = index << kPageShift;
  if (!p.moved_anon) return linear;
  auto holds = [index](const Vma& v) {
    return v.anonymous() && !v.shared && index >= v.pgoff &&
           index < v.pgoff + v.pages();
  };
  const Vma* at = linear < PageTable::kUserEnd ? p.vmas.Find(linear) : nullptr;
  if (at != nullptr && holds(*at))
    return at->start + ((index - at->pgoff) << kPageShift);
  for (const Vma& v : p.vmas.all()) {
    if (holds(v)) return v.start + ((index - v.pgoff) << kPageShift);
  }
  return linear;
}

// folio_maybe_mapped_shared() with CONFIG_MM_ID (6.15): an order-0 folio
// mapped more than once; a large one mapped more than once whose "maybe
// mapped shared" bit is set (mm_id.h).
bool FolioMaybeMappedShared(const Folio& f) {
  if (f.order == 0) return f.mapcount > 1;
  if (f.mapcount <= 1) return false;
  return f.test(kFolioMaybeMappedShared);
}

// folio_add_return_large_mapcount(): while the bit is clear, the process
// that maps the folio holds every mapping in its slot; another one that
// maps it takes the other slot, and the bit is set.
void AddMmId(MmState& mm, uint32_t pid, Folio& f, int nr) {
  if (f.test(kFolioMaybeMappedShared)) {
    mm.mm_ids.Add(f, pid, nr);
    return;
  }
  const int32_t before = f.mapcount - nr;
  if (before == 0) return;
  const uint32_t owner = OtherMapper(mm, pid, f);
  if (owner != MmIdTable::kNoPid) mm.mm_ids.Share(f, owner, before, pid, nr);
}

uint32_t OtherMapper(const MmState& mm, uint32_t pid, const Folio& f) {
  for (auto [q, p] : AnonVmaFamily(mm, f.owner)) {
    if (q != pid && MappingsIn(p, f) > 0) return q;
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
void RemapMmIds(MmState& mm, Folio& f) {
  uint32_t first = MmIdTable::kNoPid;
  int32_t first_count = 0;
  for (auto [pid, p] : AnonVmaFamily(mm, f.owner)) {
    const int32_t n = MappingsIn(p, f);
    if (n == 0) continue;
    if (first == MmIdTable::kNoPid) {
      first = pid;
      first_count = n;
      continue;
    }
    mm.mm_ids.Share(f, first, first_count, pid, n);
    return;
  }
}

absl::Status VerifyMappings(const MmState& mm,
                            absl::Span<const Folio* const> all,
                            MappingCounts* counts) {
  // Every mapping points into a live folio, and each folio's mapcounts and
  // references add up: refcount = mappings + pins + speculative refs, plus
  // a page-cache folio's one reference per page (filemap_add_folio).
  absl::flat_hash_map<uint32_t, int64_t>& maps = counts->maps;
  absl::flat_hash_map<uint32_t, int64_t>& pmd_maps = counts->pmd_maps;
  absl::flat_hash_map<uint32_t, std::vector<int32_t>>& page_maps =
      counts->page_maps;
  // PageAnonExclusive: a writable anonymous mapping is exclusive, and an
  // exclusive page is mapped once (checked against every mapping below).
  std::vector<std::pair<uint32_t, uint32_t>> exclusive;  // (head, pfn)
  absl::Status broken;
  // Besides, an anonymous page is mapped only in a private VMA with an
  // anon_vma, at the address its index says (what the rmap walk and the
  // reuse rule take it to be); a private mapping never maps a page-cache
  // page writable.
  auto check_exclusive = [&](const Process& p, uint32_t pid, uint64_t addr,
                             const Folio& f, uint32_t head, uint32_t pfn,
                             bool writable, bool excl) {
    bool anon = f.test(kFolioAnon);
    const Vma* vma = p.vmas.Find(addr);
    if (broken.ok() && vma == nullptr) {
      broken = absl::InternalError(absl::StrFormat(
          "process %d: page 0x%x is mapped at 0x%x, where no VMA is", pid, pfn,
          addr));
    } else if (broken.ok() && anon &&
               (vma->shared || !vma->anon_vma ||
                AnonIndexIn(*vma, addr) != f.index + (pfn - f.head))) {
      broken = absl::InternalError(absl::StrFormat(
          "process %d: anon page 0x%x (index 0x%x) is mapped at 0x%x, in a "
          "VMA %s",
          pid, pfn, f.index + (pfn - f.head), addr,
          vma->shared      ? "that is shared"
          : !vma->anon_vma ? "without an anon_vma"
                           : "at another address"));
    } else if (broken.ok() && !anon && writable && !vma->shared) {
      broken = absl::InternalError(absl::StrFormat(
          "process %d: file page 0x%x is mapped writable at 0x%x, in a "
          "private VMA",
          pid, pfn, addr));
    } else if (broken.ok() && excl && !anon) {
      broken = absl::InternalError(absl::StrFormat(
          "process %d: the mapping at 0x%x is exclusive, of file page 0x%x",
          pid, addr, pfn));
    } else if (broken.ok() && anon && writable && !excl) {
      broken = absl::InternalError(absl::StrFormat(
          "process %d: the mapping at 0x%x of anon page 0x%x is writable, "
          "not exclusive",
          pid, addr, pfn));
    }
    if (excl) exclusive.push_back({head, pfn});
  };
  // The zero pages are mapped only in private anonymous memory, the huge
  // one in a VMA with an anon_vma (do_huge_pmd_anonymous_page prepares it
  // first).
  auto check_zero = [&](const Process& p, uint32_t pid, uint64_t addr,
                        bool huge) {
    const Vma* vma = p.vmas.Find(addr);
    if (broken.ok() && (vma == nullptr || !vma->anonymous() || vma->shared ||
                        (huge && !vma->anon_vma))) {
      broken = absl::InternalError(absl::StrFormat(
          "process %d: the %szero page is mapped at 0x%x, outside private "
          "anonymous memory%s",
          pid, huge ? "huge " : "", addr, huge ? " with an anon_vma" : ""));
    }
  };
  for (const auto& entry : mm.processes) {
    // Not a structured binding: the lambda below uses pid, and clang before
    // 16 (C++17) cannot capture one.
    const uint32_t pid = entry.first;
    const Process& p = *entry.second;
    p.pt.ForEachPmd(
        0, PageTable::kUserEnd, [&](uint64_t pmd_addr, const Pmd& pmd) {
          if (!broken.ok()) return;
          if (pmd.kind == Pmd::Kind::kFolio) {
            const Folio* f = mm.folios.Peek(pmd.head);
            if (f == nullptr || f->order == 0 || f->head != pmd.head) {
              broken = absl::InternalError(absl::StrFormat(
                  "process %d: PMD at 0x%x maps 0x%x, no folio head", pid,
                  pmd_addr, pmd.head));
              return;
            }
            ++maps[pmd.head];
            ++pmd_maps[pmd.head];
            check_exclusive(p, pid, pmd_addr, *f, pmd.head, pmd.head,
                            pmd.writable, pmd.exclusive);
          } else if (pmd.kind == Pmd::Kind::kHugeZero) {
            check_zero(p, pid, pmd_addr, /*huge=*/true);
          } else if (pmd.kind == Pmd::Kind::kTable) {
            const PteTable& t = p.pt.Table(pmd);
            int used = 0;
            for (int i = 0; i < kPtesPerTable; ++i) {
              Pte pte = t.pte[i];
              if (!pte.none()) ++used;
              if (pte.zero_page()) {
                check_zero(p, pid, pmd_addr + (uint64_t(i) << kPageShift),
                           /*huge=*/false);
              }
              if (!pte.present_page()) continue;
              const Folio* f = mm.folios.Peek(pte.pfn());
              if (f == nullptr) {
                broken = absl::InternalError(absl::StrFormat(
                    "process %d: PTE at 0x%x maps free page 0x%x", pid,
                    pmd_addr + (uint64_t(i) << kPageShift), pte.pfn()));
                return;
              }
              uint32_t head = mm.folios.HeadOf(pte.pfn());
              check_exclusive(p, pid, pmd_addr + (uint64_t(i) << kPageShift),
                              *f, head, pte.pfn(), pte.writable(),
                              pte.exclusive());
              ++maps[head];
              std::vector<int32_t>& pm = page_maps[head];
              if (pm.empty()) pm.resize(f->pages());
              ++pm[pte.pfn() - head];
            }
            if (used != t.used) {
              broken = absl::InternalError(absl::StrFormat(
                  "process %d: PTE table at 0x%x counts %d entries, holds %d",
                  pid, pmd_addr, t.used, used));
            }
          }
        });
    if (!broken.ok()) return broken;
  }
  for (const auto& [head, pfn] : exclusive) {
    auto it = page_maps.find(head);
    int64_t ptes = it == page_maps.end() ? 0 : it->second[pfn - head];
    if (ptes + (pmd_maps.contains(head) ? pmd_maps.at(head) : 0) != 1) {
      return absl::InternalError(absl::StrFormat(
          "page 0x%x is exclusive but mapped %d times", pfn,
          ptes + (pmd_maps.contains(head) ? pmd_maps.at(head) : 0)));
    }
  }
  for (const Folio* fp : all) {
    const Folio& f = *fp;
    const uint32_t head = f.head;
    int64_t m = maps.contains(head) ? maps.at(head) : 0;
    int64_t pm = pmd_maps.contains(head) ? pmd_maps.at(head) : 0;
    if (f.mapcount != m || mm.folios.entire_mapcount(f) != pm) {
      return absl::InternalError(absl::StrFormat(
          "folio 0x%x: mapcount %d (entire %d) but %d mappings (%d PMD)", head,
          f.mapcount, mm.folios.entire_mapcount(f), m, pm));
    }
    auto it = page_maps.find(head);
    int mapped_pages = 0;
    for (uint32_t i = 0; i < f.pages(); ++i) {
      int want = it == page_maps.end() ? 0 : it->second[i];
      int got =
          f.order == 0 ? f.mapcount : mm.folios.page_mapcount(f, head + i);
      if (got != want) {
        return absl::InternalError(
            absl::StrFormat("page 0x%x: PTE mapcount %d but %d PTEs map it",
                            head + i, got, want));
      }
      mapped_pages += want > 0;
    }
    if (mm.folios.nr_pages_mapped(f) != mapped_pages) {
      return absl::InternalError(absl::StrFormat(
          "folio 0x%x: nr_pages_mapped %d but %d pages have PTEs", head,
          mm.folios.nr_pages_mapped(f), mapped_pages));
    }
  }
  return absl::OkStatus();
}

absl::Status VerifyMmIds(const MmState& mm,
                         absl::Span<const Folio* const> all) {
  absl::btree_map<uint32_t, int> family_size;
  for (const auto& [pid, p] : mm.processes) ++family_size[p->anon_vma];
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
    const MmIdTable::Slots* s = mm.mm_ids.Find(f.head);
    if (!f.test(kFolioMaybeMappedShared)) {
      if (s != nullptr) {
        return absl::InternalError(absl::StrFormat(
            "folio 0x%x: MM slots kept with the bit clear", f.head));
      }
      auto fam = family_size.find(static_cast<uint32_t>(f.owner));
      if (f.mapcount == 0 || fam == family_size.end() || fam->second < 2) {
        continue;
      }
      if (uint32_t q = OtherMapper(mm, MmIdTable::kNoPid, f);
          q != MmIdTable::kNoPid &&
          OtherMapper(mm, q, f) != MmIdTable::kNoPid) {
        return absl::InternalError(absl::StrFormat(
            "folio 0x%x: mapped by processes %d and %d, the bit clear", f.head,
            q, OtherMapper(mm, q, f)));
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
      auto it = mm.processes.find(s->pid[k]);
      const int32_t mapped =
          it == mm.processes.end() ? 0 : MappingsIn(*it->second, f);
      if (s->count[k] < 1 || s->count[k] > mapped) {
        return absl::InternalError(
            absl::StrFormat("folio 0x%x: MM slot %d of process %d counts %d "
                            "mappings, it has %d",
                            f.head, k, s->pid[k], s->count[k], mapped));
      }
    }
  }
  if (shared != mm.mm_ids.size()) {
    return absl::InternalError(
        absl::StrFormat("%d folios are maybe mapped shared, %d have MM slots",
                        shared, mm.mm_ids.size()));
  }
  return absl::OkStatus();
}

// rmap_walk_anon(): the processes of the folio's anon_vma family, at the
// address the folio was mapped at.
std::vector<Mapping> RmapWalk(const MmState& mm, uint32_t head,
                              const Folio& f) {
  std::vector<Mapping> out;
  if (!f.test(kFolioAnon)) {
    // rmap_walk_file(): the VMAs mapping the folio's file at its index.
    if (f.owner == 0) return out;
    uint64_t first = f.index, last = f.index + f.pages();
    for (auto& [pid, p_ptr] : mm.processes) {
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
  for (auto [pid, p] : AnonVmaFamily(mm, f.owner)) {
    const uint64_t base = AnonPageAddress(p, f.index);
    const Pmd* pmd = p.pt.FindPmd(base);
    if (pmd != nullptr && pmd->kind == Pmd::Kind::kFolio && pmd->head == head) {
      out.push_back({pid, base & ~(kPmdSize - 1), true});
      continue;
    }
    for (uint64_t i = 0; i < f.pages(); ++i) {
      uint64_t addr = p.moved_anon ? AnonPageAddress(p, f.index + i)
                                   : base + (i << kPageShift);
      Pte pte = p.pt.GetPte(addr);
      if (pte.present_page() && pte.pfn() == head + i) {
        out.push_back({pid, addr, false});
      }
    }
  }
  return out;
}

bool MapsAnonPage(const MmState& mm, const Process& p, uint64_t addr) {
  const Pte pte = p.pt.GetPte(addr);
  return pte.present_page() && mm.folios.Peek(pte.pfn())->test(kFolioAnon);
}

}  // namespace mmreplay::mm
