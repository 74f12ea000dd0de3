// The deferred split queue (mm/huge_memory.c): large anonymous folios that
// may be worth splitting (partly unmapped, or PMD faults that may be
// underused) wait here until the shrinker runs deferred_split_scan().
//
// Simplified: one queue (the kernel has one per memcg and node); the scan's
// temporary folio reference is not logged.
#include "base/check.h"
#include "mm/model.h"

namespace mmreplay::mm {

// deferred_split_folio().
void Model::DeferredSplitFolio(uint32_t head, Folio& f, bool partially_mapped) {
  if (f.order <= 1) return;
  if (!partially_mapped && !knobs_.shrink_underused) return;
  // Before "mm: allow deferred splitting of arbitrary anon large folios"
  // (v6.8) only PMD-sized folios were queued.
  if (!profile_.deferred_split_any_order && f.order != kPmdOrder) return;
  if (partially_mapped && !f.test(kFolioPartiallyMapped)) {
    f.set(kFolioPartiallyMapped);
    if (f.order == kPmdOrder) counters_.Count(VmEvent::kThpDeferredSplitPage);
    counters_.Count(MthpStat::kSplitDeferred, f.order);
    counters_.Count(MthpStat::kNrAnonPartiallyMapped, f.order);
  }
  // Already queued (as possibly underused): the flag and counters change,
  // the queue does not.
  if (f.test(kFolioDeferredListed)) return;
  f.set(kFolioDeferredListed);
  LinkDeferredTail(head, f);
  ++deferred_len_;
  NewEvent(EVENT_DEFERRED_ADD, head, &f,
           partially_mapped ? REASON_PARTIALLY_MAPPED : REASON_UNDERUSED);
  Emit();
}

void Model::LinkDeferredTail(uint32_t head, Folio& f) {
  LargeFolio& l = folios_.Large(f);
  l.deferred_prev = deferred_tail_;
  l.deferred_next = kNoFolio;
  if (deferred_tail_ != kNoFolio) {
    folios_.Large(folios_.At(deferred_tail_)).deferred_next = head;
  } else {
    deferred_head_ = head;
  }
  deferred_tail_ = head;
}

void Model::UnlinkDeferred(Folio& f) {
  LargeFolio& l = folios_.Large(f);
  if (l.deferred_prev != kNoFolio) {
    folios_.Large(folios_.At(l.deferred_prev)).deferred_next = l.deferred_next;
  } else {
    deferred_head_ = l.deferred_next;
  }
  if (l.deferred_next != kNoFolio) {
    folios_.Large(folios_.At(l.deferred_next)).deferred_prev = l.deferred_prev;
  } else {
    deferred_tail_ = l.deferred_prev;
  }
  l.deferred_prev = l.deferred_next = kNoFolio;
}

// Unlinks the folio and, as every path off the queue does, clears its
// partially mapped flag.
void Model::UnqueueDeferred(uint32_t head, Folio& f, Reason reason) {
  DCHECK(f.test(kFolioDeferredListed));
  UnlinkDeferred(f);
  f.clear(kFolioDeferredListed);
  --deferred_len_;
  if (f.test(kFolioPartiallyMapped)) {
    f.clear(kFolioPartiallyMapped);
    counters_.Count(MthpStat::kNrAnonPartiallyMapped, f.order, -1);
  }
  NewEvent(EVENT_DEFERRED_REMOVE, head, &f, reason);
  Emit();
}

// thp_underused(): more all-zero pages than khugepaged's max_ptes_none;
// never at the default max_ptes_none of 511.
bool Model::ThpUnderused(const Folio& f) const {
  if (knobs_.max_ptes_none == kPtesPerTable - 1) return false;
  uint64_t zero = f.pages() - folios_.Large(f).nonzero_pages;
  return zero > knobs_.max_ptes_none;
}

// deferred_split_scan(): takes up to nr_to_scan folios from the head of the
// queue. A partially mapped folio is split uniformly to order 0 and stays
// queued (at the tail) if that fails; one queued as possibly underused is
// split only if thp_underused() says so, and leaves the queue either way.
absl::Status Model::DeferredSplitScan(uint64_t nr_to_scan) {
  if (nr_to_scan == 0 || nr_to_scan > deferred_len_) nr_to_scan = deferred_len_;
  std::vector<uint32_t> taken;
  for (uint32_t h = deferred_head_; h != kNoFolio && taken.size() < nr_to_scan;
       h = folios_.Large(folios_.At(h)).deferred_next) {
    taken.push_back(h);
  }
  std::vector<uint32_t> keep;
  for (uint32_t head : taken) {
    Folio* f = &folios_.At(head);
    bool underused = false;
    if (!f->test(kFolioPartiallyMapped)) {
      // (mlocked folios are skipped here; the model has no mlock.)
      underused = profile_.thp_underused_shrinker && ThpUnderused(*f);
      if (!underused) {
        UnqueueDeferred(head, *f, REASON_DEFERRED_SCAN);
        continue;
      }
    }
    // split_folio(): uniform to order 0. The scan holds a reference.
    int err = SplitFolio(head, 0, 0, /*uniform=*/true, /*caller_pins=*/0,
                         REASON_DEFERRED_SCAN);
    if (err == 0) {
      if (underused) counters_.Count(VmEvent::kThpUnderusedSplitPage);
      continue;
    }
    f = &folios_.At(head);
    if (!f->test(kFolioPartiallyMapped)) {
      UnqueueDeferred(head, *f, REASON_DEFERRED_SCAN);
    } else {
      keep.push_back(head);
    }
  }
  // list_splice_tail(): what stays goes behind the folios not scanned.
  for (uint32_t head : keep) {
    Folio& f = folios_.At(head);
    UnlinkDeferred(f);
    LinkDeferredTail(head, f);
  }
  return absl::OkStatus();
}

}  // namespace mmreplay::mm
