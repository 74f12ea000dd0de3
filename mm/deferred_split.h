// The deferred split queue (mm/huge_memory.c): large anonymous folios that
// may be worth splitting (partly unmapped, or PMD faults that may be
// underused) wait here until the shrinker runs deferred_split_scan().
//
// Simplified: one queue (the kernel has one per memcg and node); the scan's
// temporary folio reference is not logged.
#ifndef MMREPLAY_MM_DEFERRED_SPLIT_H_
#define MMREPLAY_MM_DEFERRED_SPLIT_H_

#include <cstdint>

#include "absl/status/status.h"
#include "mm/folio.h"
#include "proto/event.pb.h"

namespace mmreplay::mm {

struct MmState;

// struct deferred_split: a FIFO of queued folios' head PFNs, linked through
// their LargeFolio records (_deferred_list), and its length
// (split_queue_len). The links only: flags, counters and events are
// DeferredSplitFolio()'s and UnqueueDeferredSplit()'s.
class DeferredSplitQueue {
 public:
  uint32_t first() const { return head_; }
  uint64_t len() const { return len_; }
  // The folio queued after `head`, or kNoFolio.
  static uint32_t Next(const FolioTable& folios, uint32_t head) {
    return folios.Large(*folios.Peek(head)).deferred_next;
  }
  // list_add_tail(). REQUIRES: f (at head) is not linked.
  void AddTail(FolioTable& folios, uint32_t head, Folio& f);
  // list_del_init(). REQUIRES: f is linked.
  void Del(FolioTable& folios, Folio& f);
  // Verify()'s part: linked both ways, only listed folios, as long as its
  // length says.
  [[nodiscard]] absl::Status Verify(const FolioTable& folios) const;

 private:
  uint32_t head_ = kNoFolio;
  uint32_t tail_ = kNoFolio;
  uint64_t len_ = 0;
};

// deferred_split_folio(): queues large anonymous folio f (at head) when the
// profile and knobs allow; `partially_mapped` also sets its flag and
// counts it.
void DeferredSplitFolio(MmState& mm, uint32_t head, Folio& f,
                        bool partially_mapped);
// folio_unqueue_deferred_split() / the scan's list_del_init(): unlinks a
// queued folio (split, free or scan) and clears its partially mapped flag
// (and nr_anon_partially_mapped). REQUIRES: f is queued.
void UnqueueDeferredSplit(MmState& mm, uint32_t head, Folio& f, Reason reason);
// thp_underused().
bool ThpUnderused(const MmState& mm, const Folio& f);

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_DEFERRED_SPLIT_H_
