// MmState: what the parts of the model share, as the kernel's mm code
// shares struct page, the zones and the mm_structs. Physical memory
// (BuddyAllocator), the folios (FolioTable) and their MM slots, the
// processes with their VMAs and page tables, the files with their page
// caches, the pins and speculative references, the deferred split queue,
// the counters, the profile and knobs, and the event emitter every change
// the log shows goes through (NewEvent, Emit, EmitMapping).
//
// The MM rules are free functions over it, one header per kernel concept
// (fault.h, rmap.h, zap.h, split.h, deferred_split.h, filemap.h, shmem.h,
// truncate.h, khugepaged.h, fork.h, pin.h); mm::Model (model.h) owns one and
// keeps the op entry points.
#ifndef MMREPLAY_MM_MM_STATE_H_
#define MMREPLAY_MM_MM_STATE_H_

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "base/check.h"
#include "mm/buddy.h"
#include "mm/counters.h"
#include "mm/deferred_split.h"
#include "mm/event_sink.h"
#include "mm/folio.h"
#include "mm/knobs.h"
#include "mm/mm_id.h"
#include "mm/page_cache.h"
#include "mm/page_table.h"
#include "mm/profile.h"
#include "mm/vma.h"
#include "proto/event.pb.h"
#include "proto/mm_enums.pb.h"

namespace mmreplay::mm {

// A process: its mm_struct (VMAs, page tables) and the anon_vma family its
// anonymous folios belong to.
struct Process {
  VmaTree vmas;
  PageTable pt;
  // The anon_vma family (fork tree) this process's anonymous folios
  // belong to; the rmap walk visits its members.
  uint32_t anon_vma = 0;
  // MMF_HAS_PINNED: the process took a FOLL_PIN once (never cleared; a
  // fork's child starts without it).
  bool has_pinned = false;
  // mremap moved anonymous pages here: some are mapped away from their
  // linear address (rmap.h AnonPageAddress looks at the VMAs then).
  bool moved_anon = false;
};

// The model's ids of the unnamed shmem files of MAP_SHARED anonymous
// mappings (anon_shmem.h), from 2^31 up; a trace's own file ids stay below
// (trace::kMaxTraceFileId).
inline constexpr uint32_t kFirstAnonShmemFileId = 0x80000000u;

// A file: its inode's mount options, size and page cache.
struct File {
  Filesystem filesystem = FILESYSTEM_UNSPECIFIED;
  TmpfsHuge huge = TMPFS_HUGE_UNSPECIFIED;
  uint32_t min_order = 0;
  uint32_t max_order = 0;
  // i_size in bytes.
  uint64_t size = 0;
  PageCache cache;
  // On its tmpfs superblock's shrinklist (shmem_inode_info.shrinklist): a
  // large folio was allocated reaching past EOF (ShmemAllocAndAddFolio).
  bool on_shrinklist = false;
  // shmem_inode_info.fallocend: the page index a fallocate() reached
  // (KEEP_SIZE may reach past EOF); a split keeps the pieces below it
  // (shmem_fallocend), and a punch or truncate from below it lowers it.
  uint64_t fallocend = 0;
  // The unnamed file of a MAP_SHARED anonymous mapping (shmem_zero_setup),
  // on shm_mnt: its orders follow the shmem_enabled knobs, not huge=.
  bool anon_shmem = false;
  bool shmem() const { return filesystem == FILESYSTEM_TMPFS; }
  // mapping_min_folio_order(): 0 for tmpfs.
  uint32_t min_folio_order() const { return shmem() ? 0 : min_order; }
};

// Extra references taken by a pin or a speculative get: one per page, by
// PFN, with the pincount added (FOLL_PIN).
struct Holder {
  std::vector<uint32_t> pfns;
  bool foll_pin = false;
  uint32_t pid = 0;  // a pin's process, whose exit releases it
};

// No page (a PFN no page has).
inline constexpr uint32_t kNoPfn = UINT32_MAX;

struct MmState {
  MmState(absl::Span<const ZoneSpan> zones, uint64_t total_pages,
          const Profile& profile, const Knobs& knobs, EventSink* sink);

  // The process, or null: from the cache of the last one seen per slot
  // when it is there (every op looks its process up).
  Process* FindProcess(uint32_t pid) {
    const CachedProcess& c = process_cache[pid % kProcessCache];
    return c.pid == pid && c.process != nullptr ? c.process
                                                : FindProcessSlow(pid);
  }
  const Process* FindProcess(uint32_t pid) const {
    return const_cast<MmState*>(this)->FindProcess(pid);
  }
  // A process the trace validator has checked exists (every op's pid but
  // ProcessCreate's).
  Process& GetProcess(uint32_t pid) {
    Process* p = FindProcess(pid);
    CHECK(p != nullptr);
    return *p;
  }
  const Process& GetProcess(uint32_t pid) const {
    return const_cast<MmState*>(this)->GetProcess(pid);
  }
  Process* FindProcessSlow(uint32_t pid);
  // A new, empty process record for pid (its page tables counted in
  // pte_tables).
  Process& NewProcess(uint32_t pid);
  // Forgets an exited process.
  void EraseProcess(uint32_t pid);
  File* FindFile(uint64_t file);
  // A file the trace validator has checked exists.
  File& GetFile(uint64_t file) {
    File* f = FindFile(file);
    CHECK(f != nullptr);
    return *f;
  }

  // Events: every change the log shows goes through these. NewEvent()
  // starts one (stamped with the op), Emit() sends it.
  Event& NewEvent(EventKind kind, uint32_t head, const Folio* f, Reason reason);
  // An event about no folio (a collapse, a failed allocation, a refused op).
  Event& NewEvent(EventKind kind, Reason reason);
  void Emit() { sink->Emit(event); }
  // A map or unmap event: `nr` pages at `addr` in `pid`, the folio's
  // mapcount (and, where given, refcount) before and after; with `repeat`,
  // the same for that many order-0 folios at the next PFNs and pages.
  void EmitMapping(EventKind kind, uint32_t head, const Folio& f, Reason reason,
                   uint32_t pid, uint64_t addr, uint64_t nr, MapLevel level,
                   int64_t map_before, int64_t map_after,
                   int64_t ref_before = -1, int64_t ref_after = -1,
                   uint32_t repeat = 1);

  // An op the kernel refuses or fails: the event with the errno its
  // syscall returns (docs/model.md, "Ops the kernel refuses").
  void OpFailed(uint32_t pid, uint64_t addr, uint64_t length, int err,
                Reason reason) {
    Event& e = NewEvent(EVENT_OP_FAILED, reason);
    e.set_pid(pid);
    if (length != 0) {  // a range op (madvise, mprotect, pin)
      e.set_addr(addr);
      e.set_length_bytes(length);
    }
    e.set_err(err);
    Emit();
  }

  // Buddy allocation of a folio; the event says why. Null if memory is out.
  Folio* AllocFolio(uint32_t order, Reason reason, uint32_t* head);
  // The event of an allocation that found no free block.
  void AllocFailed(uint32_t order, Reason reason);
  // Returns folios whose last reference went to the buddy allocator
  // (__folio_put: unqueue from the deferred list, NR_ANON, free_pages), in
  // order.
  void FreeFolios(absl::Span<Folio* const> batch, Reason reason);
  void FreeFolio(uint32_t head, Reason reason) {
    FreeFolios({&folios.At(head)}, reason);
  }
  // folio_put(): drops `n` references; frees the folio at zero.
  void PutFolio(uint32_t head, int n, Reason reason);

  // Recomputes what the model derives from the knobs.
  void KnobsChanged() {
    anon_orders_always = knobs.anon_orders(KNOB_VALUE_ALWAYS);
    anon_orders_madvise = knobs.anon_orders(KNOB_VALUE_MADVISE);
    anon_orders_inherit = knobs.anon_orders(KNOB_VALUE_INHERIT);
  }

  // Verify()'s part: pages are conserved (free blocks plus folios make the
  // machine), folios do not overlap, the index finds each where it is, and
  // each is live with no negative mapcount. Fills `all` with every folio
  // (a run's one by one, as copies kept in `run_folios`) in PFN order.
  [[nodiscard]] absl::Status VerifyFolios(std::vector<const Folio*>* all,
                                          std::deque<Folio>* run_folios) const;

  Profile profile;
  Knobs knobs;
  // huge_anon_orders_always, _madvise and _inherit.
  uint32_t anon_orders_always = 0;
  uint32_t anon_orders_madvise = 0;
  uint32_t anon_orders_inherit = 0;
  EventSink* sink;
  Event event;
  uint64_t op_index = 0;
  Counters counters;
  BuddyAllocator buddy;
  FolioTable folios;
  // Large anonymous folios' MM slots, while their bit is set.
  MmIdTable mm_ids;
  DeferredSplitQueue deferred;

  // PTE tables of every process: pages the kernel takes for page tables
  // (pte_alloc), which the model does not take from the buddy allocator.
  // Declared before `processes`, whose page tables count down on exit.
  uint64_t pte_tables = 0;
  // Set by a fault that failed for want of memory (VM_FAULT_OOM); the
  // caller (Touch, GUP) clears it and fails its op.
  bool fault_oom = false;
  // Processes by pid; the records stay put (a lookup cache points at them:
  // a few ops in a row, or one op, name the same processes).
  absl::btree_map<uint32_t, std::unique_ptr<Process>> processes;
  struct CachedProcess {
    uint32_t pid = 0;
    Process* process = nullptr;
  };
  static constexpr uint32_t kProcessCache = 64;
  std::array<CachedProcess, kProcessCache> process_cache{};
  uint32_t next_anon_vma = 1;
  // The id the next unnamed shmem file gets (ShmemZeroSetup).
  uint32_t next_anon_shmem_file = kFirstAnonShmemFileId;
  absl::btree_map<uint64_t, File> files;
  absl::btree_map<uint32_t, Holder> pins;
  absl::btree_map<uint32_t, Holder> refs;
  // The first refcount violation (refcount.h), for Verify(); empty if none.
  std::string refcount_violation;

  // What the last compact op did to the large folios it moved or split,
  // keyed by the PFN where each (or each order-0 piece of a split one) is
  // now, for replay --check's expect_compaction (Model::FolioFateAt). A
  // folio not listed stayed. Filled only while record_compaction_fates is
  // set, and cleared by every compact op, so it holds one op's folios.
  struct CompactionFate {
    uint32_t head_before = 0;
    uint32_t order_before = 0;
    FolioOutcome outcome = FOLIO_OUTCOME_UNSPECIFIED;
  };
  bool record_compaction_fates = false;
  absl::btree_map<uint32_t, CompactionFate> compaction_fates;

  // SplitFolio()'s pieces and records, and ZapRange()'s folios to free,
  // kept for their capacity.
  std::vector<FolioPiece> split_pieces;
  std::vector<Folio*> split_made, split_each, split_unused;
  std::vector<Folio*> zap_to_free;
};

// The event helpers are inline: every fault, zap and free makes events.
inline Event& MmState::NewEvent(EventKind kind, Reason reason) {
  event.Clear();
  event.set_op_index(op_index);
  event.set_kind(kind);
  event.set_reason(reason);
  return event;
}

inline Event& MmState::NewEvent(EventKind kind, uint32_t head, const Folio* f,
                                Reason reason) {
  NewEvent(kind, reason);
  event.set_pfn(head);
  if (f != nullptr) event.set_order(f->order);
  return event;
}

inline void MmState::EmitMapping(EventKind kind, uint32_t head, const Folio& f,
                                 Reason reason, uint32_t pid, uint64_t addr,
                                 uint64_t nr, MapLevel level,
                                 int64_t map_before, int64_t map_after,
                                 int64_t ref_before, int64_t ref_after,
                                 uint32_t repeat) {
  Event& e = NewEvent(kind, head, &f, reason);
  e.set_pid(pid);
  e.set_addr(addr);
  e.set_nr_pages(nr);
  e.set_level(level);
  e.set_map_before(map_before);
  e.set_map_after(map_after);
  if (ref_before >= 0) {
    e.set_ref_before(ref_before);
    e.set_ref_after(ref_after);
  }
  e.set_repeat(repeat);
  Emit();
}

inline Folio* MmState::AllocFolio(uint32_t order, Reason reason,
                                  uint32_t* head) {
  std::optional<uint64_t> pfn = buddy.Alloc(order);
  if (!pfn.has_value()) {
    *head = 0;  // written on every path: callers read it after a check
    AllocFailed(order, reason);
    return nullptr;
  }
  *head = static_cast<uint32_t>(*pfn);
  Folio& f = folios.Create(*head, order);
  // Pages come zeroed (clear_highpage / __GFP_ZERO for anon faults):
  // Create() makes them so.
  f.refcount = 1;
  NewEvent(EVENT_FOLIO_ALLOC, *head, &f, reason).set_ref_after(1);
  Emit();
  return &f;
}

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_MM_STATE_H_
