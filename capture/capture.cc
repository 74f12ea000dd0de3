#include "capture/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <memory>
#include <tuple>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/page_geometry.h"
#include "base/status_macros.h"
#include "capture/cleanup.h"
#include "capture/executor.h"
#include "capture/kernel_view.h"
#include "capture/knobs.h"
#include "capture/range_set.h"
#include "trace/counter_names.h"
#include "trace/layout_notation.h"
#include "trace/op_schema.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

namespace mmreplay::capture {
namespace {

constexpr char kTool[] = "mmcapture 0.1.0";
// tmpfs mounts are capped so a capture stays small.
constexpr char kTmpfsSize[] = "512m";
// MADV_COLLAPSE (6.1+), missing from older headers.
constexpr int kMadvCollapse = 25;
// How long the checked counters are watched after each op, the trace idle,
// for activity that is not the trace's (Run::Observe).
constexpr absl::Duration kQuietInterval = absl::Milliseconds(5);

using trace::OpSchema;

// The trace read into memory (captures are small) without its expectations.
struct Trace {
  Header header;
  std::vector<Op> ops;
  std::vector<uint64_t> records;  // each op's record number in the input
};

absl::StatusOr<Trace> Load(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<trace::TraceReader> reader,
                   trace::TraceReader::Open(path));
  Trace t;
  t.header = reader->header();
  while (const trace::TraceOp* op = reader->Next()) {
    Op msg;
    if (op->rich != nullptr) {
      if (op->rich->has_expect_layout() || op->rich->has_expect_counters() ||
          op->rich->has_expect_compaction()) {
        continue;
      }
      msg = *op->rich;
    } else {
      OpSchema::Get().Unflatten(op->kind, op->args, &msg);
    }
    msg.set_note(std::string(op->note));
    t.ops.push_back(std::move(msg));
    t.records.push_back(op->record);
  }
  RETURN_IF_ERROR(reader->status());
  return t;
}

// A kernel that allocates on a read fault where upstream maps the zero
// page would record its own rule as the truth for every read of private
// anonymous memory (a read touch, or vmsplice's GUP read): such a trace is
// refused, naming the first such read. Reads of files are not affected.
absl::Status RefuseReadsWithoutZeroPage(const PageFlags& flags,
                                        const std::string& path,
                                        const Trace& trace) {
  absl::btree_map<uint32_t, RangeSet> anon;  // private anonymous, by pid
  for (size_t i = 0; i < trace.ops.size(); ++i) {
    const Op& op = trace.ops[i];
    uint32_t pid = 0;
    uint64_t addr = 0, length = 0;
    switch (op.kind_case()) {
      case Op::kMmapAnon:
        anon[op.mmap_anon().pid()].Remove(
            op.mmap_anon().addr(),
            op.mmap_anon().addr() + op.mmap_anon().length_bytes());
        if (!(op.mmap_anon().flags() & MAP_BITS_SHARED)) {
          anon[op.mmap_anon().pid()].Add(
              op.mmap_anon().addr(),
              op.mmap_anon().addr() + op.mmap_anon().length_bytes());
        }
        continue;
      case Op::kMmapFile:
        anon[op.mmap_file().pid()].Remove(
            op.mmap_file().addr(),
            op.mmap_file().addr() + op.mmap_file().length_bytes());
        continue;
      case Op::kMunmap:
        anon[op.munmap().pid()].Remove(
            op.munmap().addr(),
            op.munmap().addr() + op.munmap().length_bytes());
        continue;
      case Op::kMremap: {
        // Private anonymous memory moves (or grows) with the range.
        const Mremap& m = op.mremap();
        RangeSet& r = anon[m.pid()];
        const bool was_anon =
            r.Overlaps(m.addr(), m.addr() + m.old_length_bytes());
        r.Remove(m.addr(), m.addr() + m.old_length_bytes());
        const uint64_t to =
            (m.flags() & MREMAP_FIXED) ? m.new_addr() : m.addr();
        if (was_anon) r.Add(to, to + m.new_length_bytes());
        continue;
      }
      case Op::kProcessFork: {
        // A copy first: inserting the child may move the parent's node.
        RangeSet parent = anon[op.process_fork().parent_pid()];
        anon[op.process_fork().child_pid()] = std::move(parent);
        continue;
      }
      case Op::kTouch:
        if (op.touch().access() != ACCESS_READ) continue;
        pid = op.touch().pid();
        addr = op.touch().addr();
        length = op.touch().length_bytes();
        break;
      case Op::kPin:
        if (op.pin().kind() != PIN_KIND_VMSPLICE) continue;
        pid = op.pin().pid();
        addr = op.pin().addr();
        length = op.pin().length_bytes();
        break;
      default:
        continue;
    }
    if (!anon[pid].Overlaps(addr, addr + length)) continue;
    ASSIGN_OR_RETURN(bool zero, ReadFaultsMapZeroPage(flags));
    if (zero) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(
        path, ": record ", trace.records[i],
        ": this kernel does not map the zero page on a read fault of "
        "anonymous memory (pvm_no_zero_page=1 in /proc/cmdline?), where "
        "upstream Linux and the model do; such reads cannot be captured "
        "here"));
  }
  return absl::OkStatus();
}

std::string Today() {
  time_t now = time(nullptr);
  struct tm tm;
  gmtime_r(&now, &tm);
  char buf[16];
  strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
  return buf;
}

// Linux MADV_* for a trace Advice.
int MadvFor(Advice a) {
  switch (a) {
    case ADVICE_DONTNEED:
      return MADV_DONTNEED;
    case ADVICE_FREE:
      return MADV_FREE;
    case ADVICE_HUGEPAGE:
      return MADV_HUGEPAGE;
    case ADVICE_NOHUGEPAGE:
      return MADV_NOHUGEPAGE;
    default:
      return -1;
  }
}

const char* HugeOption(TmpfsHuge h) {
  switch (h) {
    case TMPFS_HUGE_ALWAYS:
      return "always";
    case TMPFS_HUGE_WITHIN_SIZE:
      return "within_size";
    case TMPFS_HUGE_ADVISE:
      return "advise";
    default:
      return "never";
  }
}

// A command on [addr, addr + length) with one argument.
Command RangeCommand(Command::Type type, uint64_t addr, uint64_t length,
                     uint64_t arg = 0) {
  Command c{type};
  c.a[0] = addr;
  c.a[1] = length;
  c.a[2] = arg;
  return c;
}

// Counter changes since the baseline, keyed (order, name), checked ones only.
absl::btree_map<std::pair<uint32_t, std::string>, int64_t> Deltas(
    const CounterValues& base, const CounterValues& now) {
  absl::btree_map<std::pair<uint32_t, std::string>, int64_t> out;
  for (const auto& [key, value] : now) {
    auto it = base.find(key);
    int64_t d = value - (it == base.end() ? 0 : it->second);
    if (d == 0) continue;
    size_t at = key.find('@');
    if (at == std::string::npos) {
      std::optional<trace::VmEvent> e = trace::FindVmEvent(key);
      if (!e.has_value() || !trace::VmEventChecked(*e)) continue;
      out[{0, key}] = d;
    } else {
      out[{static_cast<uint32_t>(std::stoul(key.substr(at + 1))),
           key.substr(0, at)}] = d;
    }
  }
  return out;
}

// One run of a trace on the live kernel.
class Run {
 public:
  explicit Run(const PageFlags& flags) : flags_(flags) {}
  ~Run() { Teardown(); }

  // Applies the header's knobs (DefaultKnobs() for the rest), sets up
  // the private folder and takes the counter baseline.
  absl::Status Start(const Header& header) {
    std::vector<SysfsSet> knobs = DefaultKnobs();
    for (const SysfsSet& k : header.profile().knob()) ApplyKnob(k, &knobs);
    for (const SysfsSet& k : knobs) {
      if (access(KnobPath(k).c_str(), W_OK) != 0) continue;
      RETURN_IF_ERROR(WriteKnob(k));
    }
    // khugepaged collapses what MADV_HUGEPAGE registered with it when it
    // likes, and a capture would record that as the answer to whichever op
    // came before (campaign seed 10059: a PMD THP split by MADV_FREE, found
    // collapsed back). Until the capture ends, it sleeps: the write wakes it
    // for one pass, before the trace's processes exist, then it waits
    // scan_sleep_millisecs, here UINT_MAX (49 days). Restored at the end.
    // That timed wait is khugepaged_wait_work()'s only while it has work
    // (an mm on its list); with none it waits for the next mm, and
    // __khugepaged_enter() wakes it for a pass at once when the list was
    // empty (campaign seeds 25089, 27009: a trace's first MADV_HUGEPAGE
    // woke it, a collapse at a time that varied between runs). So a keeper
    // process holds an mm on the list for the capture's length: an empty
    // MADV_HUGEPAGE region, nothing there to collapse.
    RETURN_IF_ERROR(StartKhugepagedKeeper());
    // A capture killed before its cleanup leaves UINT_MAX behind, and every
    // later one would put that back: the kernel's default
    // (DEFAULT_SCAN_SLEEP, 10 s) is restored instead.
    const std::string sleep_path =
        "/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs";
    // Once: the later runs of this capture find this capture's own value.
    static bool stale_checked = false;
    absl::StatusOr<std::string> sleep_now = ReadControlFile(sleep_path);
    if (!std::exchange(stale_checked, true) && sleep_now.ok() &&
        *sleep_now == "4294967295") {
      fprintf(stderr,
              "mmcapture: %s is 4294967295, left by a capture that did not "
              "end cleanly; 10000 (the kernel's default) is put back at the "
              "end\n",
              sleep_path.c_str());
      RETURN_IF_ERROR(WriteControlFile(sleep_path, "10000", false));
    }
    RETURN_IF_ERROR(WriteControlFile(sleep_path, "4294967295",
                                     /*restore=*/true));
    char dir[] = "/tmp/mmcapture.XXXXXX";
    if (mkdtemp(dir) == nullptr) {
      return absl::InternalError(absl::StrCat("mkdtemp: ", strerror(errno)));
    }
    root_ = dir;
    cleanup::RemoveAtEnd(root_);
    ASSIGN_OR_RETURN(baseline_, ReadCounters());
    return absl::OkStatus();
  }

  // A process whose mm khugepaged_enter_vma() puts on khugepaged's list,
  // killed at the end: MADV_HUGEPAGE over an aligned 2 MiB, THP allowed
  // in the process. The region needs an anon_vma first (for khugepaged,
  // __thp_vma_allowable_orders() refuses a VMA without one), so a page is
  // written and zapped again: a table of none PTEs, which no collapse
  // takes (more none PTEs than max_ptes_none allows). Where PMD THP is
  // off, nothing is registered, and khugepaged does not run either.
  absl::Status StartKhugepagedKeeper() {
    ASSIGN_OR_RETURN(keeper_, Executor::Spawn());
    constexpr uint64_t kKeeperAddr = 0x7e0000000000, kPmd = 2 << 20;
    const auto run = [this](Command::Type type, uint64_t length,
                            uint64_t arg) -> absl::Status {
      Command c;
      c.type = type;
      c.a[0] = kKeeperAddr;
      c.a[1] = length;
      c.a[2] = arg;
      c.a[3] = type == Command::kMmap ? MAP_PRIVATE : 0;
      ASSIGN_OR_RETURN(int err, keeper_->Run(c));
      if (err != 0) {
        return absl::InternalError(
            absl::StrCat("the khugepaged keeper's mapping: ", strerror(err)));
      }
      return absl::OkStatus();
    };
    RETURN_IF_ERROR(run(Command::kMmap, kPmd, PROT_READ | PROT_WRITE));
    RETURN_IF_ERROR(run(Command::kTouch, 4096, 1));
    RETURN_IF_ERROR(run(Command::kMadvise, 4096, MADV_DONTNEED));
    return run(Command::kMadvise, kPmd, MADV_HUGEPAGE);
  }

  // Runs one op. The error names what failed; the caller adds the record.
  absl::Status Execute(const Op& op) {
    switch (op.kind_case()) {
      case Op::kProcessCreate: {
        ASSIGN_OR_RETURN(std::unique_ptr<Executor> e, Executor::Spawn());
        procs_[op.process_create().pid()].exec = std::move(e);
        return absl::OkStatus();
      }
      case Op::kProcessExit: {
        auto it = procs_.find(op.process_exit().pid());
        it->second.exec->Exit();
        procs_.erase(it);
        return absl::OkStatus();
      }
      case Op::kMmapAnon: {
        const MmapAnon& m = op.mmap_anon();
        return Mmap(m.pid(), m.addr(), m.length_bytes(), m.prot(), m.flags(), 0,
                    "");
      }
      case Op::kMmapFile: {
        const MmapFile& m = op.mmap_file();
        return Mmap(m.pid(), m.addr(), m.length_bytes(), m.prot(), m.flags(),
                    m.offset_bytes(), files_[m.file_id()].path);
      }
      case Op::kMunmap: {
        const Munmap& m = op.munmap();
        Command c = RangeCommand(Command::kMunmap, m.addr(), m.length_bytes());
        RETURN_IF_ERROR(InProcess(m.pid(), c, "munmap"));
        procs_[m.pid()].ranges.Remove(m.addr(), m.addr() + m.length_bytes());
        return absl::OkStatus();
      }
      case Op::kMremap: {
        const Mremap& m = op.mremap();
        Command c = RangeCommand(Command::kMremap, m.addr(),
                                 m.old_length_bytes(), m.new_length_bytes());
        c.a[3] = m.flags();
        c.a[4] = m.new_addr();
        RETURN_IF_ERROR(InProcess(m.pid(), c, "mremap"));
        RangeSet& r = procs_[m.pid()].ranges;
        if (m.flags() & MREMAP_FIXED) {
          r.Remove(m.addr(), m.addr() + m.old_length_bytes());
          r.Add(m.new_addr(), m.new_addr() + m.new_length_bytes());
        } else if (m.new_length_bytes() < m.old_length_bytes()) {
          r.Remove(m.addr() + m.new_length_bytes(),
                   m.addr() + m.old_length_bytes());
        } else {
          r.Add(m.addr(), m.addr() + m.new_length_bytes());
        }
        return absl::OkStatus();
      }
      case Op::kMadvise: {
        const Madvise& m = op.madvise();
        Command c = RangeCommand(Command::kMadvise, m.addr(), m.length_bytes(),
                                 static_cast<uint64_t>(MadvFor(m.advice())));
        return InProcess(m.pid(), c, "madvise");
      }
      case Op::kMprotect: {
        const Mprotect& m = op.mprotect();
        Command c = RangeCommand(Command::kMprotect, m.addr(), m.length_bytes(),
                                 m.prot());
        return InProcess(m.pid(), c, "mprotect");
      }
      case Op::kTouch: {
        const Touch& t = op.touch();
        Command c = RangeCommand(Command::kTouch, t.addr(), t.length_bytes(),
                                 t.access() == ACCESS_WRITE ? 1 : 0);
        return InProcess(t.pid(), c, "touch");
      }
      case Op::kPin: {
        const Pin& p = op.pin();
        // FOLL_PIN as an io_uring registered buffer takes it; FOLL_GET
        // alone has no user-space path (vmsplice is its own kind).
        if (p.kind() != PIN_KIND_VMSPLICE && p.kind() != PIN_KIND_FOLL_PIN) {
          return Unsupported(
              "only PIN_KIND_VMSPLICE and PIN_KIND_FOLL_PIN pins can be "
              "taken from user space");
        }
        Command c =
            RangeCommand(Command::kPin, p.addr(), p.length_bytes(),
                         p.kind() == PIN_KIND_FOLL_PIN ? Command::kPinUring
                                                       : Command::kPinSplice);
        c.a[3] = p.pin_id();
        pin_owner_[p.pin_id()] = p.pid();
        return InProcess(p.pid(), c,
                         p.kind() == PIN_KIND_FOLL_PIN
                             ? "io_uring_register(IORING_REGISTER_BUFFERS)"
                             : "vmsplice");
      }
      case Op::kUnpin: {
        uint32_t pid = pin_owner_[op.unpin().pin_id()];
        Command c{Command::kUnpin};
        c.a[3] = op.unpin().pin_id();
        pin_owner_.erase(op.unpin().pin_id());
        if (procs_.find(pid) == procs_.end()) return absl::OkStatus();
        return InProcess(pid, c, "unpin");
      }
      case Op::kCollapse: {
        const Collapse& m = op.collapse();
        if (m.khugepaged()) {
          return Unsupported(
              "khugepaged runs when it likes; capture "
              "MADV_COLLAPSE (khugepaged: false) instead");
        }
        Command c = RangeCommand(Command::kMadvise, m.addr(), m.length_bytes(),
                                 kMadvCollapse);
        // A collapse the kernel refuses (EINVAL for a block it cannot
        // collapse, EAGAIN) is an outcome, as the model logs it: the
        // layouts after it show what it did.
        return procs_[m.pid()].exec->Run(c).status();
      }
      case Op::kFileCreate:
        return CreateFile(op.file_create());
      case Op::kFileWrite:
        return WriteFile(op.file_write().file_id(),
                         op.file_write().offset_bytes(),
                         op.file_write().length_bytes());
      case Op::kFileRead:
        return ReadFile(op.file_read().file_id(), op.file_read().offset_bytes(),
                        op.file_read().length_bytes());
      case Op::kPunchHole: {
        const PunchHole& p = op.punch_hole();
        if (fallocate(files_[p.file_id()].fd,
                      FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                      static_cast<off_t>(p.offset_bytes()),
                      static_cast<off_t>(p.length_bytes())) != 0) {
          return Errno("fallocate(PUNCH_HOLE)");
        }
        return absl::OkStatus();
      }
      case Op::kFallocate: {
        const Fallocate& f = op.fallocate();
        if (fallocate(files_[f.file_id()].fd,
                      f.keep_size() ? FALLOC_FL_KEEP_SIZE : 0,
                      static_cast<off_t>(f.offset_bytes()),
                      static_cast<off_t>(f.length_bytes())) != 0) {
          return Errno("fallocate");
        }
        return absl::OkStatus();
      }
      case Op::kTruncate:
        if (ftruncate(files_[op.truncate().file_id()].fd,
                      static_cast<off_t>(op.truncate().size_bytes())) != 0) {
          return Errno("ftruncate");
        }
        return absl::OkStatus();
      case Op::kFileUnlink: {
        auto it = files_.find(op.file_unlink().file_id());
        close(it->second.fd);
        unlink(it->second.path.c_str());
        files_.erase(it);
        return absl::OkStatus();
      }
      case Op::kDeferredSplitScan:
        if (op.deferred_split_scan().nr_to_scan() != 0) {
          return Unsupported(
              "drop_caches scans the whole queue: nr_to_scan "
              "must be 0");
        }
        return WriteControlFile("/proc/sys/vm/drop_caches", "2", false);
      case Op::kCompact:
        if (op.compact().mode() != COMPACT_MODE_MEMORY) {
          return Unsupported(
              "only COMPACT_MODE_MEMORY (compact_memory) can "
              "be asked for");
        }
        return WriteControlFile("/proc/sys/vm/compact_memory", "1", false);
      case Op::kSysfsSet:
        return WriteKnob(op.sysfs_set());
      case Op::kProcessFork: {
        // fork() in the parent: the child has the parent's mappings, so it
        // is observed over the same ranges (its pins stay the parent's).
        const ProcessFork& f = op.process_fork();
        const Proc& parent = procs_[f.parent_pid()];
        Proc child;
        ASSIGN_OR_RETURN(child.exec, parent.exec->Fork());
        child.ranges = parent.ranges;
        procs_[f.child_pid()] = std::move(child);
        return absl::OkStatus();
      }
      case Op::kSpeculativeGet:
      case Op::kSpeculativePut:
        return Unsupported("user space cannot take a speculative reference");
      case Op::kSplitRequest:
        return Unsupported("debugfs split_huge_pages is locked down here");
      default:
        return Unsupported("no rule to run it");
    }
  }

  // What the kernel shows now: a layout per mapped range and per file, and
  // the counters.
  absl::StatusOr<std::vector<Op>> Observe() {
    std::vector<Op> out;
    for (auto& [pid, proc] : procs_) {
      for (const auto& [start, end] : proc.ranges.ranges()) {
        Op op;
        ExpectLayout* e = op.mutable_expect_layout();
        e->set_pid(pid);
        e->set_addr(start);
        e->set_length_bytes(end - start);
        uint64_t pmd = 0;
        ASSIGN_OR_RETURN(
            trace::Layout layout,
            RangeLayout(flags_, proc.exec->pid(), start, end - start, &pmd));
        e->set_layout(trace::RenderLayout(layout));
        e->set_pmd_mapped_pages(pmd);
        out.push_back(std::move(op));
      }
    }
    for (const auto& [id, file] : files_) {
      ASSIGN_OR_RETURN(uint64_t length, FileSpan(file));
      if (length == 0) continue;
      ASSIGN_OR_RETURN(trace::Layout layout,
                       FileLayout(flags_, file.path, 0, length));
      Op op;
      ExpectLayout* e = op.mutable_expect_layout();
      e->set_file_id(id);
      e->set_length_bytes(length);
      e->set_layout(trace::RenderLayout(layout));
      out.push_back(std::move(op));
    }
    ASSIGN_OR_RETURN(CounterValues now, ReadCounters());
    // Foreign activity: the trace's processes are idle here (every op is
    // synchronous), so a checked counter that moves over a quiet interval
    // moved for someone else: another process, or kernel work nothing here
    // waits for. What it counts from here on is not the trace's alone.
    absl::SleepFor(kQuietInterval);
    ASSIGN_OR_RETURN(CounterValues later, ReadCounters());
    moved_.clear();
    for (const auto& [key, delta] : Deltas(now, later)) moved_.insert(key);
    Op op;
    ExpectCounters* e = op.mutable_expect_counters();
    e->set_complete(true);
    for (const auto& [key, delta] : Deltas(baseline_, now)) {
      Counter* c = e->add_counter();
      c->set_name(key.second);
      c->set_order(key.first);
      c->set_value(delta);
    }
    out.push_back(std::move(op));
    return out;
  }

  // A large folio before a compaction: where its first page is (pid and
  // addr, or file_id and offset_bytes), its order, and its head PFN.
  struct LargeFolio {
    FolioFate where;
    uint64_t head_pfn = 0;
  };

  // The large folios of the trace's anonymous mappings (each process's
  // ranges; a file folio mapped there is seen through its file) and files.
  absl::StatusOr<std::vector<LargeFolio>> LargeFolios() {
    std::vector<LargeFolio> out;
    auto add = [&out](const std::vector<PageSeen>& pages, bool anon,
                      uint32_t pid, uint32_t file_id, uint64_t start) {
      uint64_t last_head = 0;
      for (size_t i = 0; i < pages.size(); ++i) {
        const PageSeen& p = pages[i];
        if (!p.folio || p.order == 0 || p.anon != anon) continue;
        if (p.head_pfn == last_head) continue;  // the same folio goes on
        last_head = p.head_pfn;
        LargeFolio f;
        f.where.set_pid(pid);
        f.where.set_file_id(file_id);
        if (pid != 0) f.where.set_addr(start + i * kPageSize);
        if (file_id != 0) f.where.set_offset_bytes(start + i * kPageSize);
        f.where.set_order(p.order);
        f.head_pfn = p.head_pfn;
        out.push_back(std::move(f));
      }
    };
    for (auto& [pid, proc] : procs_) {
      for (const auto& [start, end] : proc.ranges.ranges()) {
        ASSIGN_OR_RETURN(
            std::vector<PageSeen> pages,
            RangePages(flags_, proc.exec->pid(), start, end - start));
        add(pages, /*anon=*/true, pid, 0, start);
      }
    }
    for (const auto& [id, file] : files_) {
      ASSIGN_OR_RETURN(uint64_t length, FileSpan(file));
      if (length == 0) continue;
      ASSIGN_OR_RETURN(std::vector<PageSeen> pages,
                       FilePages(flags_, file.path, 0, length));
      add(pages, /*anon=*/false, 0, id, 0);
    }
    return out;
  }

  // What the compaction just run did to each folio LargeFolios() listed
  // before it, by the page now at the folio's first place: the same head
  // PFN and order STAYED, another PFN and the same order MOVED, a smaller
  // order SPLIT. A folio whose first page is gone (or now in a larger
  // folio, which compaction does not make) is left out.
  absl::StatusOr<Op> Fates(const std::vector<LargeFolio>& before) {
    Op op;
    ExpectCompaction* e = op.mutable_expect_compaction();
    for (const LargeFolio& f : before) {
      std::vector<PageSeen> now;
      if (f.where.pid() != 0) {
        ASSIGN_OR_RETURN(now,
                         RangePages(flags_, procs_[f.where.pid()].exec->pid(),
                                    f.where.addr(), kPageSize));
      } else {
        ASSIGN_OR_RETURN(now, FilePages(flags_, files_[f.where.file_id()].path,
                                        f.where.offset_bytes(), kPageSize));
      }
      const PageSeen& p = now[0];
      if (!p.folio || p.order > f.where.order()) continue;
      FolioFate* fate = e->add_folio();
      *fate = f.where;
      fate->set_outcome(p.order < f.where.order()  ? FOLIO_OUTCOME_SPLIT
                        : p.head_pfn == f.head_pfn ? FOLIO_OUTCOME_STAYED
                                                   : FOLIO_OUTCOME_MOVED);
    }
    return op;
  }

  void Teardown() {
    procs_.clear();
    for (auto& [id, f] : files_) close(f.fd);
    files_.clear();
    for (const std::string& m : mounts_) umount2(m.c_str(), MNT_DETACH);
    for (const std::string& m : mounts_) rmdir(m.c_str());
    mounts_.clear();
    if (!root_.empty()) rmdir(root_.c_str());
    root_.clear();
  }

 private:
  struct Proc {
    std::unique_ptr<Executor> exec;
    // The ranges the trace mapped, merged where they touch.
    RangeSet ranges;
  };
  struct File {
    std::string path;
    int fd = -1;
  };

  // What is observed of a file: [0, i_size rounded up to 2 MiB).
  static absl::StatusOr<uint64_t> FileSpan(const File& file) {
    struct stat st;
    if (fstat(file.fd, &st) != 0) return Errno("fstat");
    return (static_cast<uint64_t>(st.st_size) + kPmdSize - 1) & ~(kPmdSize - 1);
  }

  static absl::Status Errno(absl::string_view what) {
    return absl::InternalError(absl::StrCat(what, ": ", strerror(errno)));
  }
  static absl::Status Unsupported(absl::string_view why) {
    return absl::UnimplementedError(
        absl::StrCat("not supported on the live kernel: ", why));
  }

  // mmap in the process (MAP_FIXED_NOREPLACE); `path` empty for anonymous
  // memory. The range is then observed after every op.
  absl::Status Mmap(uint32_t pid, uint64_t addr, uint64_t length, uint32_t prot,
                    uint32_t flags, uint64_t offset, const std::string& path) {
    Command c = RangeCommand(Command::kMmap, addr, length, prot);
    c.a[3] = flags & (MAP_SHARED | MAP_PRIVATE | MAP_NORESERVE | MAP_POPULATE);
    c.a[4] = offset;
    snprintf(c.path, sizeof(c.path), "%s", path.c_str());
    RETURN_IF_ERROR(InProcess(pid, c, "mmap"));
    procs_[pid].ranges.Add(addr, addr + length);
    return absl::OkStatus();
  }

  absl::Status InProcess(uint32_t pid, const Command& c,
                         absl::string_view what) {
    ASSIGN_OR_RETURN(int err, procs_[pid].exec->Run(c));
    if (err != 0) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "%s failed in process %d: %s", what, pid, strerror(err)));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> MountFor(TmpfsHuge huge) {
    std::string dir = absl::StrCat(root_, "/", HugeOption(huge));
    if (mount_of_.count(huge)) return dir;
    if (mkdir(dir.c_str(), 0700) != 0)
      return Errno(absl::StrCat("mkdir ", dir));
    cleanup::RemoveAtEnd(dir);
    std::string opts =
        absl::StrCat("huge=", HugeOption(huge), ",size=", kTmpfsSize);
    if (mount("mmcapture", dir.c_str(), "tmpfs", 0, opts.c_str()) != 0) {
      return Errno(absl::StrCat("mount tmpfs -o ", opts));
    }
    cleanup::UnmountAtEnd(dir);
    mounts_.push_back(dir);
    mount_of_[huge] = true;
    return dir;
  }

  absl::Status CreateFile(const FileCreate& f) {
    if (f.filesystem() != FILESYSTEM_TMPFS) {
      return Unsupported("only tmpfs files are captured so far");
    }
    ASSIGN_OR_RETURN(std::string dir, MountFor(f.huge()));
    File file;
    file.path = absl::StrCat(dir, "/file", f.file_id());
    file.fd =
        open(file.path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (file.fd < 0) return Errno(absl::StrCat("create ", file.path));
    files_[f.file_id()] = file;
    return absl::OkStatus();
  }

  // One pwritev() for the whole range, as the trace says one write: the
  // kernel sizes folios by the write's end (huge=within_size), so it must
  // not be cut into smaller writes. The iovecs all point at one chunk.
  absl::Status WriteFile(uint32_t id, uint64_t offset, uint64_t length) {
    static const std::string* chunk = new std::string(1 << 20, '\xab');
    std::vector<struct iovec> iov;
    for (uint64_t left = length; left > 0;) {
      size_t n = std::min<uint64_t>(left, chunk->size());
      iov.push_back({const_cast<char*>(chunk->data()), n});
      left -= n;
    }
    int fd = files_[id].fd;
    ssize_t w = pwritev(fd, iov.data(), static_cast<int>(iov.size()),
                        static_cast<off_t>(offset));
    if (w != static_cast<ssize_t>(length)) return Errno("pwritev");
    return absl::OkStatus();
  }

  absl::Status ReadFile(uint32_t id, uint64_t offset, uint64_t length) {
    std::string buf(1 << 20, '\0');
    int fd = files_[id].fd;
    while (length > 0) {
      size_t n = std::min<uint64_t>(length, buf.size());
      ssize_t r = pread(fd, buf.data(), n, static_cast<off_t>(offset));
      if (r < 0) return Errno("pread");
      if (r == 0) break;
      offset += static_cast<uint64_t>(r);
      length -= static_cast<uint64_t>(r);
    }
    return absl::OkStatus();
  }

  const PageFlags& flags_;
  std::string root_;
  std::vector<std::string> mounts_;
  absl::btree_map<TmpfsHuge, bool> mount_of_;
  absl::btree_map<uint32_t, Proc> procs_;
  // Keeps khugepaged in its timed sleep (StartKhugepagedKeeper).
  std::unique_ptr<Executor> keeper_;
  absl::btree_map<uint32_t, File> files_;
  absl::btree_map<uint32_t, uint32_t> pin_owner_;
  CounterValues baseline_;
  absl::btree_set<std::pair<uint32_t, std::string>> moved_;

 public:
  // The checked counters that moved over the last Observe()'s quiet
  // interval, keyed (order, name).
  const absl::btree_set<std::pair<uint32_t, std::string>>& moved() const {
    return moved_;
  }
};

// Counter keys, (order, name), as the capture lists them.
using CounterKey = std::pair<uint32_t, std::string>;

// Runs the whole trace once; returns the expectations after each op.
// If `knobs` is set, it gets the knob values in force when the ops start.
// Each counter seen moving while the trace was idle goes into *foreign
// with the first op after which it did (kept if already there).
absl::StatusOr<std::vector<std::vector<Op>>> RunOnce(
    const PageFlags& flags, const std::string& path, const Trace& trace,
    std::vector<SysfsSet>* knobs,
    absl::btree_map<CounterKey, size_t>* foreign) {
  Run run(flags);
  RETURN_IF_ERROR(run.Start(trace.header));
  if (knobs != nullptr) {
    ASSIGN_OR_RETURN(*knobs, ReadAllKnobs());
  }
  std::vector<std::vector<Op>> expectations;
  for (size_t i = 0; i < trace.ops.size(); ++i) {
    // A compaction's per-folio outcomes: the large folios before it.
    std::vector<Run::LargeFolio> before;
    if (trace.ops[i].has_compact()) {
      ASSIGN_OR_RETURN(before, run.LargeFolios());
    }
    absl::Status s = run.Execute(trace.ops[i]);
    if (!s.ok()) {
      return absl::Status(
          s.code(), absl::StrCat(path, ": record ", trace.records[i], ": ",
                                 OpSchema::Get().Name(trace.ops[i].kind_case()),
                                 ": ", s.message()));
    }
    // A folio that changes while it is read (khugepaged, a deferred free)
    // gives an inconsistent view: read again.
    absl::StatusOr<std::vector<Op>> seen = run.Observe();
    for (int retry = 0;
         retry < 3 && seen.status().code() == absl::StatusCode::kUnavailable;
         ++retry) {
      seen = run.Observe();
    }
    if (!seen.ok()) return seen.status();
    if (trace.ops[i].has_compact()) {
      ASSIGN_OR_RETURN(Op fates, run.Fates(before));
      seen->push_back(std::move(fates));
    }
    for (const CounterKey& k : run.moved()) foreign->emplace(k, i);
    expectations.push_back(*std::move(seen));
  }
  return expectations;
}

std::string CounterName(const CounterKey& k) {
  return k.first == 0 ? k.second : absl::StrCat(k.second, "[", k.first, "]");
}

absl::btree_map<CounterKey, int64_t> CountersOf(const std::vector<Op>& seen) {
  absl::btree_map<CounterKey, int64_t> out;
  for (const Op& op : seen) {
    if (!op.has_expect_counters()) continue;
    for (const Counter& c : op.expect_counters().counter()) {
      out[{c.order(), c.name()}] = c.value();
    }
  }
  return out;
}

// A failed split during drop_caches counts once per shrinker pass, and how
// many passes drop_slab() makes depends on how much other slab each pass
// freed: such counts are not ground truth.
bool CountsShrinkerPasses(const CounterKey& k) {
  return k.second == "thp_split_page_failed" || k.second == "split_failed";
}

// A folio of an expect_compaction record, by place and order.
using FolioKey = std::tuple<uint32_t, uint64_t, uint32_t, uint64_t, uint32_t>;
FolioKey KeyOf(const FolioFate& f) {
  return {f.pid(), f.addr(), f.file_id(), f.offset_bytes(), f.order()};
}

// Marks unstable each folio of `mine`'s expect_compaction record that
// `theirs` (another run, after the same op) did not see with the same
// outcome: which folios compaction reaches is up to the rest of the
// machine. A folio only the other run saw is not added.
void MarkCompactionDifferences(std::vector<Op>& mine,
                               const std::vector<Op>& theirs, uint64_t record,
                               CaptureReport* report) {
  absl::btree_map<FolioKey, FolioOutcome> other;
  for (const Op& op : theirs) {
    if (!op.has_expect_compaction()) continue;
    for (const FolioFate& f : op.expect_compaction().folio()) {
      other[KeyOf(f)] = f.outcome();
    }
  }
  for (Op& op : mine) {
    if (!op.has_expect_compaction()) continue;
    for (FolioFate& f : *op.mutable_expect_compaction()->mutable_folio()) {
      if (f.unstable()) continue;
      auto it = other.find(KeyOf(f));
      FolioOutcome o =
          it == other.end() ? FOLIO_OUTCOME_UNSPECIFIED : it->second;
      if (o == f.outcome()) continue;
      f.set_unstable(true);
      ++report->unstable;
      report->differences.push_back(absl::StrFormat(
          "after record %d: compaction outcome of the order-%d folio at %s "
          "0x%x: %s vs %s",
          record, f.order(), f.pid() != 0 ? "address" : "file offset",
          f.pid() != 0 ? f.addr() : f.offset_bytes(),
          trace::FolioOutcomeName(f.outcome()), trace::FolioOutcomeName(o)));
    }
  }
}

// Marks in `ref` what `other` saw differently: a layout that differs is
// marked unstable; a counter that differs, once, is left out of every
// counter record from then on (a cumulative count that diverged is not
// ground truth even where the sums agree again).
void MarkDifferences(std::vector<std::vector<Op>>& ref,
                     const std::vector<std::vector<Op>>& other,
                     const Trace& trace, CaptureReport* report,
                     absl::btree_map<CounterKey, size_t>* tainted) {
  for (size_t i = 0; i < ref.size(); ++i) {
    std::vector<Op>& mine = ref[i];
    const std::vector<Op>& theirs = other[i];
    for (size_t j = 0; j < mine.size(); ++j) {
      if (!mine[j].has_expect_layout()) continue;
      ExpectLayout* e = mine[j].mutable_expect_layout();
      const Op* t = j < theirs.size() ? &theirs[j] : nullptr;
      if (e->unstable()) continue;
      if (t == nullptr || !t->has_expect_layout() ||
          t->expect_layout().layout() != e->layout() ||
          t->expect_layout().pmd_mapped_pages() != e->pmd_mapped_pages()) {
        e->set_unstable(true);
        ++report->unstable;
        report->differences.push_back(absl::StrCat(
            "after record ", trace.records[i], ": layout ", e->layout(), " vs ",
            t && t->has_expect_layout() ? t->expect_layout().layout()
                                        : "(none)"));
      }
    }
    MarkCompactionDifferences(mine, theirs, trace.records[i], report);
    absl::btree_map<CounterKey, int64_t> a = CountersOf(mine),
                                         b = CountersOf(theirs);
    absl::btree_set<CounterKey> keys;
    for (const auto& [k, v] : a) keys.insert(k);
    for (const auto& [k, v] : b) keys.insert(k);
    for (const CounterKey& k : keys) {
      int64_t va = a.contains(k) ? a.at(k) : 0,
              vb = b.contains(k) ? b.at(k) : 0;
      if (va != vb && tainted->emplace(k, i).second) {
        report->differences.push_back(absl::StrCat(
            "after record ", trace.records[i], ": counter ", CounterName(k),
            " ", va, " vs ", vb, " (left out from here on)"));
      }
    }
  }
}

// Leaves out of each counter record the counters that are not ground truth
// from their op on: those whose runs disagreed (`tainted`, with the first op
// where they did), and failed splits counted by drop_caches.
void LeaveOutTainted(std::vector<std::vector<Op>>& ref, const Trace& trace,
                     const absl::btree_map<CounterKey, size_t>& tainted,
                     CaptureReport* report) {
  absl::btree_map<CounterKey, int64_t> before;
  absl::btree_set<CounterKey> out;
  for (size_t i = 0; i < ref.size(); ++i) {
    absl::btree_map<CounterKey, int64_t> now = CountersOf(ref[i]);
    for (const auto& [k, first] : tainted) {
      if (first == i) out.insert(k);
    }
    if (trace.ops[i].has_deferred_split_scan()) {
      for (const auto& [k, v] : now) {
        int64_t prev = before.contains(k) ? before.at(k) : 0;
        if (v != prev && CountsShrinkerPasses(k)) out.insert(k);
      }
    }
    before = now;
    for (Op& op : ref[i]) {
      if (!op.has_expect_counters()) continue;
      ExpectCounters* e = op.mutable_expect_counters();
      ExpectCounters kept;
      kept.set_complete(e->complete());
      for (const Counter& c : e->counter()) {
        if (!out.contains({c.order(), c.name()})) *kept.add_counter() = c;
      }
      for (const CounterKey& k : out) kept.add_unstable_counter(CounterName(k));
      if (!out.empty()) ++report->unstable;
      *e = kept;
    }
  }
}

// Knob settings that make every process on the machine take large folios
// while the capture runs (their faults then count in the system-wide
// counters): "always" for THP or an anonymous size, "always" or "force"
// for shmem_enabled (SysV shm and shared anonymous memory of every process).
void WarnMachineWideKnobs(const Trace& trace, CaptureReport* report) {
  auto check = [&](const SysfsSet& k, const std::string& where) {
    const bool anon =
        k.knob() == KNOB_ENABLED || k.knob() == KNOB_ANON_ORDER_ENABLED;
    const bool shmem = k.knob() == KNOB_SHMEM_ENABLED;
    if (!(anon && k.value() == KNOB_VALUE_ALWAYS) &&
        !(shmem &&
          (k.value() == KNOB_VALUE_ALWAYS || k.value() == KNOB_VALUE_FORCE))) {
      return;
    }
    report->warnings.push_back(absl::StrCat(
        where, " sets ", KnobPath(k), " to ", KnobText(k),
        ": every process on this machine takes large folios there while "
        "the capture runs, and their faults count in the counters; prefer "
        "madvise with MADV_HUGEPAGE (docs/capture.md)"));
  };
  for (const SysfsSet& k : trace.header.profile().knob())
    check(k, "the header");
  for (size_t i = 0; i < trace.ops.size(); ++i) {
    if (trace.ops[i].has_sysfs_set()) {
      check(trace.ops[i].sysfs_set(),
            absl::StrCat("record ", trace.records[i]));
    }
  }
}

}  // namespace

absl::Status Capture(const std::string& trace_path, const std::string& out,
                     const CaptureOptions& options, CaptureReport* report) {
  ASSIGN_OR_RETURN(Trace trace, Load(trace_path));
  ASSIGN_OR_RETURN(PageFlags flags, PageFlags::Open());
  RETURN_IF_ERROR(RefuseReadsWithoutZeroPage(flags, trace_path, trace));
  WarnMachineWideKnobs(trace, report);
  std::vector<SysfsSet> knobs;
  absl::btree_map<CounterKey, size_t> foreign;
  ASSIGN_OR_RETURN(std::vector<std::vector<Op>> ref,
                   RunOnce(flags, trace_path, trace, &knobs, &foreign));
  absl::btree_map<CounterKey, size_t> tainted;
  for (int r = 1; r < options.repeat; ++r) {
    ASSIGN_OR_RETURN(std::vector<std::vector<Op>> again,
                     RunOnce(flags, trace_path, trace, nullptr, &foreign));
    MarkDifferences(ref, again, trace, report, &tainted);
  }
  // A counter that moved while the trace was idle is left out from the
  // first op after which it did, in any run, whatever the repeats say.
  for (const auto& [k, first] : foreign) {
    auto [it, added] = tainted.emplace(k, first);
    if (!added && it->second <= first) continue;  // out from earlier on
    it->second = first;
    report->differences.push_back(absl::StrCat(
        "after record ", trace.records[first], ": counter ", CounterName(k),
        " moved while the trace was idle (left out from here on)"));
  }
  LeaveOutTainted(ref, trace, tainted, report);
  cleanup::RunAll();

  Header header = trace.header;
  if (header.profile().name().empty()) {
    header.mutable_profile()->set_name("linux-6.18");
  }
  header.mutable_profile()->clear_knob();
  for (const SysfsSet& k : knobs) *header.mutable_profile()->add_knob() = k;
  Captured* c = header.mutable_provenance()->mutable_captured();
  struct utsname u;
  uname(&u);
  c->set_kernel_release(u.release);
  c->set_date(Today());
  c->set_repeats(static_cast<uint32_t>(options.repeat));
  c->set_tool(kTool);

  ASSIGN_OR_RETURN(std::unique_ptr<trace::TraceWriter> writer,
                   trace::TraceWriter::Create(out));
  RETURN_IF_ERROR(writer->WriteHeader(header));
  for (size_t i = 0; i < trace.ops.size(); ++i) {
    RETURN_IF_ERROR(writer->Write(trace.ops[i]));
    ++report->ops;
    for (const Op& e : ref[i]) {
      RETURN_IF_ERROR(writer->Write(e));
      ++report->expectations;
    }
  }
  return writer->Commit();
}

}  // namespace mmreplay::capture
