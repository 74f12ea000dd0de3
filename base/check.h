// CHECK(cond): an invariant of mmreplay itself. On failure it prints the
// file, line and condition to stderr and aborts. Use it for bugs, never for
// bad input (that is an absl::Status).
#ifndef MMREPLAY_BASE_CHECK_H_
#define MMREPLAY_BASE_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define CHECK(cond)                                                         \
  do {                                                                      \
    if (!(cond)) {                                                          \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
                   #cond);                                                  \
      std::abort();                                                         \
    }                                                                       \
  } while (0)

// DCHECK(cond): CHECK in debug builds (no NDEBUG), nothing in -c opt.
#ifdef NDEBUG
#define DCHECK(cond) \
  do {               \
  } while (false && (cond))
#else
#define DCHECK(cond) CHECK(cond)
#endif

#endif  // MMREPLAY_BASE_CHECK_H_
