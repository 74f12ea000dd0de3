#include "replay/driver.h"

#include <optional>

#include "absl/container/btree_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "mm/knobs.h"
#include "mm/model.h"
#include "mm/page_table.h"
#include "replay/op_prefetcher.h"
#include "trace/counter_names.h"
#include "trace/layout_notation.h"
#include "trace/op_schema.h"
#include "trace/trace_format.h"

namespace mmreplay::replay {
namespace {

// The validator refuses the machines the model cannot hold.
static_assert(uint64_t{trace::kMaxTraceFileId} + 1 == mm::kFirstAnonShmemFileId,
              "trace file ids end where the model's own begin");
static_assert(trace::kMaxMachinePages == mm::kMaxPages,
              "trace/trace_format.h and mm/page_table.h disagree");

// The trace header's records in the model's terms (mm/ does not speak the
// trace format).
mm::Machine ModelMachine(const Machine& m) {
  mm::Machine machine;
  machine.total_pages = m.total_pages();
  for (const Zone& z : m.zone()) {
    machine.zones.push_back({z.start_pfn(), z.pages()});
  }
  return machine;
}

mm::KnobWrite ModelKnobWrite(const SysfsSet& s) {
  return mm::KnobWrite{s.knob(), s.order(), s.value(), s.number()};
}

// Applies one flat op to the model.
absl::Status Apply(const trace::TraceOp& op, mm::Model& m) {
  auto u32 = [&op](int n) { return static_cast<uint32_t>(op.arg(n)); };
  auto u64 = [&op](int n) { return op.arg(n); };
  switch (op.kind) {
    case Op::kProcessCreate:
      return m.ProcessCreate(u32(ProcessCreate::kPidFieldNumber));
    case Op::kProcessExit:
      return m.ProcessExit(u32(ProcessExit::kPidFieldNumber));
    case Op::kProcessFork:
      return m.ProcessFork(u32(ProcessFork::kParentPidFieldNumber),
                           u32(ProcessFork::kChildPidFieldNumber));
    case Op::kMmapAnon:
      return m.MmapAnon(
          u32(MmapAnon::kPidFieldNumber), u64(MmapAnon::kAddrFieldNumber),
          u64(MmapAnon::kLengthBytesFieldNumber),
          u32(MmapAnon::kProtFieldNumber), u32(MmapAnon::kFlagsFieldNumber));
    case Op::kMmapFile:
      return m.MmapFile(
          u32(MmapFile::kPidFieldNumber), u64(MmapFile::kAddrFieldNumber),
          u64(MmapFile::kLengthBytesFieldNumber),
          u32(MmapFile::kProtFieldNumber), u32(MmapFile::kFlagsFieldNumber),
          u32(MmapFile::kFileIdFieldNumber),
          u64(MmapFile::kOffsetBytesFieldNumber));
    case Op::kMunmap:
      return m.Munmap(u32(Munmap::kPidFieldNumber),
                      u64(Munmap::kAddrFieldNumber),
                      u64(Munmap::kLengthBytesFieldNumber));
    case Op::kMadvise:
      return m.Madvise(u32(Madvise::kPidFieldNumber),
                       u64(Madvise::kAddrFieldNumber),
                       u64(Madvise::kLengthBytesFieldNumber),
                       static_cast<Advice>(u32(Madvise::kAdviceFieldNumber)));
    case Op::kMprotect:
      return m.Mprotect(u32(Mprotect::kPidFieldNumber),
                        u64(Mprotect::kAddrFieldNumber),
                        u64(Mprotect::kLengthBytesFieldNumber),
                        u32(Mprotect::kProtFieldNumber));
    case Op::kTouch:
      return m.Touch(u32(Touch::kPidFieldNumber), u64(Touch::kAddrFieldNumber),
                     u64(Touch::kLengthBytesFieldNumber),
                     static_cast<Access>(u32(Touch::kAccessFieldNumber)));
    case Op::kFileCreate:
      return m.FileCreate(
          u32(FileCreate::kFileIdFieldNumber),
          static_cast<Filesystem>(u32(FileCreate::kFilesystemFieldNumber)),
          static_cast<TmpfsHuge>(u32(FileCreate::kHugeFieldNumber)),
          u32(FileCreate::kMinOrderFieldNumber),
          u32(FileCreate::kMaxOrderFieldNumber));
    case Op::kFileWrite:
      return m.FileWrite(u32(FileWrite::kFileIdFieldNumber),
                         u64(FileWrite::kOffsetBytesFieldNumber),
                         u64(FileWrite::kLengthBytesFieldNumber));
    case Op::kFileRead:
      return m.FileRead(u32(FileRead::kFileIdFieldNumber),
                        u64(FileRead::kOffsetBytesFieldNumber),
                        u64(FileRead::kLengthBytesFieldNumber));
    case Op::kPunchHole:
      return m.PunchHole(u32(PunchHole::kFileIdFieldNumber),
                         u64(PunchHole::kOffsetBytesFieldNumber),
                         u64(PunchHole::kLengthBytesFieldNumber));
    case Op::kMremap:
      return m.Mremap(
          u32(Mremap::kPidFieldNumber), u64(Mremap::kAddrFieldNumber),
          u64(Mremap::kOldLengthBytesFieldNumber),
          u64(Mremap::kNewLengthBytesFieldNumber),
          u32(Mremap::kFlagsFieldNumber), u64(Mremap::kNewAddrFieldNumber));
    case Op::kFallocate:
      return m.Fallocate(u32(Fallocate::kFileIdFieldNumber),
                         u64(Fallocate::kOffsetBytesFieldNumber),
                         u64(Fallocate::kLengthBytesFieldNumber),
                         u32(Fallocate::kKeepSizeFieldNumber) != 0);
    case Op::kTruncate:
      return m.Truncate(u32(Truncate::kFileIdFieldNumber),
                        u64(Truncate::kSizeBytesFieldNumber));
    case Op::kFileUnlink:
      return m.FileUnlink(u32(FileUnlink::kFileIdFieldNumber));
    case Op::kPin:
      return m.Pin(u32(Pin::kPinIdFieldNumber), u32(Pin::kPidFieldNumber),
                   u64(Pin::kAddrFieldNumber),
                   u64(Pin::kLengthBytesFieldNumber),
                   static_cast<PinKind>(u32(Pin::kKindFieldNumber)));
    case Op::kUnpin:
      return m.Unpin(u32(Unpin::kPinIdFieldNumber));
    case Op::kSpeculativeGet:
      if (u32(SpeculativeGet::kFileIdFieldNumber) != 0) {
        return m.SpeculativeGetFile(u32(SpeculativeGet::kRefIdFieldNumber),
                                    u32(SpeculativeGet::kFileIdFieldNumber),
                                    u64(SpeculativeGet::kPageIndexFieldNumber));
      }
      return m.SpeculativeGetAddr(u32(SpeculativeGet::kRefIdFieldNumber),
                                  u32(SpeculativeGet::kPidFieldNumber),
                                  u64(SpeculativeGet::kAddrFieldNumber));
    case Op::kSpeculativePut:
      return m.SpeculativePut(u32(SpeculativePut::kRefIdFieldNumber));
    case Op::kCompact:
      return m.Compact(static_cast<CompactMode>(u32(Compact::kModeFieldNumber)),
                       u32(Compact::kOrderFieldNumber),
                       u32(Compact::kWalkerRefIdFieldNumber));
    case Op::kDeferredSplitScan:
      return m.DeferredSplitScan(u64(DeferredSplitScan::kNrToScanFieldNumber));
    case Op::kCollapse:
      return m.Collapse(u32(Collapse::kPidFieldNumber),
                        u64(Collapse::kAddrFieldNumber),
                        u64(Collapse::kLengthBytesFieldNumber),
                        u64(Collapse::kKhugepagedFieldNumber) != 0
                            ? mm::CollapseBy::kKhugepaged
                            : mm::CollapseBy::kMadvCollapse);
    case Op::kSplitRequest: {
      const mm::SplitTo to =
          mm::SplitTo::Of(u32(SplitRequest::kNewOrderFieldNumber),
                          u64(SplitRequest::kNonUniformFieldNumber) != 0,
                          u64(SplitRequest::kInFolioOffsetFieldNumber));
      if (u32(SplitRequest::kPidFieldNumber) != 0) {
        return m.SplitRange(u32(SplitRequest::kPidFieldNumber),
                            u64(SplitRequest::kAddrFieldNumber),
                            u64(SplitRequest::kLengthBytesFieldNumber), to);
      }
      return m.SplitFileRange(u32(SplitRequest::kFileIdFieldNumber),
                              u64(SplitRequest::kOffsetBytesFieldNumber),
                              u64(SplitRequest::kLengthBytesFieldNumber), to);
    }
    case Op::kSysfsSet:
      m.SetKnob(mm::KnobWrite{
          static_cast<Knob>(u32(SysfsSet::kKnobFieldNumber)),
          u32(SysfsSet::kOrderFieldNumber),
          static_cast<KnobValue>(u32(SysfsSet::kValueFieldNumber)),
          u32(SysfsSet::kNumberFieldNumber)});
      return absl::OkStatus();
    default:
      return absl::InternalError(
          absl::StrCat("the driver has no rule for op ",
                       trace::OpSchema::Get().Name(op.kind)));
  }
}

// Compares an ExpectLayout with the model; appends a mismatch block.
absl::Status CheckLayout(const ExpectLayout& e, uint64_t record,
                         const mm::Model& m, ReplayReport* report) {
  uint64_t pmd_mapped = 0;
  absl::StatusOr<trace::Layout> got;
  std::string what;
  if (e.pid() != 0) {
    got = m.RangeLayout(e.pid(), e.addr(), e.length_bytes(), &pmd_mapped);
    what = absl::StrFormat("process %d [0x%x, +0x%x)", e.pid(), e.addr(),
                           e.length_bytes());
  } else {
    got = m.FileLayout(e.file_id(), e.offset_bytes(), e.length_bytes());
    what = absl::StrFormat("file %d [0x%x, +0x%x)", e.file_id(),
                           e.offset_bytes(), e.length_bytes());
  }
  if (!got.ok()) return got.status();
  // The validator parsed it already.
  std::string expected = trace::RenderLayout(*trace::ParseLayout(e.layout()));
  std::string modelled = trace::RenderLayout(*got);
  std::string block;
  if (expected != modelled) {
    absl::StrAppend(&block, "\n  expected: ", expected,
                    "\n  model:    ", modelled);
  }
  if (e.pid() != 0 && e.pmd_mapped_pages() != pmd_mapped) {
    absl::StrAppend(&block, "\n  PMD-mapped pages: expected ",
                    e.pmd_mapped_pages(), ", model ", pmd_mapped);
  }
  if (!block.empty()) {
    report->mismatches.push_back(
        absl::StrCat("record ", record, ": layout of ", what, block));
  }
  return absl::OkStatus();
}

void CheckCounters(const ExpectCounters& e, uint64_t record, const mm::Model& m,
                   ReplayReport* report) {
  std::string block;
  auto compare = [&](const std::string& name, int64_t want, int64_t got) {
    if (got != want) {
      absl::StrAppend(&block, "\n  ", name, ": expected ", want, ", model ",
                      got);
    }
  };
  // What the record lists, by name, and the model's value of each.
  absl::btree_map<std::string, int64_t> listed;
  for (const Counter& c : e.counter()) {
    if (c.order() == 0) {
      std::string name = c.name();
      listed[name] = c.value();
      compare(name, c.value(), m.counters().Get(*trace::FindVmEvent(c.name())));
    } else {
      std::string name = absl::StrCat(c.name(), "[", c.order(), "]");
      listed[name] = c.value();
      compare(name, c.value(),
              m.counters().Get(*trace::FindMthpStat(c.name()), c.order()));
    }
  }
  for (const std::string& name : e.unstable_counter()) listed[name] = 0;
  if (e.complete()) {
    // Every checked counter not listed (nor left out as unstable) was 0 in
    // the kernel.
    for (int i = 0; i < static_cast<int>(trace::VmEvent::kCount); ++i) {
      auto ev = static_cast<trace::VmEvent>(i);
      std::string name(trace::VmEventName(ev));
      if (trace::VmEventChecked(ev) && !listed.contains(name)) {
        compare(name, 0, m.counters().Get(ev));
      }
    }
    for (uint32_t order = trace::kMinMthpOrder; order <= kPmdOrder; ++order) {
      for (int i = 0; i < static_cast<int>(trace::MthpStat::kCount); ++i) {
        auto st = static_cast<trace::MthpStat>(i);
        std::string name =
            absl::StrCat(trace::MthpStatName(st), "[", order, "]");
        if (!listed.contains(name))
          compare(name, 0, m.counters().Get(st, order));
      }
    }
  }
  if (!block.empty()) {
    report->mismatches.push_back(
        absl::StrCat("record ", record, ": counters", block));
  }
}

// Compares the stable folios of an ExpectCompaction with what the model's
// last compact op did to the folio at the same place (Model::FolioFateAt);
// appends one mismatch block naming each folio that differs.
void CheckCompaction(const ExpectCompaction& e, uint64_t record,
                     const mm::Model& m, ReplayReport* report) {
  std::string block;
  for (const FolioFate& f : e.folio()) {
    if (f.unstable()) continue;
    std::optional<mm::Model::FolioFate> got;
    std::string where;
    if (f.pid() != 0) {
      got = m.FolioFateAt(f.pid(), f.addr());
      where = absl::StrFormat("process %d 0x%x", f.pid(), f.addr());
    } else {
      got = m.FolioFateInFile(f.file_id(), f.offset_bytes() / kPageSize);
      where =
          absl::StrFormat("file %d offset 0x%x", f.file_id(), f.offset_bytes());
    }
    const std::string want = absl::StrCat("order ", f.order(), " ",
                                          trace::FolioOutcomeName(f.outcome()));
    if (!got.has_value()) {
      absl::StrAppend(&block, "\n  ", where, ": expected ", want,
                      ", model: no folio there");
    } else if (got->order_before != f.order() || got->outcome != f.outcome()) {
      absl::StrAppend(&block, "\n  ", where, ": expected ", want,
                      ", model order ", got->order_before, " ",
                      trace::FolioOutcomeName(got->outcome));
    }
  }
  if (!block.empty()) {
    report->mismatches.push_back(
        absl::StrCat("record ", record, ": compaction outcomes", block));
  }
}

// Whether every folio of the record is marked unstable.
bool AllUnstable(const ExpectCompaction& e) {
  for (const FolioFate& f : e.folio()) {
    if (!f.unstable()) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<mm::Profile> ResolveProfile(const trace::TraceReader& reader,
                                           const ReplayOptions& options) {
  absl::StatusOr<mm::Profile> profile;
  if (!options.profile.empty()) {
    profile = mm::ProfileByName(options.profile);
  } else {
    std::string name = reader.header().profile().name();
    if (name.empty()) name = std::string(mm::kDefaultProfile);
    profile = mm::ProfileByName(name);
    if (!profile.ok()) {
      return trace::RecordError(
          reader.path(), 0, 0,
          absl::StrCat("header.profile.name: ", profile.status().message()));
    }
  }
  if (profile.ok()) RETURN_IF_ERROR(mm::ApplySwitches(options.set, &*profile));
  return profile;
}

absl::Status Replay(trace::TraceReader& reader, const ReplayOptions& options,
                    mm::EventSink* sink, ReplayReport* report,
                    mm::Model::MemoryUse* memory, mm::Counters* counters) {
  const Header& header = reader.header();
  ASSIGN_OR_RETURN(mm::Profile profile, ResolveProfile(reader, options));
  mm::Knobs knobs;
  for (const SysfsSet& k : header.profile().knob()) {
    knobs.Set(ModelKnobWrite(k));
  }
  mm::Model model(ModelMachine(header.machine()), profile, knobs, sink);
  model.set_record_compaction_fates(options.check);
#ifndef NDEBUG
  const bool verify = true;
#else
  const bool verify = options.verify;
#endif
  // The ops are decoded and checked on a second thread, a batch ahead.
  OpPrefetcher ops(reader);
  // Ops (not expectation records) so far: the number the log gives an op.
  uint64_t number = 0;
  while (const trace::TraceOp* op = ops.Next()) {
    if (options.cancel != nullptr &&
        options.cancel->load(std::memory_order_relaxed)) {
      return absl::CancelledError(
          absl::StrCat(reader.path(), ": replay cancelled"));
    }
    ++report->ops;
    ++report->ops_by_kind[op->kind];
    if (options.progress != nullptr) options.progress->Update(report->ops);
    absl::Status applied;
    if (op->rich == nullptr) {
      model.BeginOp(++number);
      if (options.op_sink != nullptr) options.op_sink->BeginOp(number, *op);
      applied = Apply(*op, model);
    } else if (options.check) {
      const Op& rich = *op->rich;
      if (rich.has_expect_layout()) {
        if (rich.expect_layout().unstable()) {
          ++report->unstable;
        } else {
          ++report->checked;
          applied =
              CheckLayout(rich.expect_layout(), op->record, model, report);
        }
      } else if (rich.has_expect_counters()) {
        if (rich.expect_counters().unstable()) {
          ++report->unstable;
        } else {
          ++report->checked;
          CheckCounters(rich.expect_counters(), op->record, model, report);
        }
      } else if (rich.has_expect_compaction()) {
        if (AllUnstable(rich.expect_compaction())) {
          ++report->unstable;
        } else {
          ++report->checked;
          CheckCompaction(rich.expect_compaction(), op->record, model, report);
        }
      }
    }
    if (!applied.ok()) {
      if (applied.code() == absl::StatusCode::kFailedPrecondition) {
        return trace::RecordError(
            reader.path(), op->record, op->byte_offset,
            absl::StrCat(trace::OpSchema::Get().Name(op->kind), ": ",
                         applied.message()));
      }
      return applied;
    }
    // An expectation record changes nothing.
    if (verify && op->rich == nullptr) {
      absl::Status ok = model.Verify();
      if (!ok.ok()) {
        return absl::InternalError(
            absl::StrCat(reader.path(), ": op ", number, " (",
                         trace::OpSchema::Get().Name(op->kind),
                         "): model invariant broken: ", ok.message()));
      }
    }
  }
  if (memory != nullptr) *memory = model.memory_use();
  if (counters != nullptr) *counters = model.counters();
  return ops.status();
}

}  // namespace mmreplay::replay
