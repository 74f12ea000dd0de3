// Constants and small helpers of the trace file formats (traces/FORMAT.md).
#ifndef MMREPLAY_TRACE_TRACE_FORMAT_H_
#define MMREPLAY_TRACE_TRACE_FORMAT_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/page_geometry.h"

namespace mmreplay::trace {

// Header.format_version this build reads and writes.
inline constexpr uint32_t kFormatVersion = 1;

// Largest length a .mmt record may declare. A full batch of flat ops is a
// few hundred KiB; the cap keeps a corrupt length from allocating gigabytes.
inline constexpr size_t kMaxRecordBytes = 16u << 20;

// Ops per OpBatch written by TraceWriter.
inline constexpr int kMaxBatchOps = 4096;

// Largest user address + 1 (x86-64 TASK_SIZE with 4-level page tables).
inline constexpr uint64_t kTaskSize = 0x7ffffffff000ull;

// Largest Machine.total_pages: 2^29 - 2 pages (2 TiB), as the model's PTEs
// hold 29-bit PFNs (mm::kMaxPages; the replay driver checks the two agree).
inline constexpr uint64_t kMaxMachinePages = (uint64_t{1} << 29) - 2;

// Largest file size (MAX_LFS_FILESIZE).
inline constexpr uint64_t kMaxFileBytes = 0x7fffffffffffffffull;

// Largest file id a trace may create: ids from 2^31 up name the unnamed
// shmem files of shared anonymous mappings in the model and its event log
// (mm::kFirstAnonShmemFileId; the replay driver checks the two agree).
inline constexpr uint32_t kMaxTraceFileId = 0x7fffffffu;

// mremap() flags (include/uapi/linux/mman.h).
inline constexpr uint32_t kMremapMaymove = 1;
inline constexpr uint32_t kMremapFixed = 2;

enum class TraceFormat { kMmt, kTextproto };

// The format a path names by its extension: ".mmt" or ".textproto".
absl::StatusOr<TraceFormat> FormatForPath(absl::string_view path);

}  // namespace mmreplay::trace

#endif  // MMREPLAY_TRACE_TRACE_FORMAT_H_
