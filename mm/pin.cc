// References from outside the page tables (mm/gup.c, vmsplice, PFN walkers):
// each holds its pages' folios until released, and a folio with such a
// reference cannot be split (can_split_folio).
#include "mm/pin.h"

#include "absl/strings/str_format.h"
#include "base/check.h"
#include "base/status_macros.h"
#include "mm/errno.h"
#include "mm/fault.h"
#include "mm/model.h"

namespace mmreplay::mm {

void GetPage(MmState& mm, uint32_t pfn, bool foll_pin, Reason reason) {
  uint32_t head = mm.folios.HeadOf(pfn);
  Folio& f = mm.folios.At(head);
  int refs = foll_pin && f.order == 0 ? kGupPinCountingBias : 1;
  Event& e = mm.NewEvent(EVENT_REF_GET, head, &f, reason);
  e.set_ref_before(f.refcount);
  e.set_ref_after(f.refcount + refs);
  mm.Emit();
  f.refcount += refs;
  if (foll_pin && f.order > 0) ++mm.folios.Large(f).pincount;
}

void PutPage(MmState& mm, uint32_t pfn, bool foll_pin, Reason reason) {
  uint32_t head = mm.folios.HeadOf(pfn);
  Folio& f = mm.folios.At(head);
  int refs = foll_pin && f.order == 0 ? kGupPinCountingBias : 1;
  if (foll_pin && f.order > 0) --mm.folios.Large(f).pincount;
  Event& e = mm.NewEvent(EVENT_REF_PUT, head, &f, reason);
  e.set_ref_before(f.refcount);
  e.set_ref_after(f.refcount - refs);
  mm.Emit();
  mm.PutFolio(head, refs, reason);
}

absl::Status Model::Pin(uint32_t pin_id, uint32_t pid, uint64_t addr,
                        uint64_t length, PinKind kind) {
  Process& p = mm_.GetProcess(pid);
  Holder h;
  h.foll_pin = kind == PIN_KIND_FOLL_PIN;
  h.pid = pid;
  // mm_set_has_pinned_flag().
  if (h.foll_pin) p.has_pinned = true;
  if (absl::Status s = GetUserPages(mm_, p, pid, addr, length, h); !s.ok()) {
    // GUP fails with -EFAULT (an address nothing maps, a mapping that does
    // not allow the access, a fault past EOF) and the caller gives back
    // what it got before (unpin_user_pages): nothing stays held, and the
    // syscall (io_uring_register, vmsplice) returns -EFAULT. The pin id
    // stays, holding nothing, for the trace's Unpin.
    for (uint32_t pfn : h.pfns) PutPage(mm_, pfn, h.foll_pin, REASON_UNPIN);
    h.pfns.clear();
    mm_.OpFailed(pid, addr, length,
                 absl::IsResourceExhausted(s) ? kEnomem : kEfault, REASON_PIN);
  }
  mm_.pins[pin_id] = std::move(h);
  return absl::OkStatus();
}

// __get_user_pages() over [addr, addr + length): each page's VMA checked
// (check_vma_flags), the page faulted in where it is not mapped as the pin
// needs (for write, so that a page mapped read-only, shared since a fork,
// is copied or reused first), then held; pages taken so far are in h.
absl::Status GetUserPages(MmState& mm, Process& p, uint32_t pid, uint64_t addr,
                          uint64_t length, Holder& h) {
  // A FOLL_PIN is for write (FOLL_WRITE: the DMA target, as io_uring's
  // registered buffers are); a FOLL_GET reads (vmsplice).
  const bool write = h.foll_pin;
  for (uint64_t a = addr; a < addr + length; a += kPageSize) {
    const Vma* vma = p.vmas.Find(a);
    if (vma == nullptr) {
      return absl::FailedPreconditionError(
          "pin of an address nothing maps (GUP would fail with EFAULT)");
    }
    if ((vma->prot & (write ? PROT_BITS_WRITE : PROT_BITS_READ)) == 0) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "%s pin at 0x%x in process %d: the mapping is not %s (GUP would "
          "fail with EFAULT)",
          write ? "FOLL_PIN" : "FOLL_GET", a, pid,
          write ? "writable" : "readable"));
    }
    Vma copy = *vma;
    uint32_t pfn = kNoPfn;
    for (int attempt = 0; attempt < 2 && pfn == kNoPfn; ++attempt) {
      const bool take_any = !write || attempt == 1;
      const Pmd* pmd = p.pt.FindPmd(a);
      const Pte pte = p.pt.GetPte(a);
      if (pmd != nullptr && pmd->kind == Pmd::Kind::kFolio &&
          (take_any || pmd->writable)) {
        pfn = pmd->head +
              static_cast<uint32_t>((a & (kPmdSize - 1)) >> kPageShift);
      } else if (pte.present_page() && (take_any || pte.writable())) {
        pfn = pte.pfn();
      } else if (attempt == 0) {
        // The fault writes nothing: the device will.
        RETURN_IF_ERROR(HandleMmFault(mm, p, pid, copy, a, write));
        if (ABSL_PREDICT_FALSE(mm.fault_oom)) {
          mm.fault_oom = false;  // faultin_page(): -ENOMEM
          return absl::ResourceExhaustedError("out of memory");
        }
      }
    }
    if (pfn == kNoPfn) continue;  // the zero page: nothing to hold
    GetPage(mm, pfn, h.foll_pin, REASON_PIN);
    h.pfns.push_back(pfn);
  }
  return absl::OkStatus();
}

absl::Status Model::Unpin(uint32_t pin_id) {
  auto it = mm_.pins.find(pin_id);
  CHECK(it != mm_.pins.end());
  Holder h = std::move(it->second);
  mm_.pins.erase(it);
  for (uint32_t pfn : h.pfns) PutPage(mm_, pfn, h.foll_pin, REASON_UNPIN);
  return absl::OkStatus();
}

// do_exit(): after exit_mm() has unmapped its memory, exit_files() closes
// the files holding the pins of process pid, lowest pin id first. A pipe's
// page references go then; an io_uring's registered buffers only later,
// from io_ring_exit_work on a workqueue. Simplified: those go at once too
// (mmcapture unregisters them before the exit, so its captures agree).
void ReleasePins(MmState& mm, uint32_t pid) {
  for (auto it = mm.pins.begin(); it != mm.pins.end();) {
    if (it->second.pid != pid) {
      ++it;
      continue;
    }
    for (uint32_t pfn : it->second.pfns) {
      PutPage(mm, pfn, it->second.foll_pin, REASON_EXIT);
    }
    it = mm.pins.erase(it);
  }
}

// get_page_unless_zero() on the page mapped at addr: fails (holds nothing)
// where no folio is mapped.
absl::Status Model::SpeculativeGetAddr(uint32_t ref_id, uint32_t pid,
                                       uint64_t addr) {
  Process& p = mm_.GetProcess(pid);
  Holder h;
  const Pmd* pmd = p.pt.FindPmd(addr);
  if (pmd != nullptr && pmd->kind == Pmd::Kind::kFolio) {
    h.pfns.push_back(pmd->head + static_cast<uint32_t>(
                                     (addr & (kPmdSize - 1)) >> kPageShift));
  } else if (Pte pte = p.pt.GetPte(addr); pte.present_page()) {
    h.pfns.push_back(pte.pfn());
  }
  for (uint32_t pfn : h.pfns) GetPage(mm_, pfn, false, REASON_SPECULATIVE);
  mm_.refs[ref_id] = std::move(h);
  return absl::OkStatus();
}

// folio_try_get() on the page-cache folio holding the page, as a lookup
// (find_get_entries) or a PFN walker does; nothing where there is a hole.
absl::Status Model::SpeculativeGetFile(uint32_t ref_id, uint32_t file_id,
                                       uint64_t page_index) {
  Holder h;
  std::optional<PageCache::Entry> e =
      mm_.GetFile(file_id).cache.Find(page_index);
  if (e.has_value()) {
    h.pfns.push_back(e->head + static_cast<uint32_t>(page_index - e->index));
  }
  for (uint32_t pfn : h.pfns) GetPage(mm_, pfn, false, REASON_SPECULATIVE);
  mm_.refs[ref_id] = std::move(h);
  return absl::OkStatus();
}

absl::Status Model::SpeculativePut(uint32_t ref_id) {
  auto it = mm_.refs.find(ref_id);
  CHECK(it != mm_.refs.end());
  Holder h = std::move(it->second);
  mm_.refs.erase(it);
  for (uint32_t pfn : h.pfns) PutPage(mm_, pfn, false, REASON_SPECULATIVE);
  return absl::OkStatus();
}

absl::Status VerifyPins(const MmState& mm,
                        absl::flat_hash_map<uint32_t, int64_t>* refs) {
  absl::flat_hash_map<uint32_t, int64_t>& held = *refs;
  for (const auto* holders : {&mm.pins, &mm.refs}) {
    for (const auto& [id, h] : *holders) {
      for (uint32_t pfn : h.pfns) {
        const Folio* f = mm.folios.Peek(pfn);
        if (f == nullptr) {
          return absl::InternalError(absl::StrFormat(
              "reference %d holds page 0x%x, which is free", id, pfn));
        }
        held[mm.folios.HeadOf(pfn)] +=
            h.foll_pin && f->order == 0 ? kGupPinCountingBias : 1;
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace mmreplay::mm
