#include "trace/trace_validator.h"

#include <string>

#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "trace/counter_names.h"
#include "trace/layout_notation.h"
#include "trace/op_schema.h"
#include "trace/trace_format.h"

namespace mmreplay::trace {
namespace {

constexpr uint32_t kKnownProt =
    PROT_BITS_READ | PROT_BITS_WRITE | PROT_BITS_EXEC;
constexpr uint32_t kKnownMapFlags =
    MAP_BITS_SHARED | MAP_BITS_PRIVATE | MAP_BITS_NORESERVE | MAP_BITS_POPULATE;
// MAX_PAGECACHE_ORDER on x86-64: min(MAX_XAS_ORDER, PMD_ORDER).
constexpr uint32_t kMaxPagecacheOrder = kPmdOrder;
// Largest value of khugepaged/max_ptes_none and max_ptes_shared
// (HPAGE_PMD_NR - 1: max_ptes_none_store, max_ptes_shared_store).
constexpr uint32_t kMaxPtesLimit = kPagesPerPmd - 1;

// What one trace may hold alive at once (docs/model.md, "Limits"): the
// model's memory grows with each, so each has a bound taken from the kernel.
struct LiveLimit {
  size_t max;
  absl::string_view why;
};
// PID_MAX_DEFAULT (include/linux/threads.h).
constexpr LiveLimit kMaxProcesses = {32768, "PID_MAX_DEFAULT"};
// Files (each costs the model a record even when empty).
constexpr LiveLimit kMaxFiles = {1 << 16, "the model's limit"};
// Pins: mmcapture holds a pipe or an io_uring ring (files) for each, and
// the soft RLIMIT_NOFILE is 1024.
constexpr LiveLimit kMaxPins = {1024, "RLIMIT_NOFILE"};
constexpr LiveLimit kMaxReferences = {1 << 16, "the model's limit"};
// io_buffer_validate(): one registered buffer is at most SZ_1G (longer is
// -EFAULT); the model holds a PFN for each page of a pin.
constexpr uint64_t kMaxPinBytes = uint64_t{1} << 30;

absl::Status Bad(absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

// The range and id checks of one flat op; each names "<op>.<field>". Each
// check is one branch on the hot path; the messages are built out of line,
// only on failure.
class FlatChecker {
 public:
  explicit FlatChecker(const TraceOp& op) : op_(op), info_(*op.info) {}

  uint64_t Get(int n) const { return op_.arg(n); }

  [[gnu::noinline, gnu::cold]] absl::Status Error(
      int n, absl::string_view what) const {
    return Bad(
        absl::StrCat(info_.field->name(), ".", info_.fields[n - 1]->name()),
        what);
  }

  // Every field holds a value of its type.
  ABSL_ATTRIBUTE_ALWAYS_INLINE absl::Status Types() const {
    for (int k = 0; k < info_.narrow_count; ++k) {
      int i = info_.narrow[k];
      uint64_t v = op_.args[i];
      if (ABSL_PREDICT_FALSE(v > info_.max_value[i])) return TypeError(i);
      if (info_.types[i] == FlatFieldType::kEnum &&
          ABSL_PREDICT_FALSE((info_.enum_values[i] >> v & 1) == 0)) {
        return TypeError(i);
      }
    }
    return absl::OkStatus();
  }

  ABSL_ATTRIBUTE_ALWAYS_INLINE absl::Status NonZero(
      int n, absl::string_view what = "must not be zero") const {
    if (ABSL_PREDICT_FALSE(Get(n) == 0)) return Error(n, what);
    return absl::OkStatus();
  }

  ABSL_ATTRIBUTE_ALWAYS_INLINE absl::Status PageAligned(int n) const {
    if (ABSL_PREDICT_FALSE(Get(n) % kPageSize != 0)) return UnalignedError(n);
    return absl::OkStatus();
  }

  // [addr, addr + length) is a non-empty, page-aligned user address range.
  ABSL_ATTRIBUTE_ALWAYS_INLINE absl::Status AddressRange(int addr,
                                                         int length) const {
    uint64_t a = Get(addr), len = Get(length);
    if (ABSL_PREDICT_FALSE(((a | len) % kPageSize) != 0 || len == 0 ||
                           a >= kTaskSize || len > kTaskSize - a)) {
      return AddressRangeError(addr, length);
    }
    return absl::OkStatus();
  }

  // [offset, offset + length) fits a file; length non-zero if asked.
  absl::Status FileRange(int offset, int length, bool need_length) const {
    if (need_length) RETURN_IF_ERROR(NonZero(length, "zero length"));
    uint64_t o = Get(offset), len = length ? Get(length) : 0;
    if (ABSL_PREDICT_FALSE(o > kMaxFileBytes || len > kMaxFileBytes - o)) {
      return Error(offset,
                   absl::StrFormat("offset overflow: 0x%x + 0x%x ends past the "
                                   "largest file size 0x%x",
                                   o, len, kMaxFileBytes));
    }
    return absl::OkStatus();
  }

  absl::Status Order(int n, uint32_t max, absl::string_view limit) const {
    if (ABSL_PREDICT_FALSE(Get(n) > max)) {
      return Error(
          n, absl::StrCat("order ", Get(n), " exceeds ", limit, " ", max));
    }
    return absl::OkStatus();
  }

  absl::Status Prot(int n) const {
    if (ABSL_PREDICT_FALSE(Get(n) & ~uint64_t{kKnownProt})) {
      return Error(n, absl::StrFormat("unknown prot bits 0x%x",
                                      Get(n) & ~uint64_t{kKnownProt}));
    }
    return absl::OkStatus();
  }

  absl::Status MapFlags(int n) const {
    uint64_t f = Get(n);
    if (ABSL_PREDICT_FALSE(f & ~uint64_t{kKnownMapFlags})) {
      return Error(n, absl::StrFormat("unknown flag bits 0x%x",
                                      f & ~uint64_t{kKnownMapFlags}));
    }
    if (ABSL_PREDICT_FALSE(((f & MAP_BITS_SHARED) != 0) ==
                           ((f & MAP_BITS_PRIVATE) != 0))) {
      return Error(n, "exactly one of MAP_SHARED and MAP_PRIVATE must be set");
    }
    return absl::OkStatus();
  }

  ABSL_ATTRIBUTE_ALWAYS_INLINE absl::Status Set(int n) const {
    if (ABSL_PREDICT_FALSE(Get(n) == 0)) return Error(n, "must be set");
    return absl::OkStatus();
  }

  // The id in field n names a live object of `set`.
  ABSL_ATTRIBUTE_ALWAYS_INLINE absl::Status Known(
      const IdSet& set, int n, absl::string_view what) const {
    uint32_t id = static_cast<uint32_t>(Get(n));
    if (ABSL_PREDICT_FALSE(id == 0 || !set.contains(id))) {
      return UnknownIdError(n, what);
    }
    return absl::OkStatus();
  }

  // The id in field n is new to `set`, which holds fewer than limit.max;
  // inserts it.
  absl::Status Create(IdSet* set, int n, absl::string_view what,
                      LiveLimit limit) const {
    uint32_t id = static_cast<uint32_t>(Get(n));
    if (id == 0) return Error(n, absl::StrCat(what, " id 0 is reserved"));
    if (ABSL_PREDICT_FALSE(set->size() >= limit.max)) {
      return Error(n, absl::StrCat("a ", what, " beyond the ", limit.max,
                                   " alive at once that the model allows (",
                                   limit.why, ")"));
    }
    if (!set->insert(id)) {
      return Error(n, absl::StrCat(what, " ", id, " already exists"));
    }
    return absl::OkStatus();
  }

 private:
  [[gnu::noinline, gnu::cold]] absl::Status TypeError(int i) const {
    uint64_t v = op_.args[i];
    switch (info_.types[i]) {
      case FlatFieldType::kUint32:
        return Error(i + 1, absl::StrCat("value ", v, " does not fit uint32"));
      case FlatFieldType::kBool:
        return Error(i + 1, absl::StrCat("value ", v, " is not a bool"));
      default:
        return Error(i + 1, absl::StrCat("unknown ",
                                         info_.fields[i]->enum_type()->name(),
                                         " value ", v));
    }
  }

  [[gnu::noinline, gnu::cold]] absl::Status UnknownIdError(
      int n, absl::string_view what) const {
    uint64_t id = Get(n);
    return Error(n, id == 0 ? absl::StrCat("must name a ", what)
                            : absl::StrCat("unknown ", what, " ", id));
  }

  [[gnu::noinline, gnu::cold]] absl::Status UnalignedError(int n) const {
    return Error(n, absl::StrFormat("0x%x is not page-aligned", Get(n)));
  }

  [[gnu::noinline, gnu::cold]] absl::Status AddressRangeError(
      int addr, int length) const {
    RETURN_IF_ERROR(PageAligned(addr));
    RETURN_IF_ERROR(NonZero(length, "zero length"));
    RETURN_IF_ERROR(PageAligned(length));
    return Error(addr, absl::StrFormat("address overflow: 0x%x + 0x%x ends "
                                       "past the user address limit 0x%x",
                                       Get(addr), Get(length), kTaskSize));
  }

  const TraceOp& op_;
  const OpKindInfo& info_;
};

// Knob values sysfs accepts, per knob.
bool KnobAccepts(Knob knob, KnobValue v) {
  switch (knob) {
    case KNOB_ENABLED:
      return v == KNOB_VALUE_ALWAYS || v == KNOB_VALUE_MADVISE ||
             v == KNOB_VALUE_NEVER;
    case KNOB_DEFRAG:
      return v == KNOB_VALUE_ALWAYS || v == KNOB_VALUE_DEFER ||
             v == KNOB_VALUE_DEFER_MADVISE || v == KNOB_VALUE_MADVISE ||
             v == KNOB_VALUE_NEVER;
    case KNOB_ANON_ORDER_ENABLED:
      return v == KNOB_VALUE_ALWAYS || v == KNOB_VALUE_INHERIT ||
             v == KNOB_VALUE_MADVISE || v == KNOB_VALUE_NEVER;
    case KNOB_SHMEM_ENABLED:
      return v == KNOB_VALUE_ALWAYS || v == KNOB_VALUE_WITHIN_SIZE ||
             v == KNOB_VALUE_ADVISE || v == KNOB_VALUE_NEVER ||
             v == KNOB_VALUE_DENY || v == KNOB_VALUE_FORCE;
    case KNOB_SHMEM_ORDER_ENABLED:
      return v == KNOB_VALUE_ALWAYS || v == KNOB_VALUE_INHERIT ||
             v == KNOB_VALUE_WITHIN_SIZE || v == KNOB_VALUE_ADVISE ||
             v == KNOB_VALUE_NEVER;
    default:
      return false;
  }
}

// Shared by SysfsSet ops and the header's knob list.
absl::Status CheckKnob(const SysfsSet& s, absl::string_view where) {
  auto field = [&](absl::string_view f) { return absl::StrCat(where, ".", f); };
  switch (s.knob()) {
    case KNOB_UNSPECIFIED:
      return Bad(field("knob"), "must be set");
    case KNOB_ANON_ORDER_ENABLED:
      if (s.order() < 2 || s.order() > kPmdOrder) {
        return Bad(field("order"),
                   absl::StrCat("anon folio order ", s.order(),
                                " has no hugepages-<N>kB knob (2..9)"));
      }
      break;
    case KNOB_SHMEM_ORDER_ENABLED:
      if (s.order() < 1 || s.order() > kPmdOrder) {
        return Bad(field("order"),
                   absl::StrCat("shmem folio order ", s.order(),
                                " has no hugepages-<N>kB knob (1..9)"));
      }
      break;
    case KNOB_MAX_PTES_NONE:
    case KNOB_MAX_PTES_SHARED:
    case KNOB_USE_ZERO_PAGE:
    case KNOB_SHRINK_UNDERUSED: {
      // A number knob: sysfs takes digits, never a word.
      if (s.value() != KNOB_VALUE_UNSPECIFIED) {
        return Bad(
            field("value"),
            absl::StrCat(Knob_Name(s.knob()), " takes a number, not a value"));
      }
      const bool flag =
          s.knob() == KNOB_USE_ZERO_PAGE || s.knob() == KNOB_SHRINK_UNDERUSED;
      if (flag && s.number() > 1) {
        return Bad(field("number"),
                   absl::StrCat("value ", s.number(), " is not 0 or 1"));
      }
      if (!flag && s.number() > kMaxPtesLimit) {
        const absl::string_view name = s.knob() == KNOB_MAX_PTES_NONE
                                           ? "max_ptes_none"
                                           : "max_ptes_shared";
        return Bad(field("number"),
                   absl::StrCat(name, " ", s.number(), " exceeds 511"));
      }
      return absl::OkStatus();
    }
    default:
      break;
  }
  if (!Knob_IsValid(s.knob())) {
    return Bad(field("knob"), absl::StrCat("unknown Knob value ", s.knob()));
  }
  if (!KnobAccepts(s.knob(), s.value())) {
    return Bad(field("value"),
               absl::StrCat(KnobValue_Name(s.value()), " is not a value of ",
                            Knob_Name(s.knob())));
  }
  return absl::OkStatus();
}

// Out of line: the SysfsSet message it builds would weigh on every op's
// stack frame in CheckFlat().
[[gnu::noinline]] absl::Status CheckSysfsSet(const TraceOp& op) {
  SysfsSet s;
  s.set_knob(static_cast<Knob>(op.arg(SysfsSet::kKnobFieldNumber)));
  s.set_order(static_cast<uint32_t>(op.arg(SysfsSet::kOrderFieldNumber)));
  s.set_value(static_cast<KnobValue>(op.arg(SysfsSet::kValueFieldNumber)));
  s.set_number(static_cast<uint32_t>(op.arg(SysfsSet::kNumberFieldNumber)));
  return CheckKnob(s, "sysfs_set");
}

}  // namespace

absl::Status TraceValidator::CheckHeader(const Header& header) {
  if (header.format_version() != kFormatVersion) {
    return Bad("header.format_version",
               absl::StrCat("unknown version ", header.format_version(),
                            " (this build reads ", kFormatVersion, ")"));
  }
  const Machine& m = header.machine();
  constexpr uint64_t kBlock = uint64_t{1} << kMaxPageOrder;
  if (m.total_pages() == 0 || m.total_pages() % kBlock != 0) {
    return Bad("header.machine.total_pages",
               absl::StrCat(m.total_pages(),
                            " is not a positive multiple of 1024 pages"));
  }
  if (m.total_pages() > kMaxMachinePages) {
    return Bad("header.machine.total_pages",
               absl::StrCat(m.total_pages(), " exceeds the model's ",
                            kMaxMachinePages, " pages (2 TiB)"));
  }
  uint64_t next = 0;
  for (int i = 0; i < m.zone_size(); ++i) {
    const Zone& z = m.zone(i);
    std::string where = absl::StrCat("header.machine.zone[", i, "]");
    if (!ZoneType_IsValid(z.type()) || z.type() == ZONE_TYPE_UNSPECIFIED) {
      return Bad(absl::StrCat(where, ".type"), "must be a known zone type");
    }
    if (z.pages() == 0 || z.pages() % kBlock != 0 ||
        z.start_pfn() % kBlock != 0) {
      return Bad(where,
                 "start_pfn and pages must be multiples of 1024, pages "
                 "non-zero");
    }
    if (z.start_pfn() < next || z.pages() > m.total_pages() ||
        z.start_pfn() > m.total_pages() - z.pages()) {
      return Bad(where,
                 "zones must be in PFN order, apart, and inside "
                 "total_pages");
    }
    next = z.start_pfn() + z.pages();
  }
  for (int i = 0; i < header.profile().knob_size(); ++i) {
    RETURN_IF_ERROR(CheckKnob(header.profile().knob(i),
                              absl::StrCat("header.profile.knob[", i, "]")));
  }
  return absl::OkStatus();
}

absl::Status TraceValidator::CheckFlat(const TraceOp& op) {
  FlatChecker c(op);
  RETURN_IF_ERROR(c.Types());
  switch (op.kind) {
    case Op::kProcessCreate:
      return c.Create(&pids_, ProcessCreate::kPidFieldNumber, "process",
                      kMaxProcesses);
    case Op::kProcessExit: {
      RETURN_IF_ERROR(c.Known(pids_, ProcessExit::kPidFieldNumber, "process"));
      const uint32_t pid =
          static_cast<uint32_t>(c.Get(ProcessExit::kPidFieldNumber));
      pids_.erase(pid);
      // The exit releases its pins (their files close).
      absl::erase_if(pin_pid_, [this, pid](const auto& e) {
        if (e.second != pid) return false;
        pins_.erase(e.first);
        return true;
      });
      return absl::OkStatus();
    }
    case Op::kProcessFork:
      RETURN_IF_ERROR(
          c.Known(pids_, ProcessFork::kParentPidFieldNumber, "process"));
      return c.Create(&pids_, ProcessFork::kChildPidFieldNumber, "process",
                      kMaxProcesses);
    case Op::kMmapAnon:
      RETURN_IF_ERROR(c.Known(pids_, MmapAnon::kPidFieldNumber, "process"));
      RETURN_IF_ERROR(c.AddressRange(MmapAnon::kAddrFieldNumber,
                                     MmapAnon::kLengthBytesFieldNumber));
      RETURN_IF_ERROR(c.Prot(MmapAnon::kProtFieldNumber));
      return c.MapFlags(MmapAnon::kFlagsFieldNumber);
    case Op::kMmapFile:
      RETURN_IF_ERROR(c.Known(pids_, MmapFile::kPidFieldNumber, "process"));
      RETURN_IF_ERROR(c.AddressRange(MmapFile::kAddrFieldNumber,
                                     MmapFile::kLengthBytesFieldNumber));
      RETURN_IF_ERROR(c.Prot(MmapFile::kProtFieldNumber));
      RETURN_IF_ERROR(c.MapFlags(MmapFile::kFlagsFieldNumber));
      RETURN_IF_ERROR(c.Known(files_, MmapFile::kFileIdFieldNumber, "file"));
      RETURN_IF_ERROR(c.PageAligned(MmapFile::kOffsetBytesFieldNumber));
      return c.FileRange(MmapFile::kOffsetBytesFieldNumber,
                         MmapFile::kLengthBytesFieldNumber, true);
    case Op::kMunmap:
      RETURN_IF_ERROR(c.Known(pids_, Munmap::kPidFieldNumber, "process"));
      return c.AddressRange(Munmap::kAddrFieldNumber,
                            Munmap::kLengthBytesFieldNumber);
    case Op::kMadvise:
      RETURN_IF_ERROR(c.Known(pids_, Madvise::kPidFieldNumber, "process"));
      RETURN_IF_ERROR(c.AddressRange(Madvise::kAddrFieldNumber,
                                     Madvise::kLengthBytesFieldNumber));
      return c.Set(Madvise::kAdviceFieldNumber);
    case Op::kMprotect:
      RETURN_IF_ERROR(c.Known(pids_, Mprotect::kPidFieldNumber, "process"));
      RETURN_IF_ERROR(c.AddressRange(Mprotect::kAddrFieldNumber,
                                     Mprotect::kLengthBytesFieldNumber));
      return c.Prot(Mprotect::kProtFieldNumber);
    case Op::kTouch:
      RETURN_IF_ERROR(c.Known(pids_, Touch::kPidFieldNumber, "process"));
      RETURN_IF_ERROR(c.AddressRange(Touch::kAddrFieldNumber,
                                     Touch::kLengthBytesFieldNumber));
      return c.Set(Touch::kAccessFieldNumber);
    case Op::kFileCreate: {
      RETURN_IF_ERROR(c.Set(FileCreate::kFilesystemFieldNumber));
      bool tmpfs =
          c.Get(FileCreate::kFilesystemFieldNumber) == FILESYSTEM_TMPFS;
      if (tmpfs) {
        RETURN_IF_ERROR(c.Set(FileCreate::kHugeFieldNumber));
      } else if (c.Get(FileCreate::kHugeFieldNumber) != 0) {
        return c.Error(FileCreate::kHugeFieldNumber, "is for tmpfs files only");
      }
      RETURN_IF_ERROR(c.Order(FileCreate::kMinOrderFieldNumber,
                              kMaxPagecacheOrder, "MAX_PAGECACHE_ORDER"));
      RETURN_IF_ERROR(c.Order(FileCreate::kMaxOrderFieldNumber,
                              kMaxPagecacheOrder, "MAX_PAGECACHE_ORDER"));
      if (tmpfs && (c.Get(FileCreate::kMinOrderFieldNumber) != 0 ||
                    c.Get(FileCreate::kMaxOrderFieldNumber) != 0)) {
        return c.Error(FileCreate::kMinOrderFieldNumber,
                       "min_order and max_order are for page-cache files "
                       "only");
      }
      if (c.Get(FileCreate::kMinOrderFieldNumber) >
          c.Get(FileCreate::kMaxOrderFieldNumber)) {
        return c.Error(FileCreate::kMinOrderFieldNumber,
                       "min_order exceeds max_order");
      }
      if (c.Get(FileCreate::kFileIdFieldNumber) > kMaxTraceFileId) {
        return c.Error(FileCreate::kFileIdFieldNumber,
                       absl::StrCat("file id above ", kMaxTraceFileId,
                                    " (larger ids name the shmem files of "
                                    "shared anonymous mappings)"));
      }
      RETURN_IF_ERROR(
          c.Create(&files_, FileCreate::kFileIdFieldNumber, "file", kMaxFiles));
      if (tmpfs) {
        tmpfs_files_.insert(
            static_cast<uint32_t>(c.Get(FileCreate::kFileIdFieldNumber)));
      }
      return absl::OkStatus();
    }
    case Op::kFileWrite:
      RETURN_IF_ERROR(c.Known(files_, FileWrite::kFileIdFieldNumber, "file"));
      return c.FileRange(FileWrite::kOffsetBytesFieldNumber,
                         FileWrite::kLengthBytesFieldNumber, true);
    case Op::kFileRead:
      RETURN_IF_ERROR(c.Known(files_, FileRead::kFileIdFieldNumber, "file"));
      return c.FileRange(FileRead::kOffsetBytesFieldNumber,
                         FileRead::kLengthBytesFieldNumber, true);
    case Op::kPunchHole:
      RETURN_IF_ERROR(c.Known(files_, PunchHole::kFileIdFieldNumber, "file"));
      return c.FileRange(PunchHole::kOffsetBytesFieldNumber,
                         PunchHole::kLengthBytesFieldNumber, true);
    case Op::kMremap: {
      RETURN_IF_ERROR(c.Known(pids_, Mremap::kPidFieldNumber, "process"));
      RETURN_IF_ERROR(c.AddressRange(Mremap::kAddrFieldNumber,
                                     Mremap::kOldLengthBytesFieldNumber));
      RETURN_IF_ERROR(c.AddressRange(Mremap::kAddrFieldNumber,
                                     Mremap::kNewLengthBytesFieldNumber));
      const uint64_t flags = c.Get(Mremap::kFlagsFieldNumber);
      if (flags != 0 && flags != kMremapMaymove &&
          flags != (kMremapMaymove | kMremapFixed)) {
        return c.Error(Mremap::kFlagsFieldNumber,
                       absl::StrFormat("flags 0x%x: 0, MREMAP_MAYMOVE (1) or "
                                       "MREMAP_MAYMOVE|MREMAP_FIXED (3)",
                                       flags));
      }
      if (flags & kMremapFixed) {
        return c.AddressRange(Mremap::kNewAddrFieldNumber,
                              Mremap::kNewLengthBytesFieldNumber);
      }
      if (c.Get(Mremap::kNewAddrFieldNumber) != 0) {
        return c.Error(Mremap::kNewAddrFieldNumber,
                       "new_addr without MREMAP_FIXED");
      }
      return absl::OkStatus();
    }
    case Op::kFallocate:
      RETURN_IF_ERROR(c.Known(files_, Fallocate::kFileIdFieldNumber, "file"));
      if (!tmpfs_files_.contains(
              static_cast<uint32_t>(c.Get(Fallocate::kFileIdFieldNumber)))) {
        return c.Error(Fallocate::kFileIdFieldNumber,
                       "fallocate is modelled for tmpfs files only");
      }
      return c.FileRange(Fallocate::kOffsetBytesFieldNumber,
                         Fallocate::kLengthBytesFieldNumber, true);
    case Op::kTruncate:
      RETURN_IF_ERROR(c.Known(files_, Truncate::kFileIdFieldNumber, "file"));
      return c.FileRange(Truncate::kSizeBytesFieldNumber, 0, false);
    case Op::kFileUnlink:
      RETURN_IF_ERROR(c.Known(files_, FileUnlink::kFileIdFieldNumber, "file"));
      files_.erase(
          static_cast<uint32_t>(c.Get(FileUnlink::kFileIdFieldNumber)));
      tmpfs_files_.erase(
          static_cast<uint32_t>(c.Get(FileUnlink::kFileIdFieldNumber)));
      return absl::OkStatus();
    case Op::kPin:
      RETURN_IF_ERROR(c.Known(pids_, Pin::kPidFieldNumber, "process"));
      RETURN_IF_ERROR(
          c.AddressRange(Pin::kAddrFieldNumber, Pin::kLengthBytesFieldNumber));
      if (c.Get(Pin::kLengthBytesFieldNumber) > kMaxPinBytes) {
        return c.Error(Pin::kLengthBytesFieldNumber,
                       "a pin of more than 1 GiB (io_uring's limit on one "
                       "registered buffer, SZ_1G)");
      }
      RETURN_IF_ERROR(c.Set(Pin::kKindFieldNumber));
      RETURN_IF_ERROR(
          c.Create(&pins_, Pin::kPinIdFieldNumber, "pin", kMaxPins));
      pin_pid_[static_cast<uint32_t>(c.Get(Pin::kPinIdFieldNumber))] =
          static_cast<uint32_t>(c.Get(Pin::kPidFieldNumber));
      return absl::OkStatus();
    case Op::kUnpin: {
      RETURN_IF_ERROR(c.Known(pins_, Unpin::kPinIdFieldNumber, "pin"));
      const uint32_t id =
          static_cast<uint32_t>(c.Get(Unpin::kPinIdFieldNumber));
      pins_.erase(id);
      pin_pid_.erase(id);
      return absl::OkStatus();
    }
    case Op::kSpeculativeGet: {
      bool by_file = c.Get(SpeculativeGet::kFileIdFieldNumber) != 0;
      bool by_pid = c.Get(SpeculativeGet::kPidFieldNumber) != 0;
      if (by_file == by_pid) {
        return c.Error(SpeculativeGet::kFileIdFieldNumber,
                       "exactly one of file_id and pid must be set");
      }
      if (by_file) {
        RETURN_IF_ERROR(
            c.Known(files_, SpeculativeGet::kFileIdFieldNumber, "file"));
      } else {
        RETURN_IF_ERROR(
            c.Known(pids_, SpeculativeGet::kPidFieldNumber, "process"));
        RETURN_IF_ERROR(c.PageAligned(SpeculativeGet::kAddrFieldNumber));
        if (c.Get(SpeculativeGet::kAddrFieldNumber) >= kTaskSize) {
          return c.Error(SpeculativeGet::kAddrFieldNumber,
                         "address past the user address limit");
        }
      }
      return c.Create(&refs_, SpeculativeGet::kRefIdFieldNumber, "reference",
                      kMaxReferences);
    }
    case Op::kSpeculativePut:
      RETURN_IF_ERROR(
          c.Known(refs_, SpeculativePut::kRefIdFieldNumber, "reference"));
      refs_.erase(
          static_cast<uint32_t>(c.Get(SpeculativePut::kRefIdFieldNumber)));
      return absl::OkStatus();
    case Op::kCompact:
      RETURN_IF_ERROR(c.Set(Compact::kModeFieldNumber));
      RETURN_IF_ERROR(
          c.Order(Compact::kOrderFieldNumber, kMaxPageOrder, "MAX_PAGE_ORDER"));
      if (c.Get(Compact::kModeFieldNumber) == COMPACT_MODE_ORDER) {
        RETURN_IF_ERROR(
            c.NonZero(Compact::kOrderFieldNumber,
                      "COMPACT_MODE_ORDER needs an order of 1..10"));
      }
      if (c.Get(Compact::kWalkerRefIdFieldNumber) != 0) {
        return c.Create(&refs_, Compact::kWalkerRefIdFieldNumber, "reference",
                        kMaxReferences);
      }
      return absl::OkStatus();
    case Op::kDeferredSplitScan:
      return absl::OkStatus();
    case Op::kCollapse:
      RETURN_IF_ERROR(c.Known(pids_, Collapse::kPidFieldNumber, "process"));
      return c.AddressRange(Collapse::kAddrFieldNumber,
                            Collapse::kLengthBytesFieldNumber);
    case Op::kSplitRequest: {
      bool by_file = c.Get(SplitRequest::kFileIdFieldNumber) != 0;
      bool by_pid = c.Get(SplitRequest::kPidFieldNumber) != 0;
      if (by_file == by_pid) {
        return c.Error(SplitRequest::kPidFieldNumber,
                       "exactly one of pid and file_id must be set");
      }
      if (by_pid) {
        RETURN_IF_ERROR(
            c.Known(pids_, SplitRequest::kPidFieldNumber, "process"));
        RETURN_IF_ERROR(c.AddressRange(SplitRequest::kAddrFieldNumber,
                                       SplitRequest::kLengthBytesFieldNumber));
      } else {
        RETURN_IF_ERROR(
            c.Known(files_, SplitRequest::kFileIdFieldNumber, "file"));
        RETURN_IF_ERROR(c.PageAligned(SplitRequest::kOffsetBytesFieldNumber));
        RETURN_IF_ERROR(c.FileRange(SplitRequest::kOffsetBytesFieldNumber,
                                    SplitRequest::kLengthBytesFieldNumber,
                                    true));
      }
      RETURN_IF_ERROR(c.Order(SplitRequest::kNewOrderFieldNumber, kMaxPageOrder,
                              "MAX_PAGE_ORDER"));
      if (!c.Get(SplitRequest::kNonUniformFieldNumber) &&
          c.Get(SplitRequest::kInFolioOffsetFieldNumber) != 0) {
        return c.Error(SplitRequest::kInFolioOffsetFieldNumber,
                       "is for non-uniform splits only");
      }
      if (c.Get(SplitRequest::kInFolioOffsetFieldNumber) >=
          (uint64_t{1} << kMaxPageOrder)) {
        return c.Error(SplitRequest::kInFolioOffsetFieldNumber,
                       "exceeds the largest folio (1024 pages)");
      }
      return absl::OkStatus();
    }
    case Op::kSysfsSet:
      return CheckSysfsSet(op);
    default:
      return Bad(OpSchema::Get().Name(op.kind),
                 "op kind has no validation rule");
  }
}

absl::Status TraceValidator::CheckRich(const Op& op) {
  switch (op.kind_case()) {
    case Op::kExpectLayout: {
      const ExpectLayout& e = op.expect_layout();
      bool by_file = e.file_id() != 0, by_pid = e.pid() != 0;
      if (by_file == by_pid) {
        return Bad("expect_layout.pid",
                   "exactly one of pid and file_id must be set");
      }
      if (by_pid && !pids_.contains(e.pid())) {
        return Bad("expect_layout.pid",
                   absl::StrCat("unknown process ", e.pid()));
      }
      if (by_file && !files_.contains(e.file_id())) {
        return Bad("expect_layout.file_id",
                   absl::StrCat("unknown file ", e.file_id()));
      }
      uint64_t start = by_pid ? e.addr() : e.offset_bytes();
      if (start % kPageSize != 0 || e.length_bytes() == 0 ||
          e.length_bytes() % kPageSize != 0) {
        return Bad("expect_layout.length_bytes",
                   "the range must be non-empty and page-aligned");
      }
      uint64_t limit = by_pid ? kTaskSize : kMaxFileBytes;
      if (start > limit || e.length_bytes() > limit - start) {
        return Bad(by_pid ? "expect_layout.addr" : "expect_layout.offset_bytes",
                   "range overflow");
      }
      absl::StatusOr<Layout> layout = ParseLayout(e.layout());
      if (!layout.ok()) {
        return Bad("expect_layout.layout", layout.status().message());
      }
      if (LayoutPages(*layout) * kPageSize != e.length_bytes()) {
        return Bad("expect_layout.layout",
                   absl::StrCat("covers ", LayoutPages(*layout),
                                " pages but the range has ",
                                e.length_bytes() / kPageSize));
      }
      return absl::OkStatus();
    }
    case Op::kExpectCounters:
      for (int i = 0; i < op.expect_counters().unstable_counter_size(); ++i) {
        absl::string_view name = op.expect_counters().unstable_counter(i);
        size_t bracket = name.find('[');
        bool known = bracket == absl::string_view::npos
                         ? FindVmEvent(name).has_value()
                         : FindMthpStat(name.substr(0, bracket)).has_value();
        if (!known) {
          return Bad(absl::StrCat("expect_counters.unstable_counter[", i, "]"),
                     absl::StrCat("unknown counter '", name, "'"));
        }
      }
      for (int i = 0; i < op.expect_counters().counter_size(); ++i) {
        const Counter& ctr = op.expect_counters().counter(i);
        std::string where = absl::StrCat("expect_counters.counter[", i, "]");
        if (ctr.order() == 0) {
          if (!FindVmEvent(ctr.name()).has_value()) {
            return Bad(
                absl::StrCat(where, ".name"),
                absl::StrCat("unknown vmstat counter '", ctr.name(), "'"));
          }
        } else {
          if (!FindMthpStat(ctr.name()).has_value()) {
            return Bad(
                absl::StrCat(where, ".name"),
                absl::StrCat("unknown per-size stat '", ctr.name(), "'"));
          }
          if (ctr.order() > kPmdOrder) {
            return Bad(absl::StrCat(where, ".order"),
                       absl::StrCat("no hugepages-<N>kB folder for order ",
                                    ctr.order()));
          }
        }
      }
      return absl::OkStatus();
    case Op::kExpectCompaction:
      for (int i = 0; i < op.expect_compaction().folio_size(); ++i) {
        const FolioFate& f = op.expect_compaction().folio(i);
        std::string where = absl::StrCat("expect_compaction.folio[", i, "]");
        bool by_file = f.file_id() != 0, by_pid = f.pid() != 0;
        if (by_file == by_pid) {
          return Bad(absl::StrCat(where, ".pid"),
                     "exactly one of pid and file_id must be set");
        }
        if (by_pid && !pids_.contains(f.pid())) {
          return Bad(absl::StrCat(where, ".pid"),
                     absl::StrCat("unknown process ", f.pid()));
        }
        if (by_file && !files_.contains(f.file_id())) {
          return Bad(absl::StrCat(where, ".file_id"),
                     absl::StrCat("unknown file ", f.file_id()));
        }
        uint64_t start = by_pid ? f.addr() : f.offset_bytes();
        if (start % kPageSize != 0 ||
            start >= (by_pid ? kTaskSize : kMaxFileBytes)) {
          return Bad(
              absl::StrCat(where, by_pid ? ".addr" : ".offset_bytes"),
              "must be page-aligned and inside the address space or file");
        }
        if (f.order() == 0 || f.order() > kMaxPageOrder) {
          return Bad(absl::StrCat(where, ".order"),
                     absl::StrCat("order ", f.order(),
                                  " is not a large folio's (1..10)"));
        }
        if (!FolioOutcome_IsValid(f.outcome()) ||
            f.outcome() == FOLIO_OUTCOME_UNSPECIFIED) {
          return Bad(absl::StrCat(where, ".outcome"),
                     absl::StrCat("no outcome ", f.outcome()));
        }
      }
      return absl::OkStatus();
    case Op::KIND_NOT_SET:
      return Bad("op", "no op kind is set");
    default:
      return Bad(OpSchema::Get().Name(op.kind_case()),
                 "op kind has no validation rule");
  }
}

}  // namespace mmreplay::trace
