// mm::Model: the facade the replay driver feeds, one call per trace op. It
// owns the machine's physical memory, the processes with their address
// spaces, and the files with their page caches, and reports every state
// change to an EventSink. It never does I/O.
//
// Errors: an op the kernel would refuse or fail (EINVAL, EBUSY, ENOMEM, a
// split that fails) is a modelled outcome: logged, counted, and OK here. An
// op that cannot happen at all in the state the trace built (a write fault on
// an address nothing maps: a SIGSEGV) returns FailedPrecondition; the driver
// reports it as bad input.
#ifndef MMREPLAY_MM_MODEL_H_
#define MMREPLAY_MM_MODEL_H_

#include <cstdint>

#include "absl/container/btree_map.h"
#include "absl/status/status.h"
#include "mm/counters.h"
#include "mm/event_sink.h"
#include "mm/knobs.h"
#include "mm/layout.h"
#include "mm/profile.h"
#include "mm/vma.h"
#include "proto/event.pb.h"
#include "proto/trace.pb.h"

namespace mmreplay::mm {

class Model {
 public:
  // `machine` and `knobs` come from a checked trace header. `sink` must
  // outlive the model.
  Model(const Machine& machine, const Profile& profile, const Knobs& knobs,
        EventSink* sink);

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
  absl::Status Collapse(uint32_t pid, uint64_t addr, uint64_t length);
  absl::Status SplitRange(uint32_t pid, uint64_t addr, uint64_t length,
                          uint32_t new_order, bool non_uniform,
                          uint64_t in_folio_offset);
  absl::Status SplitFileRange(uint32_t file_id, uint64_t offset,
                              uint64_t length, uint32_t new_order,
                              bool non_uniform, uint64_t in_folio_offset);
  void SetKnob(const SysfsSet& knob) { knobs_.Set(knob); }

  // Observation, as mmcapture sees the kernel: the folio layout of a mapped
  // range (and how many of its pages a PMD maps), or of a file range.
  absl::StatusOr<Layout> RangeLayout(uint32_t pid, uint64_t addr,
                                     uint64_t length,
                                     uint64_t* pmd_mapped_pages) const;
  absl::StatusOr<Layout> FileLayout(uint32_t file_id, uint64_t offset,
                                    uint64_t length) const;

  const Counters& counters() const { return counters_; }
  const Knobs& knobs() const { return knobs_; }
  const Profile& profile() const { return profile_; }

  // Checks the model's invariants; Internal error naming the first broken
  // one. Run after every op by `mmreplay replay --verify` and debug builds.
  absl::Status Verify() const;

 private:
  struct Process {
    VmaTree vmas;
  };
  struct File {
    Filesystem filesystem = FILESYSTEM_UNSPECIFIED;
    TmpfsHuge huge = TMPFS_HUGE_UNSPECIFIED;
    uint32_t min_order = 0;
    uint32_t max_order = 0;
    uint64_t size = 0;
    bool unlinked = false;
  };

  Process* FindProcess(uint32_t pid);
  const Process* FindProcess(uint32_t pid) const;
  File* FindFile(uint64_t file);
  // The VMA at `addr`, or FailedPrecondition naming the address.
  absl::StatusOr<const Vma*> MappedAt(const Process& p, uint32_t pid,
                                      uint64_t addr) const;

  Profile profile_;
  Knobs knobs_;
  EventSink* sink_;
  uint64_t op_index_ = 0;
  uint64_t total_pages_ = 0;
  Counters counters_;

  absl::btree_map<uint32_t, Process> processes_;
  absl::btree_map<uint64_t, File> files_;
  // Pins and speculative references: their ids.
  absl::btree_map<uint32_t, uint32_t> pins_;
  absl::btree_map<uint32_t, uint32_t> refs_;
};

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_MODEL_H_
