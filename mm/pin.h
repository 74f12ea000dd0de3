// References from outside the page tables (mm/gup.c FOLL_PIN and FOLL_GET,
// vmsplice, folio_try_get).
#ifndef MMREPLAY_MM_PIN_H_
#define MMREPLAY_MM_PIN_H_

#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "mm/mm_state.h"
#include "proto/event.pb.h"

namespace mmreplay::mm {

// __get_user_pages() over [addr, addr + length) of process pid: faults
// where needed, then takes a reference per page into `h`.
[[nodiscard]] absl::Status GetUserPages(MmState& mm, Process& p, uint32_t pid,
                                        uint64_t addr, uint64_t length,
                                        Holder& h);
// The pins of process pid go, as its exit closes their files.
void ReleasePins(MmState& mm, uint32_t pid);
// try_grab_folio() / unpin_user_page() and folio_put() of one page.
void GetPage(MmState& mm, uint32_t pfn, bool foll_pin, Reason reason);
void PutPage(MmState& mm, uint32_t pfn, bool foll_pin, Reason reason);

// Verify()'s part: every pinned or speculatively held page is live. Adds
// each folio's held references to `refs` (by head PFN).
[[nodiscard]] absl::Status VerifyPins(
    const MmState& mm, absl::flat_hash_map<uint32_t, int64_t>* refs);

}  // namespace mmreplay::mm

#endif  // MMREPLAY_MM_PIN_H_
