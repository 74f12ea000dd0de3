#include "mm/folio.h"

#include <algorithm>
#include <utility>

#include "mm/match_run.h"

namespace mmreplay::mm {
namespace {

// Bits [i, i + n) of a bitmap, n <= 64, as the low bits of a word.
uint64_t Bits(const uint64_t* w, uint32_t i, uint32_t n) {
  uint64_t v = w[i / 64] >> (i % 64);
  return n == 64 ? v : v & ((uint64_t{1} << n) - 1);
}

}  // namespace

FolioTable::FolioTable(uint64_t total_pages) : index_(total_pages) {}

FolioTable::~FolioTable() {
  // The contents arrays of large folios still alive (the union member
  // LargeFolio cannot own them).
  for (uint32_t s = 0; s < large_.end(); ++s) {
    if (!large_.live(s)) continue;
    if (large_[s].folio.order > 6) delete[] large_[s].large.nonzero.words;
  }
}

void FolioTable::Destroy(uint32_t head) {
  Folio* f = Peek(head);
  CHECK(f != nullptr && f->head == head);
  Destroy(*f);
}

void FolioTable::Destroy(Folio& f) {
  // A large folio's entries are where Set() put them.
  if (f.order > 0) {
    DestroyRecord(index_.Clear(f.head, f.order));
    return;
  }
  DestroyRange(f.head, f.head + f.span());
}

void FolioTable::DestroyRecord(uint32_t ref) {
  Folio& f = Record(ref);
  live_folios_ -= f.folios();
  if (f.order > 0) {
    LargeFolio& l = Large(f);
    page_array_bytes_ -= ArrayBytes(f, l);
    if (f.order > 6) delete[] l.nonzero.words;
    if (l.page_mapcount == LargeFolio::kPerPage) {
      page_mapcounts_.Free(f.mapcounts);
    }
  }
  FreeRecord(ref);
}

void FolioTable::DestroyRange(uint32_t first, uint32_t end) {
  // One large folio: Clear() undoes its Set() at once.
  Folio* one = Peek(first);
  if (one != nullptr && one->order > 0 && one->head == first &&
      first + one->span() == end) {
    Destroy(*one);
    return;
  }
  index_.ClearRange(first, end, [this](uint32_t ref) { DestroyRecord(ref); });
}

size_t FolioTable::ArrayBytes(const Folio& f, const LargeFolio& l) {
  return (l.page_mapcount == LargeFolio::kPerPage ? f.pages() * sizeof(int32_t)
                                                  : 0) +
         (f.order > 6 && l.nonzero.words != nullptr
              ? NonzeroWords(f.order) * sizeof(uint64_t)
              : 0);
}

Folio& FolioTable::CarveRun(Folio& r, uint32_t first, uint32_t n) {
  DCHECK(r.order == 0 && first >= r.head && n >= 1 &&
         first + n <= r.head + r.run + 1);
  const uint32_t end = first + n;
  const uint32_t r_end = r.head + r.run + 1;
  Folio* out = &r;
  if (first > r.head) {
    // r keeps the folios before `first`.
    uint32_t slot = folios_.Alloc();
    Folio& m = folios_[slot];
    m = r;
    m.head = first;
    m.index = r.index + (first - r.head);
    m.run = r_end - first - 1;
    r.run = first - r.head - 1;
    index_.Assign(first, r_end, SmallRef(slot));
    out = &m;
  }
  if (end < r_end) {
    // A new record takes the folios after the carved ones.
    uint32_t slot = folios_.Alloc();
    Folio& t = folios_[slot];
    t = *out;
    t.head = end;
    t.index = out->index + (end - out->head);
    t.run = r_end - end - 1;
    out->run = n - 1;
    index_.Assign(end, r_end, SmallRef(slot));
  }
  return *out;
}

void FolioTable::PerPageMapcounts(Folio& f, LargeFolio& l) {
  if (l.page_mapcount == LargeFolio::kPerPage) return;
  f.mapcounts = page_mapcounts_.Alloc();
  std::unique_ptr<int32_t[]>& m = page_mapcounts_[f.mapcounts];
  m.reset(new int32_t[f.pages()]);
  std::fill(m.get(), m.get() + f.pages(), l.page_mapcount);
  page_array_bytes_ += f.pages() * sizeof(int32_t);
  l.page_mapcount = LargeFolio::kPerPage;
}

uint64_t* FolioTable::MakeNonzeroBits(const Folio& f, LargeFolio& l) {
  size_t words = NonzeroWords(f.order);
  uint64_t fill = l.nonzero_pages == 0 ? 0 : ~uint64_t{0};
  if (f.order <= 6) {
    l.nonzero.bits = fill;
    return &l.nonzero.bits;
  }
  if (l.nonzero.words == nullptr) {
    l.nonzero.words = new uint64_t[words];
    page_array_bytes_ += words * sizeof(uint64_t);
  }
  std::fill(l.nonzero.words, l.nonzero.words + words, fill);
  return l.nonzero.words;
}

void FolioTable::Release(Folio& f, LargeFolio& l) {
  if (f.order > 6 && l.nonzero.words != nullptr && !Mixed(f, l)) {
    delete[] l.nonzero.words;
    l.nonzero.words = nullptr;
    page_array_bytes_ -= NonzeroWords(f.order) * sizeof(uint64_t);
  }
  if (l.page_mapcount == LargeFolio::kPerPage && l.nr_pages_mapped == 0) {
    // Every page unmapped: one number says it again.
    page_mapcounts_.Free(f.mapcounts);
    page_array_bytes_ -= f.pages() * sizeof(int32_t);
    l.page_mapcount = 0;
  }
}

int FolioTable::AddPageMapcountsPerPage(Folio& f, LargeFolio& l, uint32_t pfn,
                                        uint32_t n, int delta) {
  int crossed = 0;
  PerPageMapcounts(f, l);
  int32_t* m = page_mapcounts_[f.mapcounts].get() + (pfn - f.head);
  for (uint32_t i = 0; i < n; ++i) {
    if (delta > 0) {
      crossed += m[i]++ == 0;
    } else {
      DCHECK(m[i] > 0);
      crossed += --m[i] == 0;
    }
  }
  l.nr_pages_mapped += delta > 0 ? crossed : -crossed;
  Release(f, l);
  return crossed;
}

bool FolioTable::nonzero(const Folio& f, uint32_t pfn) const {
  if (f.order == 0) return f.nonzero;
  const LargeFolio& l = Large(f);
  if (!Mixed(f, l)) return l.nonzero_pages != 0;
  uint32_t i = pfn - f.head;
  return NonzeroBits(f, l)[i / 64] >> (i % 64) & 1;
}

void FolioTable::SetNonzeroLarge(Folio& f, uint32_t pfn, uint32_t n, bool v) {
  LargeFolio& l = Large(f);
  uint32_t all = static_cast<uint32_t>(f.pages());
  if (n == all) {
    l.nonzero_pages = v ? all : 0;
    Release(f, l);
    return;
  }
  uint64_t* w = Mixed(f, l) ? NonzeroBits(f, l) : MakeNonzeroBits(f, l);
  int delta = 0;
  for (uint32_t i = pfn - f.head, end = i + n; i < end;) {
    uint32_t bit = i % 64;
    uint32_t take = std::min(64 - bit, end - i);
    uint64_t mask = (take == 64 ? ~uint64_t{0} : (uint64_t{1} << take) - 1)
                    << bit;
    uint64_t old = w[i / 64];
    uint64_t changed = (v ? ~old : old) & mask;
    delta += __builtin_popcountll(changed);
    w[i / 64] = old ^ changed;
    i += take;
  }
  l.nonzero_pages += v ? delta : -delta;
  Release(f, l);
}

void FolioTable::Split(uint32_t head, const std::vector<FolioPiece>& pieces,
                       uint8_t drop_flags, bool runs,
                       std::vector<Folio*>* made) {
  made->clear();
  Folio& live = At(head);
  const Folio parent = live;
  LargeFolio& pl = Large(live);
  // The parent's per-page state, taken before its record goes.
  const int32_t uniform_map = pl.page_mapcount;
  const uint32_t parent_nonzero = pl.nonzero_pages;
  page_array_bytes_ -= ArrayBytes(parent, pl);
  std::unique_ptr<int32_t[]> maps;
  if (pl.page_mapcount == LargeFolio::kPerPage) {
    maps = std::move(page_mapcounts_[live.mapcounts]);
    page_mapcounts_.Free(live.mapcounts);
    pl.page_mapcount = 0;
  }
  // The parent's contents bits, if mixed (owned here from now on).
  uint64_t parent_word = 0;
  std::unique_ptr<uint64_t[]> parent_words;
  const uint64_t* bits = nullptr;
  if (Mixed(parent, pl)) {
    if (parent.order <= 6) {
      parent_word = pl.nonzero.bits;
      bits = &parent_word;
    } else {
      parent_words.reset(pl.nonzero.words);
      bits = parent_words.get();
    }
  }
  if (parent.order > 6) pl.nonzero.words = nullptr;
  Destroy(head);
  auto map_of = [&](uint32_t off) { return maps ? maps[off] : uniform_map; };
  auto nonzero_of = [&](uint32_t off) {
    return bits ? (bits[off / 64] >> (off % 64) & 1) != 0 : parent_nonzero != 0;
  };
  // One record per folio, or per run of order-0 folios in the same state.
  scratch_groups_.clear();
  size_t n = 0;
  for (size_t k = 0; k < pieces.size();) {
    const FolioPiece& p = pieces[k];
    if (!runs || p.order != 0) {
      for (uint32_t c = 0; c < p.count; ++c) {
        scratch_groups_.push_back({p.head + (c << p.order), p.order, 1});
      }
      n += p.count;
      ++k;
      continue;
    }
    // A stretch of order-0 folios (pages [off, last) of the parent), cut
    // where the pages' mapcount or contents change.
    uint32_t off = p.head - head, last = off;
    for (; k < pieces.size() && pieces[k].order == 0; ++k) {
      last += pieces[k].count;
    }
    n += last - off;
    while (off < last) {
      uint32_t o = last;
      if (bits != nullptr) {
        const int32_t m = map_of(off);
        const bool z = nonzero_of(off);
        o = off + 1;
        while (o < last && map_of(o) == m && nonzero_of(o) == z) ++o;
      } else if (maps != nullptr) {
        o = off + static_cast<uint32_t>(MatchRun(
                      maps.get() + off, static_cast<int>(last - off),
                      [](int32_t m) { return static_cast<uint32_t>(m); },
                      static_cast<uint32_t>(maps[off]), 0));
      }
      scratch_groups_.push_back({head + off, 0, o - off});
      off = o;
    }
  }
  // The records: order-0 ones from their slab, lowest slots first; large
  // ones from theirs. scratch_slots_ gets each one's reference.
  const size_t records = scratch_groups_.size();
  scratch_small_.clear();
  for (const FolioPiece& p : scratch_groups_) {
    if (p.order == 0) scratch_small_.push_back(0);
  }
  folios_.AllocMany(static_cast<uint32_t>(scratch_small_.size()),
                    scratch_small_.data());
  scratch_slots_.resize(records);
  for (size_t g = 0, k = 0; g < records; ++g) {
    scratch_slots_[g] = scratch_groups_[g].order == 0
                            ? SmallRef(scratch_small_[k++])
                            : LargeRef(large_.Alloc());
  }
  live_folios_ += n;
  made->resize(records);
  const uint8_t flags = parent.flags & static_cast<uint8_t>(~drop_flags);
  for (size_t g = 0; g < records; ++g) {
    const FolioPiece& p = scratch_groups_[g];
    const uint32_t ref = scratch_slots_[g];
    Folio& f = Record(ref);
    (*made)[g] = &f;
    const uint32_t off = p.head - head;
    f.head = p.head;
    f.order = static_cast<uint8_t>(p.order);
    f.owner = parent.owner;
    f.flags = flags;
    f.index = parent.index + off;
    if (p.order == 0) {
      f.mapcount = map_of(off);
      f.nonzero = nonzero_of(off);
      f.run = p.count - 1;
      continue;
    }
    index_.Set(p.head, p.order, ref);
    LargeFolio& l = Large(f);
    const uint32_t cnt = 1u << p.order;
    // PTE mapcounts.
    bool same = true;
    const int32_t first = map_of(off);
    int32_t sum = 0, mapped = 0;
    for (uint32_t i = 0; i < cnt; ++i) {
      int32_t m = map_of(off + i);
      same &= m == first;
      sum += m;
      mapped += m > 0;
    }
    f.mapcount = sum;
    l.nr_pages_mapped = mapped;
    if (same) {
      l.page_mapcount = first;
    } else {
      PerPageMapcounts(f, l);
      std::copy(maps.get() + off, maps.get() + off + cnt,
                page_mapcounts_[f.mapcounts].get());
    }
    // Contents.
    uint32_t nz = 0;
    if (!bits) {
      nz = parent_nonzero == 0 ? 0 : cnt;
    } else {
      for (uint32_t i = 0; i < cnt; i += 64) {
        nz += __builtin_popcountll(
            Bits(bits, off + i, std::min<uint32_t>(64, cnt - i)));
      }
    }
    l.nonzero_pages = nz;
    if (Mixed(f, l)) {
      uint64_t* w = MakeNonzeroBits(f, l);
      for (uint32_t i = 0; i < cnt; i += 64) {
        w[i / 64] = Bits(bits, off + i, std::min<uint32_t>(64, cnt - i));
      }
    }
  }
  // The order-0 records' index entries: a run's range at once, single
  // folios a node at a time.
  for (size_t g = 0; g < records;) {
    const Folio& f = *(*made)[g];
    if (f.order != 0) {
      ++g;
      continue;
    }
    if (f.run > 0) {
      index_.Assign(f.head, f.head + f.run + 1, scratch_slots_[g]);
      ++g;
      continue;
    }
    size_t j = g + 1;
    while (j < records && (*made)[j]->order == 0 && (*made)[j]->run == 0) ++j;
    index_.SetRun0(f.head, static_cast<uint32_t>(j - g), &scratch_slots_[g]);
    g = j;
  }
}

}  // namespace mmreplay::mm
