// The sysfs THP knobs as files: reading the value in force, writing a new one
// (after registering the old one with cleanup::RestoreFile).
#ifndef MMREPLAY_CAPTURE_KNOBS_H_
#define MMREPLAY_CAPTURE_KNOBS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/trace.pb.h"

namespace mmreplay::capture {

// /sys/kernel/mm/transparent_hugepage/... for `knob` (and order).
std::string KnobPath(const SysfsSet& knob);

// What writing `knob` writes to its file: "always", "64".
std::string KnobText(const SysfsSet& knob);

// The value in force, as a SysfsSet of the same knob and order.
absl::StatusOr<SysfsSet> ReadKnob(const SysfsSet& knob);

// Writes the knob; the first write of each file registers its old contents
// for restoring.
absl::Status WriteKnob(const SysfsSet& knob);

// Every knob a capture sets and records (each per-size knob for each order
// that has a folder), in a fixed order: enabled, defrag, anon orders 2..9,
// shmem_enabled, shmem orders 1..9, max_ptes_none, use_zero_page,
// shrink_underused, max_ptes_shared. Each holds the value of a fresh boot of
// this project's machines (Debian's 6.18 kernel:
// CONFIG_TRANSPARENT_HUGEPAGE_MADVISE), which is also what a trace header
// that leaves a knob out means (traces/FORMAT.md).
std::vector<SysfsSet> DefaultKnobs();

// Sets, in `knobs` (as DefaultKnobs() lists them), the entry of the knob
// (and order) that `write` writes to the value it writes. `write` is valid
// (the trace validator checked it).
void ApplyKnob(const SysfsSet& write, std::vector<SysfsSet>* knobs);

// Every knob of DefaultKnobs() that this kernel has, read from sysfs, in the
// same order.
absl::StatusOr<std::vector<SysfsSet>> ReadAllKnobs();

// The contents of a procfs/sysfs file, without surrounding white space.
absl::StatusOr<std::string> ReadControlFile(const std::string& path);

// Writes `value` to a procfs/sysfs file, registering its old contents for
// restoring when `restore` is set.
absl::Status WriteControlFile(const std::string& path, const std::string& value,
                              bool restore);

}  // namespace mmreplay::capture

#endif  // MMREPLAY_CAPTURE_KNOBS_H_
