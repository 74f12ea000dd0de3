// The page cache as the MM rules change it (mm/filemap.c
// filemap_add_folio, __filemap_remove_folio; mm/memory.c
// unmap_mapping_range).
#include "mm/filemap.h"

#include <algorithm>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "base/check.h"
#include "mm/rmap.h"
#include "mm/zap.h"

namespace mmreplay::mm {

// Logs the net node changes: a node freed and allocated again within one
// update (an entry replaced by its split pieces) did not change.
void EmitNodeChanges(MmState& mm, uint32_t file_id,
                     const std::vector<PageCache::NodeChange>& changes,
                     Reason reason) {
  absl::btree_map<std::pair<int, uint64_t>, int> net;
  for (const PageCache::NodeChange& c : changes) {
    net[{c.shift, c.index}] += c.alloc ? 1 : -1;
  }
  for (const PageCache::NodeChange& c : changes) {
    int& n = net[{c.shift, c.index}];
    if (n == 0 || (n > 0) != c.alloc) continue;
    n = 0;
    Event& e =
        mm.NewEvent(c.alloc ? EVENT_XA_NODE_ALLOC : EVENT_XA_NODE_FREE, reason);
    e.set_file_id(file_id);
    e.set_index(c.index);
    e.set_order(static_cast<uint32_t>(c.shift + 6));
    mm.Emit();
  }
}

Folio* AddToPageCache(MmState& mm, uint32_t file_id, File& file, uint64_t index,
                      uint32_t order, Reason reason, uint32_t* head) {
  Folio* f = mm.AllocFolio(order, reason, head);
  if (f == nullptr) return nullptr;
  f->owner = file_id;
  f->index = index;
  // One page-cache reference per page (filemap_add_folio); the
  // allocation's own reference goes when the caller is done.
  f->refcount = static_cast<int32_t>(f->pages());
  std::vector<PageCache::NodeChange> nodes;
  file.cache.Insert({index, *head, order}, &nodes);
  Event& e = mm.NewEvent(EVENT_CACHE_ADD, *head, f, reason);
  e.set_file_id(file_id);
  e.set_index(index);
  e.set_nr_pages(f->pages());
  e.set_ref_before(1);
  e.set_ref_after(f->refcount);
  mm.Emit();
  EmitNodeChanges(mm, file_id, nodes, reason);
  if (file.shmem()) {
    if (order == kPmdOrder) mm.counters.Count(VmEvent::kThpFileAlloc);
    mm.counters.Count(MthpStat::kShmemAlloc, order);
  }
  return f;
}

void RemoveFromPageCache(MmState& mm, uint32_t head, Reason reason) {
  Folio& f = mm.folios.At(head);
  DCHECK(!f.test(kFolioAnon) && f.owner != 0);
  uint32_t file_id = f.owner;
  File& file = mm.GetFile(file_id);
  std::vector<PageCache::NodeChange> nodes;
  file.cache.Erase(f.index, &nodes);
  int nr = static_cast<int>(f.pages());
  Event& e = mm.NewEvent(EVENT_CACHE_REMOVE, head, &f, reason);
  e.set_file_id(file_id);
  e.set_index(f.index);
  e.set_nr_pages(nr);
  e.set_ref_before(f.refcount);
  e.set_ref_after(f.refcount - nr);
  mm.Emit();
  EmitNodeChanges(mm, file_id, nodes, reason);
  f.owner = 0;  // folio->mapping = NULL
  mm.PutFolio(head, nr, reason);
}

void UnmapMappingRange(MmState& mm, uint32_t file_id, uint64_t first,
                       uint64_t last, bool even_cows, Reason reason) {
  for (auto& [pid, p_ptr] : mm.processes) {
    Process& p = *p_ptr;
    std::vector<Vma> vmas;
    for (const Vma& v : p.vmas.all()) {
      if (v.file == file_id) vmas.push_back(v);
    }
    for (const Vma& v : vmas) {
      uint64_t lo = std::max(first, v.pgoff);
      uint64_t hi = std::min(last + 1, v.pgoff + v.pages());
      if (lo >= hi) continue;
      const uint64_t start = v.start + ((lo - v.pgoff) << kPageShift);
      const uint64_t end = v.start + ((hi - v.pgoff) << kPageShift);
      if (even_cows || !v.anon_vma) {
        ZapRange(mm, pid, start, end, reason);
        continue;
      }
      // zap_details.even_cows false (should_zap_folio): a private
      // mapping's anonymous copies stay; the runs between them go.
      uint64_t run = start;
      for (uint64_t a = start; a < end; a += kPageSize) {
        if (MapsAnonPage(mm, p, a)) {
          if (run < a) ZapRange(mm, pid, run, a, reason);
          run = a + kPageSize;
        }
      }
      if (run < end) ZapRange(mm, pid, run, end, reason);
    }
  }
}

absl::Status VerifyPageCache(const MmState& mm,
                             absl::Span<const Folio* const> all,
                             absl::flat_hash_map<uint32_t, int64_t>* refs) {
  // The page cache's folios (file, first index, order), each checked below
  // to be a live folio of that file at that index.
  struct Cached {
    uint64_t file, index;
    uint32_t order;
  };
  absl::flat_hash_map<uint32_t, Cached> cached;
  for (const auto& [id, file] : mm.files) {
    for (const PageCache::Entry& e : file.cache.InRange(0, UINT64_MAX)) {
      auto [it, added] =
          cached.try_emplace(e.head, Cached{id, e.index, e.order});
      if (!added) {
        return absl::InternalError(absl::StrFormat(
            "folio 0x%x is in the page cache twice: file %d index %d and file "
            "%d index %d",
            e.head, it->second.file, it->second.index, id, e.index));
      }
    }
  }
  size_t cached_found = 0;
  for (const Folio* fp : all) {
    const Folio& f = *fp;
    const uint32_t head = f.head;
    auto it = cached.find(head);
    if (it == cached.end()) continue;
    const Cached& e = it->second;
    if (f.test(kFolioAnon) || f.owner != e.file || f.index != e.index ||
        f.order != e.order) {
      return absl::InternalError(absl::StrFormat(
          "folio 0x%x is in file %d's page cache at %d (order %d), not its "
          "own (%s, owner %d, index %d, order %d)",
          head, e.file, e.index, e.order, f.test(kFolioAnon) ? "anon" : "file",
          f.owner, f.index, f.order));
    }
    (*refs)[head] += f.pages();
    ++cached_found;
  }
  if (cached_found != cached.size()) {
    return absl::InternalError(
        absl::StrFormat("the page cache holds %d folios, %d of them live",
                        cached.size(), cached_found));
  }
  return absl::OkStatus();
}

}  // namespace mmreplay::mm
