// mm::Model: the facade the replay driver feeds, one call per trace op. It
// owns the model's state (MmState, mm_state.h: physical memory, folios,
// processes, files, pins, the deferred split queue, counters and the event
// emitter) and keeps the op entry points; the MM rules are free functions
// over that state, one file pair per kernel concept:
//   fault.h           anonymous faults, do_wp_page, do_set_pmd
//   rmap.h            mapcounts, the partially mapped rule, rmap walks,
//                     the anon_vma family, MM slots
//   zap.h             munmap, MADV_DONTNEED, MADV_FREE, PMD splits
//   split.h           __folio_split
//   deferred_split.h  the deferred split queue and its shrinker
//   filemap.h         the page cache's references, unmap_mapping_range
//   shmem.h           tmpfs and page-cache file writes and faults
//   truncate.h        hole punch and truncate
//   khugepaged.h      collapse (scan_result.h: the kernel's results)
//   fork.h            fork
//   pin.h             GUP pins and speculative references
// model.cc has construction, processes, VMAs, the access walk, observation
// and Verify(), which calls each part's check.
//
// Errors: an op the kernel refuses or fails (EINVAL, EBUSY, ENOMEM, a split
// that fails) is a modelled outcome: logged with the errno, counted, and OK
// here (docs/model.md, "Ops the kernel refuses"). An op that cannot happen
// at all in the state the trace built (a write fault on an address nothing
// maps: a SIGSEGV) returns FailedPrecondition; the driver reports it as bad
// input. Every pid and file id an op names is one the trace validator has
// checked exists (CHECKed here).
#ifndef MMREPLAY_MM_MODEL_H_
#define MMREPLAY_MM_MODEL_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mm/counters.h"
#include "mm/event_sink.h"
#include "mm/khugepaged.h"
#include "mm/knobs.h"
#include "mm/layout.h"
#include "mm/machine.h"
#include "mm/mm_state.h"
#include "mm/profile.h"
#include "mm/split.h"
#include "proto/mm_enums.pb.h"

namespace mmreplay::mm {

class Model {
 public:
  // `machine` and `knobs` come from a checked trace header. `sink` must
  // outlive the model.
  Model(const Machine& machine, const Profile& profile, const Knobs& knobs,
        EventSink* sink);
  ~Model();

  // Stamps the events of the calls that follow with `op_index`. Called
  // before each op.
  void BeginOp(uint64_t op_index) { mm_.op_index = op_index; }

  // Processes. REQUIRES (every op): the pids, file ids, pin ids and
  // reference ids it names are live (created by an earlier op and not yet
  // ended), and the ids it creates are not; the trace validator checks
  // this, and the model CHECKs it where it looks an id up.
  [[nodiscard]] absl::Status ProcessCreate(uint32_t pid);
  [[nodiscard]] absl::Status ProcessExit(uint32_t pid);
  [[nodiscard]] absl::Status ProcessFork(uint32_t parent_pid,
                                         uint32_t child_pid);

  // Address spaces. prot and flags are ProtBits and MapBits.
  [[nodiscard]] absl::Status MmapAnon(uint32_t pid, uint64_t addr,
                                      uint64_t length, uint32_t prot,
                                      uint32_t flags);
  [[nodiscard]] absl::Status MmapFile(uint32_t pid, uint64_t addr,
                                      uint64_t length, uint32_t prot,
                                      uint32_t flags, uint32_t file_id,
                                      uint64_t offset);
  [[nodiscard]] absl::Status Munmap(uint32_t pid, uint64_t addr,
                                    uint64_t length);
  [[nodiscard]] absl::Status Madvise(uint32_t pid, uint64_t addr,
                                     uint64_t length, Advice advice);
  [[nodiscard]] absl::Status Mprotect(uint32_t pid, uint64_t addr,
                                      uint64_t length, uint32_t prot);
  // mremap(2): flags are MREMAP_MAYMOVE (1) and MREMAP_FIXED (2)
  // (mremap.cc). FailedPrecondition where the kernel would move the range to
  // an address it picks (a grow in place blocked, MAYMOVE without FIXED).
  [[nodiscard]] absl::Status Mremap(uint32_t pid, uint64_t addr,
                                    uint64_t old_length, uint64_t new_length,
                                    uint32_t flags, uint64_t new_addr);
  [[nodiscard]] absl::Status Touch(uint32_t pid, uint64_t addr, uint64_t length,
                                   Access access);

  // Files.
  [[nodiscard]] absl::Status FileCreate(uint32_t file_id, Filesystem filesystem,
                                        TmpfsHuge huge, uint32_t min_order,
                                        uint32_t max_order);
  [[nodiscard]] absl::Status FileWrite(uint32_t file_id, uint64_t offset,
                                       uint64_t length);
  [[nodiscard]] absl::Status FileRead(uint32_t file_id, uint64_t offset,
                                      uint64_t length);
  [[nodiscard]] absl::Status PunchHole(uint32_t file_id, uint64_t offset,
                                       uint64_t length);
  // fallocate(2) of a tmpfs file, mode 0 or FALLOC_FL_KEEP_SIZE
  // (fallocate.cc).
  [[nodiscard]] absl::Status Fallocate(uint32_t file_id, uint64_t offset,
                                       uint64_t length, bool keep_size);
  [[nodiscard]] absl::Status Truncate(uint32_t file_id, uint64_t size);
  [[nodiscard]] absl::Status FileUnlink(uint32_t file_id);

  // References held from outside the page tables.
  [[nodiscard]] absl::Status Pin(uint32_t pin_id, uint32_t pid, uint64_t addr,
                                 uint64_t length, PinKind kind);
  [[nodiscard]] absl::Status Unpin(uint32_t pin_id);
  [[nodiscard]] absl::Status SpeculativeGetFile(uint32_t ref_id,
                                                uint32_t file_id,
                                                uint64_t page_index);
  [[nodiscard]] absl::Status SpeculativeGetAddr(uint32_t ref_id, uint32_t pid,
                                                uint64_t addr);
  [[nodiscard]] absl::Status SpeculativePut(uint32_t ref_id);

  // Reclaim, compaction, khugepaged, explicit splits, knobs.
  // compact_memory or direct compaction for `order`; with walker_ref_id,
  // seed 003's PFN walker takes that reference during the run
  // (compaction.h).
  [[nodiscard]] absl::Status Compact(CompactMode mode, uint32_t order,
                                     uint32_t walker_ref_id = 0);
  [[nodiscard]] absl::Status DeferredSplitScan(uint64_t nr_to_scan);
  // MADV_COLLAPSE or khugepaged's scan of [addr, addr + length), block by
  // block (khugepaged.h).
  [[nodiscard]] absl::Status Collapse(uint32_t pid, uint64_t addr,
                                      uint64_t length, CollapseBy by);
  // split_huge_pages_pid(): splits the large folios mapped in [addr, addr +
  // length) of process pid as `to` says.
  [[nodiscard]] absl::Status SplitRange(uint32_t pid, uint64_t addr,
                                        uint64_t length, const SplitTo& to);
  // split_huge_pages_in_file(): the same for the page cache of a file.
  [[nodiscard]] absl::Status SplitFileRange(uint32_t file_id, uint64_t offset,
                                            uint64_t length, const SplitTo& to);
  void SetKnob(const KnobWrite& knob) {
    mm_.knobs.Set(knob);
    mm_.KnobsChanged();
  }

  // Observation, as mmcapture sees the kernel: the folio layout of a mapped
  // range (and how many of its pages a PMD maps), or of a file range.
  [[nodiscard]] absl::StatusOr<Layout> RangeLayout(
      uint32_t pid, uint64_t addr, uint64_t length,
      uint64_t* pmd_mapped_pages) const;
  [[nodiscard]] absl::StatusOr<Layout> FileLayout(uint32_t file_id,
                                                  uint64_t offset,
                                                  uint64_t length) const;
  // What the last compact op did to the folio that held the page at `addr`
  // of process `pid` (or page `index` of file `file_id`) before it: its
  // order then and STAYED, MOVED or SPLIT. Known only for ops run while
  // set_record_compaction_fates(true); nullopt if no folio (or the zero
  // page) is there now.
  struct FolioFate {
    uint32_t order_before = 0;
    FolioOutcome outcome = FOLIO_OUTCOME_UNSPECIFIED;
  };
  std::optional<FolioFate> FolioFateAt(uint32_t pid, uint64_t addr) const;
  std::optional<FolioFate> FolioFateInFile(uint32_t file_id,
                                           uint64_t index) const;
  // replay --check turns this on; off, compaction keeps no record.
  void set_record_compaction_fates(bool on) {
    mm_.record_compaction_fates = on;
  }
  // Whether the page at addr is mapped writable: a write to it would not
  // fault. (No log or capture shows this; the model tests ask it.)
  bool MappedWritable(uint32_t pid, uint64_t addr) const;

  const Counters& counters() const { return mm_.counters; }
  const Knobs& knobs() const { return mm_.knobs; }
  const Profile& profile() const { return mm_.profile; }

  // Checks the model's invariants; Internal error naming the first broken
  // one. Run after every op by `mmreplay replay --verify` and debug builds.
  [[nodiscard]] absl::Status Verify() const;

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

  // FolioFateAt()'s answer for the folio now holding `pfn`.
  std::optional<FolioFate> FateOfPfn(uint32_t pfn) const;

  MmState mm_;
};

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_MODEL_H_
