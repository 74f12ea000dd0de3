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

// The value in force, as a SysfsSet of the same knob and order.
absl::StatusOr<SysfsSet> ReadKnob(const SysfsSet& knob);

// Writes the knob; the first write of each file registers its old contents
// for restoring.
absl::Status WriteKnob(const SysfsSet& knob);

// Every knob the model knows (each per-size knob for each order that has a
// folder), read from sysfs, in a fixed order.
absl::StatusOr<std::vector<SysfsSet>> ReadAllKnobs();

// Writes `value` to a procfs/sysfs file, registering its old contents for
// restoring when `restore` is set.
absl::Status WriteControlFile(const std::string& path, const std::string& value,
                              bool restore);

}  // namespace mmreplay::capture

#endif  // MMREPLAY_CAPTURE_KNOBS_H_
