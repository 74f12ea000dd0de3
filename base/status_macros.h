// Status propagation macros. Abseil 20220623 has none of its own.
#ifndef MMREPLAY_BASE_STATUS_MACROS_H_
#define MMREPLAY_BASE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define MMR_STATUS_CONCAT_INNER_(a, b) a##b
#define MMR_STATUS_CONCAT_(a, b) MMR_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the enclosing
// function if it is not OK.
#define RETURN_IF_ERROR(expr)                  \
  do {                                         \
    absl::Status mmr_status_ = (expr);         \
    if (!mmr_status_.ok()) return mmr_status_; \
  } while (0)

// `ASSIGN_OR_RETURN(T x, expr);` evaluates `expr` (an absl::StatusOr<T>),
// returns its status if it is not OK, else moves its value into `x`.
#define ASSIGN_OR_RETURN(lhs, expr) \
  MMR_ASSIGN_OR_RETURN_IMPL_(MMR_STATUS_CONCAT_(mmr_or_, __LINE__), lhs, expr)

#define MMR_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return std::move(tmp).status();   \
  lhs = std::move(tmp).value()

#endif  // MMREPLAY_BASE_STATUS_MACROS_H_
