// mm::Model: the facade the replay driver feeds, one call per trace op. It
// owns the machine's physical memory (BuddyAllocator), the folios
// (FolioTable), the processes with their VMAs and page tables, the files,
// the deferred split queue, and the counters, and reports every state change
// to an EventSink. It never does I/O.
//
// The implementation is split by kernel concept: fault.cc (anonymous
// faults), rmap.cc (mapcounts, partially mapped folios), zap.cc (munmap,
// MADV_DONTNEED, MADV_FREE, PMD split), split.cc (__folio_split),
// deferred_split.cc (the queue and its shrinker), pin.cc (GUP and
// speculative references), fork.cc, model.cc (the rest).
//
// Errors: an op the kernel would refuse or fail (EINVAL, EBUSY, ENOMEM, a
// split that fails) is a modelled outcome: logged, counted, and OK here. An
// op that cannot happen at all in the state the trace built (a write fault on
// an address nothing maps: a SIGSEGV) returns FailedPrecondition; the driver
// reports it as bad input.
#ifndef MMREPLAY_MM_MODEL_H_
#define MMREPLAY_MM_MODEL_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/base/optimization.h"
#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "mm/buddy.h"
#include "mm/counters.h"
#include "mm/event_sink.h"
#include "mm/folio.h"
#include "mm/knobs.h"
#include "mm/layout.h"
#include "mm/machine.h"
#include "mm/mm_id.h"
#include "mm/page_cache.h"
#include "mm/page_table.h"
#include "mm/profile.h"
#include "mm/vma.h"
#include "proto/event.pb.h"
#include "proto/mm_enums.pb.h"

namespace mmreplay::mm {

// What a collapse of one 2 MiB block came to, as madvise_collapse() takes
// it: err 0 (collapsed, or PMD-mapped already), or the errno
// madvise_collapse_errno() gives the scan result, and whether the range's
// later blocks are still tried (the results it continues past).
struct CollapseResult {
  int err = 0;
  bool stop = false;
};

class Model {
 public:
  // `machine` and `knobs` come from a checked trace header. `sink` must
  // outlive the model.
  Model(const Machine& machine, const Profile& profile, const Knobs& knobs,
        EventSink* sink);
  ~Model();

  // Stamps the events of the calls that follow with `op_index`.
  void BeginOp(uint64_t op_index) { op_index_ = op_index; }

  // Processes.
  absl::Status ProcessCreate(uint32_t pid);
  absl::Status ProcessExit(uint32_t pid);
  absl::Status ProcessFork(uint32_t parent_pid, uint32_t child_pid);

  // Address spaces. prot and flags are ProtBits and MapBits.
  absl::Status MmapAnon(uint32_t pid, uint64_t addr, uint64_t length,
                        uint32_t prot, uint32_t flags);
  absl::Status MmapFile(uint32_t pid, uint64_t addr, uint64_t length,
                        uint32_t prot, uint32_t flags, uint32_t file_id,
                        uint64_t offset);
  absl::Status Munmap(uint32_t pid, uint64_t addr, uint64_t length);
  absl::Status Madvise(uint32_t pid, uint64_t addr, uint64_t length,
                       Advice advice);
  absl::Status Mprotect(uint32_t pid, uint64_t addr, uint64_t length,
                        uint32_t prot);
  absl::Status Touch(uint32_t pid, uint64_t addr, uint64_t length,
                     Access access);

  // Files.
  absl::Status FileCreate(uint32_t file_id, Filesystem filesystem,
                          TmpfsHuge huge, uint32_t min_order,
                          uint32_t max_order);
  absl::Status FileWrite(uint32_t file_id, uint64_t offset, uint64_t length);
  absl::Status FileRead(uint32_t file_id, uint64_t offset, uint64_t length);
  absl::Status PunchHole(uint32_t file_id, uint64_t offset, uint64_t length);
  absl::Status Truncate(uint32_t file_id, uint64_t size);
  absl::Status FileUnlink(uint32_t file_id);

  // References held from outside the page tables.
  absl::Status Pin(uint32_t pin_id, uint32_t pid, uint64_t addr,
                   uint64_t length, PinKind kind);
  absl::Status Unpin(uint32_t pin_id);
  absl::Status SpeculativeGetFile(uint32_t ref_id, uint32_t file_id,
                                  uint64_t page_index);
  absl::Status SpeculativeGetAddr(uint32_t ref_id, uint32_t pid, uint64_t addr);
  absl::Status SpeculativePut(uint32_t ref_id);

  // Reclaim, compaction, khugepaged, explicit splits, knobs.
  absl::Status Compact(CompactMode mode, uint32_t order);
  absl::Status DeferredSplitScan(uint64_t nr_to_scan);
  // `khugepaged`: khugepaged's rules (max_ptes_none, max_ptes_shared, the
  // enabled knob); else MADV_COLLAPSE's.
  absl::Status Collapse(uint32_t pid, uint64_t addr, uint64_t length,
                        bool khugepaged);
  absl::Status SplitRange(uint32_t pid, uint64_t addr, uint64_t length,
                          uint32_t new_order, bool non_uniform,
                          uint64_t in_folio_offset);
  absl::Status SplitFileRange(uint32_t file_id, uint64_t offset,
                              uint64_t length, uint32_t new_order,
                              bool non_uniform, uint64_t in_folio_offset);
  void SetKnob(const KnobWrite& knob) {
    knobs_.Set(knob);
    KnobsChanged();
  }

  // Observation, as mmcapture sees the kernel: the folio layout of a mapped
  // range (and how many of its pages a PMD maps), or of a file range.
  absl::StatusOr<Layout> RangeLayout(uint32_t pid, uint64_t addr,
                                     uint64_t length,
                                     uint64_t* pmd_mapped_pages) const;
  absl::StatusOr<Layout> FileLayout(uint32_t file_id, uint64_t offset,
                                    uint64_t length) const;
  // Whether the page at addr is mapped writable: a write to it would not
  // fault. (No log or capture shows this; the model tests ask it.)
  bool MappedWritable(uint32_t pid, uint64_t addr) const;

  const Counters& counters() const { return counters_; }
  const Knobs& knobs() const { return knobs_; }
  const Profile& profile() const { return profile_; }

  // Checks the model's invariants; Internal error naming the first broken
  // one. Run after every op by `mmreplay replay --verify` and debug builds.
  absl::Status Verify() const;

  // Memory the model holds, for the benchmarks.
  struct MemoryUse {
    size_t live_folios = 0;
    // The folio records, large folios' with their tail-page fields (free
    // slots included).
    size_t folio_record_bytes = 0;
    // Large folios' per-page arrays (mapcounts, contents bits) and the MM
    // slots of those maybe mapped shared.
    size_t large_folio_bytes = 0;
    // The PFN -> folio index.
    size_t pfn_index_bytes = 0;
    // The buddy allocator's free lists.
    size_t buddy_bytes = 0;
    // Every process's page tables, all levels.
    size_t page_table_bytes = 0;
    // The page caches' entries and xarray nodes (576 bytes each, as
    // struct xa_node).
    size_t page_cache_bytes = 0;
    size_t total() const {
      return folio_record_bytes + large_folio_bytes + pfn_index_bytes +
             buddy_bytes + page_table_bytes + page_cache_bytes;
    }
  };
  MemoryUse memory_use() const;

 private:
  // tests/mm/verify_test.cc breaks the model on purpose, to show Verify()
  // notices.
  friend class VerifyTestPeer;

  struct Process {
    VmaTree vmas;
    PageTable pt;
    // The anon_vma family (fork tree) this process's anonymous folios
    // belong to; the rmap walk visits its members.
    uint32_t anon_vma = 0;
    // MMF_HAS_PINNED: the process took a FOLL_PIN once (never cleared; a
    // fork's child starts without it).
    bool has_pinned = false;
  };
  struct File {
    Filesystem filesystem = FILESYSTEM_UNSPECIFIED;
    TmpfsHuge huge = TMPFS_HUGE_UNSPECIFIED;
    uint32_t min_order = 0;
    uint32_t max_order = 0;
    // i_size in bytes.
    uint64_t size = 0;
    PageCache cache;
    bool shmem() const { return filesystem == FILESYSTEM_TMPFS; }
    // mapping_min_folio_order(): 0 for tmpfs.
    uint32_t min_folio_order() const { return shmem() ? 0 : min_order; }
  };
  // Extra references taken by a pin or a speculative get: one per page, by
  // PFN, with the pincount added (FOLL_PIN).
  // No page (a PFN no page has).
  static constexpr uint32_t kNoPfn = UINT32_MAX;

  struct Holder {
    std::vector<uint32_t> pfns;
    bool foll_pin = false;
    uint32_t pid = 0;  // a pin's process, whose exit releases it
  };

  // --- model.cc --------------------------------------------------------
  // The process, or null: from the cache of the last one seen per slot
  // when it is there (every op looks its process up).
  Process* FindProcess(uint32_t pid) {
    const CachedProcess& c = process_cache_[pid % kProcessCache];
    return c.pid == pid && c.process != nullptr ? c.process
                                                : FindProcessSlow(pid);
  }
  const Process* FindProcess(uint32_t pid) const {
    return const_cast<Model*>(this)->FindProcess(pid);
  }
  Process* FindProcessSlow(uint32_t pid);
  File* FindFile(uint64_t file);
  // Maps `vma` in the process, unmapping what it overlaps (MAP_FIXED).
  void MapVma(uint32_t pid, const Vma& vma);

  // Events: every change the log shows goes through these.
  Event& NewEvent(EventKind kind, uint32_t head, const Folio* f, Reason reason);
  void Emit() { sink_->Emit(event_); }
  // A map or unmap event: `nr` pages at `addr` in `pid`, the folio's
  // mapcount (and, where given, refcount) before and after; with `repeat`,
  // the same for that many order-0 folios at the next PFNs and pages.
  void EmitMapping(EventKind kind, uint32_t head, const Folio& f, Reason reason,
                   uint32_t pid, uint64_t addr, uint64_t nr, MapLevel level,
                   int64_t map_before, int64_t map_after,
                   int64_t ref_before = -1, int64_t ref_after = -1,
                   uint32_t repeat = 1);

  // Buddy allocation of a folio; the event says why. Null if memory is out.
  Folio* AllocFolio(uint32_t order, Reason reason, uint32_t* head);
  // The event of an allocation that found no free block.
  void AllocFailed(uint32_t order, Reason reason);
  // Returns folios whose last reference went to the buddy allocator
  // (__folio_put: unqueue from the deferred list, NR_ANON, free_pages), in
  // order.
  void FreeFolios(absl::Span<Folio* const> folios, Reason reason);
  void FreeFolio(uint32_t head, Reason reason) {
    FreeFolios({&folios_.At(head)}, reason);
  }
  // folio_put(): drops `n` references; frees the folio at zero.
  void PutFolio(uint32_t head, int n, Reason reason);

  // do_set_pmd() / map_anon_folio_pmd(): maps folio `head` by the PMD at
  // `haddr` in `pid`. `own_ref`: the mapping takes a new reference (a
  // page-cache folio); else the caller's (a new anonymous folio) becomes it.
  void MapPmd(uint32_t pid, uint64_t haddr, uint32_t head, bool writable,
              bool own_ref, Reason reason);

  // The MMU's walk for an access to [a, end) within the PMD of `a`: how far
  // the present mappings allow it with no fault (a, if the first page
  // faults). A write dirties the mappings it goes through and records its
  // data (Written()) where they were clean.
  uint64_t Walk(Process& p, uint64_t a, uint64_t end, bool write);
  // A write put data in the n pages from pfn of folio (or run) f: they are
  // not all zeros now, and a page-cache folio is dirty.
  void Written(Folio& f, uint32_t pfn, uint32_t n);

  // handle_mm_fault() for the page at addr of vma, with its access check
  // (sanitize_fault_flags and the VMA check before it): FailedPrecondition
  // where the VMA's protection forbids the access. Inline: most touches
  // that fault come through here.
  absl::Status HandleMmFault(Process& p, uint32_t pid, const Vma& vma,
                             uint64_t addr, bool write) {
    const uint32_t need = write ? PROT_BITS_WRITE : PROT_BITS_READ;
    if (ABSL_PREDICT_FALSE((vma.prot & need) == 0)) {
      return FaultNotAllowed(pid, addr, write);
    }
    if (!vma.anonymous()) return FileFault(p, pid, vma, addr, write);
    // MAP_SHARED anonymous memory is shmem on an unnamed file: not modelled
    // yet; the fault maps nothing.
    if (vma.shared) return absl::OkStatus();
    return AnonFault(p, pid, vma, addr, write);
  }
  static absl::Status FaultNotAllowed(uint32_t pid, uint64_t addr, bool write);

  // Whether a PTE at addr maps an anonymous page (in a private file
  // mapping: a copy).
  bool MapsAnonPage(const Process& p, uint64_t addr) const;

  // --- fault.cc ---------------------------------------------------------
  // handle_mm_fault() for one page of an anonymous private VMA. It maps the
  // page; what the access then writes is the caller's to record
  // (FolioTable::set_nonzero).
  absl::Status AnonFault(Process& p, uint32_t pid, const Vma& vma,
                         uint64_t addr, bool write);
  // `huge_zero_wp`: the write fault replaces the huge zero folio
  // (do_huge_zero_wp_pmd).
  bool PmdFault(Process& p, uint32_t pid, const Vma& vma, uint64_t addr,
                bool write, bool huge_zero_wp);
  bool CopyHugePmd(Process& p, uint32_t pid, const Vma& vma, uint64_t haddr);
  void PteFault(Process& p, uint32_t pid, const Vma& vma, uint64_t addr,
                bool write);
  // do_wp_page(): a write to a read-only PTE. `source_pfn`: where nothing
  // is mapped (do_cow_fault), the page-cache page the copy is made from.
  void WriteProtectFault(Process& p, uint32_t pid, const Vma& vma,
                         uint64_t addr, uint32_t source_pfn = kNoPfn);
  bool CanReuseAnonFolio(const Folio& f) const;
  bool NoPageMappedTwice(const Folio& f) const;

  // --- fork.cc ----------------------------------------------------------
  // copy_pmd_range() for the PMD entry at pmd_addr, within vma: false if a
  // page that had to be copied could not be (-ENOMEM).
  bool CopyPmd(Process& src, uint32_t parent_pid, Process& child,
               uint32_t child_pid, const Vma& vma, uint64_t pmd_addr, Pmd& pmd);
  // folio_needs_cow_for_dma(): fork must copy src's exclusive pages of f.
  bool NeedsCowForDma(const Process& src, const Folio& f) const;
  // copy_present_page(): the child gets a copy of the page at addr (pfn);
  // false if no page can be had.
  bool CopyPageForFork(Process& child, uint32_t child_pid, uint64_t addr,
                       uint32_t pfn, bool writable);
  // The orders thp_vma_allowable_orders() allows an anonymous VMA.
  uint32_t AnonAllowedOrders(const Vma& vma) const;

  // --- rmap.cc ----------------------------------------------------------
  // folio_add_new_anon_rmap / folio_add_anon_rmap_ptes / _pmd.
  void AddRmapPtes(uint32_t pid, uint32_t head, Folio& f, uint32_t pfn, int nr);
  void AddRmapPmd(uint32_t pid, Folio& f);
  // folio_remove_rmap_ptes(): `nr` consecutive pages from pfn. Queues a
  // partially mapped anonymous folio for deferred split.
  void RemoveRmapPtes(uint32_t pid, uint32_t head, Folio& f, uint32_t pfn,
                      int nr);
  void RemoveRmapPmd(uint32_t pid, uint32_t head, Folio& f);
  // The mappings of a folio: (pid, addr) of its PMD mappings and PTEs
  // (rmap_walk_anon over its anon_vma family, rmap_walk_file over the
  // VMAs mapping its file).
  struct Mapping {
    uint32_t pid;
    uint64_t addr;
    bool pmd;
  };
  std::vector<Mapping> RmapWalk(uint32_t head, const Folio& f);
  // try_to_unmap(TTU_SPLIT_HUGE_PMD) of a file folio.
  void TryToUnmapFile(uint32_t head, Reason reason);
  // How many of anonymous folio f's mappings process p holds.
  int32_t MappingsIn(const Process& p, const Folio& f) const;
  // folio_maybe_mapped_shared().
  bool FolioMaybeMappedShared(const Folio& f) const;
  // The MM slots (mm_id.h) of large anonymous folio f as process `pid`
  // maps `nr` more of it (f.mapcount counts them already).
  void AddMmId(uint32_t pid, Folio& f, int nr);
  // A process other than `pid` that maps anonymous folio f, else
  // MmIdTable::kNoPid.
  uint32_t OtherMapper(uint32_t pid, const Folio& f) const;
  // remap_page() after a split: the MM slots of large anonymous piece f.
  void RemapMmIds(Folio& f);
  // Verify()'s part: a large anonymous folio whose bit is clear is mapped
  // by one process at most; one whose bit is set has its slots, each held
  // by a process that maps at least as many of its pages as it counts.
  absl::Status VerifyMmIds(absl::Span<const Folio* const> all) const;

  // --- zap.cc -----------------------------------------------------------
  // zap_page_range(): unmaps [start, end) of a process, splitting PMD
  // mappings that are partly covered.
  void ZapRange(uint32_t pid, uint64_t start, uint64_t end, Reason reason);
  // free_pgtables() after [start, end) was zapped and its VMAs removed:
  // the PTE tables at its edges go where no VMA is left beside them in
  // their 2 MiB (the zap dropped the tables it covered whole).
  void FreePgtables(Process& p, uint64_t start, uint64_t end);
  // __split_huge_pmd_locked(): a PMD mapping becomes 512 PTEs.
  void SplitPmd(uint32_t pid, uint64_t pmd_addr, Reason reason);
  // Splits the PMDs of [start, end) that the range covers only in part.
  void SplitPmdsAtEdges(uint32_t pid, uint64_t start, uint64_t end,
                        Reason reason);
  // madvise_free_single_vma(): MADV_FREE of [start, end), VMA by VMA.
  void MadviseFree(uint32_t pid, uint64_t start, uint64_t end);
  // madvise_free_pte_range(): one PMD's part [addr, end) of it.
  void MadviseFreePteRange(Process& p, uint64_t addr, uint64_t end);

  // --- split.cc ---------------------------------------------------------
  // __folio_split(): returns 0 or a negative errno. `split_at` is a page
  // index in the folio (non-uniform) and `uniform` selects
  // split_huge_page_to_list_to_order(). Logs the split or the failure and
  // counts it.
  int SplitFolio(uint32_t head, uint32_t new_order, uint64_t split_at,
                 bool uniform, int caller_pins, Reason reason);
  // Whether unmapping a PTE-mapped anonymous folio for migration sees it
  // partially mapped on the way.
  bool MigrationSeesPartiallyMapped(uint32_t head, const Folio& f);

  // --- deferred_split.cc ------------------------------------------------
  void DeferredSplitFolio(uint32_t head, Folio& f, bool partially_mapped);
  // Unlinks a queued folio (split, free or scan). Clears the partially
  // mapped flag (and nr_anon_partially_mapped) when `clear_flag`.
  void UnqueueDeferred(uint32_t head, Folio& f, Reason reason);
  bool ThpUnderused(const Folio& f) const;
  // The queue's links only (no flags, counters or events).
  void LinkDeferredTail(uint32_t head, Folio& f);
  void UnlinkDeferred(Folio& f);

  // --- filemap.cc / shmem.cc ----------------------------------------------
  // filemap_add_folio(): a new folio of `order` at `index`, holding one
  // page-cache reference per page. Null if memory is out.
  Folio* AddToPageCache(uint32_t file_id, File& file, uint64_t index,
                        uint32_t order, Reason reason, uint32_t* head);
  // Removes a folio from the page cache (__filemap_remove_folio) and drops
  // its references; frees it if nothing else holds it.
  void RemoveFromPageCache(uint32_t head, Reason reason);
  // Appends the xarray node events of `changes` for `file_id`.
  void EmitNodeChanges(uint32_t file_id,
                       const std::vector<PageCache::NodeChange>& changes,
                       Reason reason);
  // shmem_get_folio() on a miss: the order of the folio to allocate for
  // `index` (a write ending at `write_end` bytes, or a fault in `vma`).
  uint32_t ShmemOrder(const File& file, uint64_t index, uint64_t write_end,
                      const Vma* vma, uint64_t addr) const;
  // One chunk of a write: [pos, end) within one PMD-sized block.
  absl::Status WriteChunk(uint32_t file_id, File& file, uint64_t pos,
                          uint64_t end);
  // A fault on a file mapping (shmem_fault + finish_fault; a write to a
  // private one: CowFileFault).
  absl::Status FileFault(Process& p, uint32_t pid, const Vma& vma,
                         uint64_t addr, bool write);
  // Unmaps the pages [first, last] of a file from every process
  // (unmap_mapping_range); `even_cows`: a private mapping's anonymous
  // copies of them too (a truncate), else they stay (a hole punch).
  void UnmapMappingRange(uint32_t file_id, uint64_t first, uint64_t last,
                         bool even_cows, Reason reason);
  // A write fault in a private file mapping with no PTE (FileFault).
  void CowFileFault(Process& p, uint32_t pid, const Vma& vma, uint64_t addr,
                    uint32_t cache_pfn);

  // --- truncate.cc --------------------------------------------------------
  // shmem_undo_range() / truncate_inode_pages_range() over bytes
  // [lstart, lend] (lend inclusive; UINT64_MAX to the end).
  void UndoRange(uint32_t file_id, uint64_t lstart, uint64_t lend,
                 Reason reason);
  bool TruncatePartialFolio(uint32_t file_id, uint32_t head, uint64_t lstart,
                            uint64_t lend, Reason reason);
  void TruncateFolio(uint32_t head, Reason reason);
  // try_folio_split_or_unmap(): 0 or the split's negative errno.
  int TryFolioSplitOrUnmap(const File& file, uint32_t head, uint64_t split_at,
                           Reason reason);

  // --- khugepaged.cc -----------------------------------------------------
  // Collapses the 2 MiB block at `haddr`.
  CollapseResult CollapseAnon(uint32_t pid, const Vma& vma, uint64_t haddr,
                              bool khugepaged);
  CollapseResult CollapseFile(uint32_t pid, const Vma& vma, uint64_t haddr,
                              bool khugepaged);
  // collapse_pte_mapped_thp() for MADV_COLLAPSE: the caller's PMD maps the
  // page-cache THP at head, unless a PTE there maps a private mapping's
  // anonymous copy (SCAN_FAIL: false).
  bool MapCollapsedFile(uint32_t pid, const Vma& vma, uint64_t haddr,
                        uint32_t head);
  Folio* AllocCollapseFolio(uint32_t* head);

  // --- pin.cc -----------------------------------------------------------
  absl::Status GetUserPages(Process& p, uint32_t pid, uint64_t addr,
                            uint64_t length, Holder& h);
  // The pins of process pid go, as its exit closes their files.
  void ReleasePins(uint32_t pid);
  void GetPage(uint32_t pfn, bool foll_pin, Reason reason);
  void PutPage(uint32_t pfn, bool foll_pin, Reason reason);

  // Recomputes what the model derives from the knobs.
  void KnobsChanged() {
    anon_orders_always_ = knobs_.anon_orders(KNOB_VALUE_ALWAYS);
    anon_orders_madvise_ = knobs_.anon_orders(KNOB_VALUE_MADVISE);
    anon_orders_inherit_ = knobs_.anon_orders(KNOB_VALUE_INHERIT);
  }

  Profile profile_;
  Knobs knobs_;
  // huge_anon_orders_always, _madvise and _inherit.
  uint32_t anon_orders_always_ = 0;
  uint32_t anon_orders_madvise_ = 0;
  uint32_t anon_orders_inherit_ = 0;
  EventSink* sink_;
  Event event_;
  uint64_t op_index_ = 0;
  Counters counters_;
  BuddyAllocator buddy_;
  FolioTable folios_;
  // Large anonymous folios' MM slots, while their bit is set.
  MmIdTable mm_ids_;

  // Processes by pid; the records stay put (a lookup cache points at them:
  // a few ops in a row, or one op, name the same processes).
  absl::btree_map<uint32_t, std::unique_ptr<Process>> processes_;
  struct CachedProcess {
    uint32_t pid = 0;
    Process* process = nullptr;
  };
  static constexpr uint32_t kProcessCache = 64;
  std::array<CachedProcess, kProcessCache> process_cache_{};
  uint32_t next_anon_vma_ = 1;
  absl::btree_map<uint64_t, File> files_;
  absl::btree_map<uint32_t, Holder> pins_;
  absl::btree_map<uint32_t, Holder> refs_;

  // SplitFolio()'s pieces and records, and ZapRange()'s folios to free,
  // kept for their capacity.
  std::vector<FolioPiece> split_pieces_;
  std::vector<Folio*> split_made_, split_each_, split_unused_;
  std::vector<Folio*> zap_to_free_;

  // The deferred split queue (a FIFO of head PFNs) and its length.
  uint32_t deferred_head_ = kNoFolio;
  uint32_t deferred_tail_ = kNoFolio;
  uint64_t deferred_len_ = 0;
};

// The event helpers are inline: every fault, zap and free makes events.
inline Event& Model::NewEvent(EventKind kind, uint32_t head, const Folio* f,
                              Reason reason) {
  event_.Clear();
  event_.set_op_index(op_index_);
  event_.set_kind(kind);
  event_.set_pfn(head);
  if (f != nullptr) event_.set_order(f->order);
  event_.set_reason(reason);
  return event_;
}

inline void Model::EmitMapping(EventKind kind, uint32_t head, const Folio& f,
                               Reason reason, uint32_t pid, uint64_t addr,
                               uint64_t nr, MapLevel level, int64_t map_before,
                               int64_t map_after, int64_t ref_before,
                               int64_t ref_after, uint32_t repeat) {
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

inline Folio* Model::AllocFolio(uint32_t order, Reason reason, uint32_t* head) {
  std::optional<uint64_t> pfn = buddy_.Alloc(order);
  if (!pfn.has_value()) {
    AllocFailed(order, reason);
    return nullptr;
  }
  *head = static_cast<uint32_t>(*pfn);
  Folio& f = folios_.Create(*head, order);
  // Pages come zeroed (clear_highpage / __GFP_ZERO for anon faults):
  // Create() makes them so.
  f.refcount = 1;
  NewEvent(EVENT_FOLIO_ALLOC, *head, &f, reason).set_ref_after(1);
  Emit();
  return &f;
}

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_MODEL_H_
