// MatchRun(): the scan under the model's page-granular loops. The kernel
// walks PTEs and per-page state one entry at a time (folio_pte_batch,
// pte_none checks of alloc_anon_folio); the model does the same walks over
// whole tables on every fault, zap and split, so the scan compares eight
// entries at a time without a branch, in a form the compiler vectorizes.
#ifndef MMREPLAY_MM_MATCH_RUN_H_
#define MMREPLAY_MM_MATCH_RUN_H_

#include <cstdint>

namespace mmreplay::mm {

// The number of leading entries of a[0 .. n) with
// key(a[k]) == first + k * step.
template <typename T, typename Key>
int MatchRun(const T* a, int n, Key key, uint32_t first, uint32_t step) {
  int k = 0;
  for (; k + 8 <= n; k += 8) {
    uint32_t diff = 0;
    for (int j = 0; j < 8; ++j) {
      diff |= key(a[k + j]) ^ (first + static_cast<uint32_t>(k + j) * step);
    }
    if (diff != 0) break;
  }
  while (k < n && key(a[k]) == first + static_cast<uint32_t>(k) * step) ++k;
  return k;
}

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_MATCH_RUN_H_
