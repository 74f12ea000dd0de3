// The kernel's errno values the model returns and logs, once: the negative
// errnos of __folio_split(), madvise_collapse_errno() and the syscalls an
// op stands for (docs/model.md, "Ops the kernel refuses").
#ifndef MMREPLAY_MM_ERRNO_H_
#define MMREPLAY_MM_ERRNO_H_

#include "absl/strings/string_view.h"

namespace mmreplay::mm {

// X(constant, name, value) for each errno, as include/uapi/asm-generic.
#define MMREPLAY_ERRNOS(X) \
  X(kEagain, EAGAIN, 11)   \
  X(kEnomem, ENOMEM, 12)   \
  X(kEfault, EFAULT, 14)   \
  X(kEbusy, EBUSY, 16)     \
  X(kEinval, EINVAL, 22)

// The negative errnos: kEagain is -EAGAIN (-11).
#define MMREPLAY_ERRNO_CONSTANT(constant, name, value) \
  inline constexpr int constant = -(value);
MMREPLAY_ERRNOS(MMREPLAY_ERRNO_CONSTANT)
#undef MMREPLAY_ERRNO_CONSTANT

// "-EAGAIN" for kEagain; empty for an errno not in the table.
constexpr absl::string_view ErrnoName(int err) {
#define MMREPLAY_ERRNO_NAME(constant, name, value) \
  if (err == constant) return "-" #name;
  MMREPLAY_ERRNOS(MMREPLAY_ERRNO_NAME)
#undef MMREPLAY_ERRNO_NAME
  return "";
}

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_ERRNO_H_
