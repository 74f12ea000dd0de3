// The deferred split queue (mm/huge_memory.c): deferred_split_folio(), the
// queue, deferred_split_scan().
#include "mm/deferred_split.h"

#include <vector>

#include "absl/strings/str_format.h"
#include "base/check.h"
#include "mm/model.h"
#include "mm/shmem.h"
#include "mm/split.h"

namespace mmreplay::mm {

void DeferredSplitQueue::AddTail(FolioTable& folios, uint32_t head, Folio& f) {
  LargeFolio& l = folios.Large(f);
  l.deferred_prev = tail_;
  l.deferred_next = kNoFolio;
  if (tail_ != kNoFolio) {
    folios.Large(folios.At(tail_)).deferred_next = head;
  } else {
    head_ = head;
  }
  tail_ = head;
  ++len_;
}

void DeferredSplitQueue::Del(FolioTable& folios, Folio& f) {
  LargeFolio& l = folios.Large(f);
  if (l.deferred_prev != kNoFolio) {
    folios.Large(folios.At(l.deferred_prev)).deferred_next = l.deferred_next;
  } else {
    head_ = l.deferred_next;
  }
  if (l.deferred_next != kNoFolio) {
    folios.Large(folios.At(l.deferred_next)).deferred_prev = l.deferred_prev;
  } else {
    tail_ = l.deferred_prev;
  }
  l.deferred_prev = l.deferred_next = kNoFolio;
  --len_;
}

absl::Status DeferredSplitQueue::Verify(const FolioTable& folios) const {
  uint64_t n = 0;
  uint32_t prev = kNoFolio;
  for (uint32_t h = head_; h != kNoFolio;) {
    const Folio* f = folios.Peek(h);
    if (f == nullptr || f->head != h || f->order < 2 ||
        !f->test(kFolioDeferredListed) ||
        folios.Large(*f).deferred_prev != prev) {
      return absl::InternalError(
          absl::StrFormat("deferred split queue broken at 0x%x", h));
    }
    prev = h;
    h = folios.Large(*f).deferred_next;
    if (++n > len_) break;
  }
  if (n != len_ || prev != tail_) {
    return absl::InternalError(absl::StrFormat(
        "deferred split queue holds %d folios, its length says %d", n, len_));
  }
  return absl::OkStatus();
}

// deferred_split_folio().
void DeferredSplitFolio(MmState& mm, uint32_t head, Folio& f,
                        bool partially_mapped) {
  if (f.order <= 1) return;
  if (!partially_mapped && !mm.knobs.shrink_underused) return;
  // Before "mm: allow deferred splitting of arbitrary anon large folios"
  // (v6.8) only PMD-sized folios were queued.
  if (!mm.profile.deferred_split_any_order && f.order != kPmdOrder) return;
  if (partially_mapped && !f.test(kFolioPartiallyMapped)) {
    // folio_set_partially_mapped(), counted as the kernel counts it.
    f.set(kFolioPartiallyMapped);
    mm.NewEvent(EVENT_FOLIO_SET_PARTIALLY_MAPPED, head, &f, REASON_UNSPECIFIED);
    mm.Emit();
    if (f.order == kPmdOrder) {
      mm.counters.Count(VmEvent::kThpDeferredSplitPage);
    }
    mm.counters.Count(MthpStat::kSplitDeferred, f.order);
    mm.counters.Count(MthpStat::kNrAnonPartiallyMapped, f.order);
  }
  // Already queued (as possibly underused): the flag and counters change,
  // the queue does not.
  if (f.test(kFolioDeferredListed)) return;
  f.set(kFolioDeferredListed);
  mm.deferred.AddTail(mm.folios, head, f);
  mm.NewEvent(EVENT_DEFERRED_ADD, head, &f,
              partially_mapped ? REASON_PARTIALLY_MAPPED : REASON_UNDERUSED);
  mm.Emit();
}

// folio_unqueue_deferred_split(): unlinks the folio and, as every path off
// the queue does, clears its partially mapped flag.
void UnqueueDeferredSplit(MmState& mm, uint32_t head, Folio& f, Reason reason) {
  DCHECK(f.test(kFolioDeferredListed));
  mm.deferred.Del(mm.folios, f);
  f.clear(kFolioDeferredListed);
  if (f.test(kFolioPartiallyMapped)) {
    // folio_clear_partially_mapped() in __folio_unqueue_deferred_split()
    // (and __folio_split()): before the folio leaves the list.
    f.clear(kFolioPartiallyMapped);
    mm.counters.Count(MthpStat::kNrAnonPartiallyMapped, f.order, -1);
    mm.NewEvent(EVENT_FOLIO_CLEAR_PARTIALLY_MAPPED, head, &f, reason);
    mm.Emit();
  }
  mm.NewEvent(EVENT_DEFERRED_REMOVE, head, &f, reason);
  mm.Emit();
}

// thp_underused(): more all-zero pages than khugepaged's max_ptes_none;
// never at the default max_ptes_none of 511.
bool ThpUnderused(const MmState& mm, const Folio& f) {
  if (mm.knobs.max_ptes_none == kPtesPerTable - 1) return false;
  uint64_t zero = f.pages() - mm.folios.Large(f).nonzero_pages;
  return zero > mm.knobs.max_ptes_none;
}

// deferred_split_scan(): takes up to nr_to_scan folios from the head of the
// queue. A partially mapped folio is split uniformly to order 0 and stays
// queued (at the tail) if that fails; one queued as possibly underused is
// split only if thp_underused() says so, and leaves the queue either way.
absl::Status Model::DeferredSplitScan(uint64_t nr_to_scan) {
  DeferredSplitQueue& q = mm_.deferred;
  if (nr_to_scan == 0 || nr_to_scan > q.len()) nr_to_scan = q.len();
  std::vector<uint32_t> taken;
  for (uint32_t h = q.first(); h != kNoFolio && taken.size() < nr_to_scan;
       h = DeferredSplitQueue::Next(mm_.folios, h)) {
    taken.push_back(h);
  }
  std::vector<uint32_t> keep;
  for (uint32_t head : taken) {
    Folio* f = &mm_.folios.At(head);
    bool underused = false;
    if (!f->test(kFolioPartiallyMapped)) {
      // (mlocked folios are skipped here; the model has no mlock.)
      underused = mm_.profile.thp_underused_shrinker && ThpUnderused(mm_, *f);
      if (!underused) {
        UnqueueDeferredSplit(mm_, head, *f, REASON_DEFERRED_SCAN);
        continue;
      }
    }
    // split_folio(): uniform to order 0. The scan holds a reference.
    int err = SplitFolio(mm_, head, 0, SplitKind::kUniform, /*split_at=*/0,
                         /*caller_pins=*/0, REASON_DEFERRED_SCAN);
    if (err == 0) {
      if (underused) mm_.counters.Count(VmEvent::kThpUnderusedSplitPage);
      continue;
    }
    f = &mm_.folios.At(head);
    if (!f->test(kFolioPartiallyMapped)) {
      UnqueueDeferredSplit(mm_, head, *f, REASON_DEFERRED_SCAN);
    } else {
      keep.push_back(head);
    }
  }
  // list_splice_tail(): what stays goes behind the folios not scanned.
  for (uint32_t head : keep) {
    Folio& f = mm_.folios.At(head);
    q.Del(mm_.folios, f);
    q.AddTail(mm_.folios, head, f);
  }
  // The op is a pass of every shrinker (drop_caches' shrink_slab(), as
  // mmcapture runs it): tmpfs's own runs after this one (registered later).
  ShmemUnusedHugeShrink(mm_);
  return absl::OkStatus();
}

}  // namespace mmreplay::mm
