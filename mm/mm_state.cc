// MmState: construction, the process and file look-ups, and freeing
// folios (__folio_put, free_unref_folios).
#include "mm/mm_state.h"

#include <algorithm>
#include <deque>

#include "absl/strings/str_format.h"
#include "base/check.h"
#include "mm/deferred_split.h"
#include "mm/event.h"

namespace mmreplay::mm {

MmState::MmState(absl::Span<const ZoneSpan> zones, uint64_t total_pages,
                 const Profile& profile, const Knobs& knobs, EventSink* sink)
    : profile(profile),
      knobs(knobs),
      sink(sink),
      buddy(std::vector<ZoneSpan>(zones.begin(), zones.end())),
      folios(total_pages) {
  KnobsChanged();
}

Process* MmState::FindProcessSlow(uint32_t pid) {
  auto it = processes.find(pid);
  if (it == processes.end()) return nullptr;
  process_cache[pid % kProcessCache] = {pid, it->second.get()};
  return it->second.get();
}

Process& MmState::NewProcess(uint32_t pid) {
  std::unique_ptr<Process>& slot = processes[pid];
  slot = std::make_unique<Process>();
  slot->pt.set_table_counter(&pte_tables);
  return *slot;
}

File* MmState::FindFile(uint64_t file) {
  auto it = files.find(file);
  return it == files.end() ? nullptr : &it->second;
}

void MmState::EraseProcess(uint32_t pid) {
  processes.erase(pid);
  process_cache[pid % kProcessCache] = {};
}

void MmState::AllocFailed(uint32_t order, Reason reason) {
  NewEvent(EVENT_ALLOC_FAILED, reason).set_order(order);
  Emit();
}

void MmState::FreeFolios(absl::Span<Folio* const> batch, Reason reason) {
  // __folio_put() for each, in order: folio_unqueue_deferred_split(), then
  // free_pages_prepare() drops NR_ANON for anonymous large folios.
  for (size_t i = 0; i < batch.size();) {
    Folio* f = batch[i];
    DCHECK(f->refcount == 0 && f->mapcount == 0);
    uint32_t n = f->span();
    if (f->order == 0) {
      // Order-0 folios (and runs of them) at consecutive PFNs: one batch
      // of events.
      for (++i; i < batch.size() && batch[i]->order == 0 &&
                batch[i]->head == f->head + n;
           ++i) {
        n += batch[i]->span();
      }
    } else {
      ++i;
      n = 1;
      if (f->test(kFolioDeferredListed)) {
        UnqueueDeferredSplit(*this, f->head, *f, REASON_FREE);
      }
      if (f->test(kFolioAnon)) counters.Count(MthpStat::kNrAnon, f->order, -1);
    }
    NewEvent(EVENT_FOLIO_FREE, f->head, f, reason).set_repeat(n);
    Emit();
  }
  // free_unref_folios(): the pages go back, a run of adjacent folios at a
  // time. For a batch of several, the buddy's bits for their merges are
  // asked for first, so that their misses overlap.
  if (batch.size() > 1) {
    for (const Folio* f : batch) buddy.PrefetchFree(f->head, f->order);
  }
  for (size_t i = 0; i < batch.size();) {
    const uint32_t first = batch[i]->head;
    uint32_t end = first;
    size_t next = i;
    for (; next < batch.size() && batch[next]->head == end; ++next) {
      end += batch[next]->span();
    }
    if (next == i + 1) {
      folios.Destroy(*batch[i]);  // one record: no index look-up
    } else {
      folios.DestroyRange(first, end);
    }
    buddy.FreeRange(first, end - first);
    i = next;
  }
}

void MmState::PutFolio(uint32_t head, int n, Reason reason) {
  Folio& f = folios.At(head);
  f.refcount -= n;
  DCHECK(f.refcount >= 0);
  if (f.refcount == 0) FreeFolio(head, reason);
}

absl::Status MmState::VerifyFolios(std::vector<const Folio*>* all_out,
                                   std::deque<Folio>* run_folios) const {
  std::vector<const Folio*>& all = *all_out;
  all.reserve(folios.size());
  folios.ForEach([run_folios, &all](const Folio& f) {
    if (f.order > 0) {
      all.push_back(&f);
    } else {
      run_folios->push_back(f);
      all.push_back(&run_folios->back());
    }
  });
  std::sort(all.begin(), all.end(),
            [](const Folio* a, const Folio* b) { return a->head < b->head; });
  // Pages are conserved: free blocks plus folios make the machine.
  uint64_t in_folios = 0;
  uint64_t prev_end = 0;
  for (const Folio* fp : all) {
    const Folio& f = *fp;
    uint32_t head = f.head;
    const Folio* r = folios.Peek(head);
    if (r == nullptr || (r->order != 0 && r->head != head) ||
        (r->order == 0 && (head < r->head || head > r->head + r->run))) {
      return absl::InternalError(
          absl::StrFormat("folio 0x%x is not where the index says", head));
    }
    if (head < prev_end || folios.HeadOf(head + f.pages() - 1) != head) {
      return absl::InternalError(
          absl::StrFormat("folio 0x%x overlaps the one before it", head));
    }
    prev_end = head + f.pages();
    in_folios += f.pages();
    if (f.refcount <= 0) {
      return absl::InternalError(absl::StrFormat(
          "folio 0x%x is live with refcount %d", head, f.refcount));
    }
    if (f.mapcount < 0 || folios.entire_mapcount(f) < 0) {
      return absl::InternalError(
          absl::StrFormat("folio 0x%x has a negative mapcount", head));
    }
    // A large folio's count of pages with data matches its pages.
    if (f.order > 0) {
      uint32_t nonzero = 0;
      for (uint32_t i = 0; i < f.pages(); ++i) {
        nonzero += folios.nonzero(f, head + i);
      }
      if (folios.Large(f).nonzero_pages != nonzero) {
        return absl::InternalError(
            absl::StrFormat("folio 0x%x: %d non-zero pages counted, %d found",
                            head, folios.Large(f).nonzero_pages, nonzero));
      }
    }
  }
  if (in_folios + buddy.free_pages() != buddy.total_pages()) {
    return absl::InternalError(
        absl::StrFormat("pages not conserved: %d in folios + %d free != %d",
                        in_folios, buddy.free_pages(), buddy.total_pages()));
  }
  return absl::OkStatus();
}

}  // namespace mmreplay::mm
