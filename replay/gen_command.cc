// mmreplay gen GENERATOR -o OUT: writes a synthetic trace.
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/page_geometry.h"
#include "base/status_macros.h"
#include "replay/commands.h"
#include "replay/gen/balloon.h"
#include "replay/gen/churn.h"
#include "replay/gen/common.h"
#include "replay/gen/file_truncate.h"
#include "replay/gen/fork_cow.h"
#include "replay/gen/fragment.h"
#include "replay/gen/malloc.h"
#include "replay/gen/scenario.h"
#include "trace/trace_format.h"
#include "trace/trace_writer.h"

namespace mmreplay::replay {
namespace {

// Each generator and the flags it takes besides -o and --seed; any other
// flag given is refused.
struct Generator {
  std::string name;
  std::vector<std::string> flags;
};

const std::vector<Generator>& Generators() {
  static const auto* const generators = new std::vector<Generator>{
      {"churn",
       {"--ops", "--memory-gib", "--memory-mib", "--processes", "--mthp-orders",
        "--mix"}},
      {"balloon",
       {"--ops", "--memory-gib", "--memory-mib", "--punch-size", "--pattern",
        "--reclaim", "--mapped", "--khugepaged-every"}},
      {"malloc",
       {"--ops", "--memory-gib", "--memory-mib", "--processes", "--mthp-orders",
        "--sizes", "--mix"}},
      {"fork-cow",
       {"--ops", "--memory-gib", "--memory-mib", "--parent-mib", "--children",
        "--write-percent", "--write-size"}},
      {"file-truncate",
       {"--ops", "--memory-gib", "--memory-mib", "--files", "--sizes", "--fs",
        "--mix"}},
      {"fragment",
       {"--memory-gib", "--memory-mib", "--free-percent", "--pattern",
        "--compactions"}},
      {"scenario", {"--count", "--no-anon-reads"}},
  };
  return *generators;
}

// The flag's value, lo..hi, else an error naming the flag and the range
// (and `why`, when the range comes from another flag). Not given: `fallback`,
// or hi if that is less.
absl::StatusOr<uint64_t> GetInRange(const Args& args, absl::string_view flag,
                                    uint64_t fallback, uint64_t lo, uint64_t hi,
                                    absl::string_view why = "") {
  ASSIGN_OR_RETURN(uint64_t v, args.GetUint(flag, std::min(fallback, hi)));
  if (v < lo || v > hi) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": must be ", lo, "..", hi, why.empty() ? "" : " (",
                     why, why.empty() ? "" : ")"));
  }
  return v;
}

// --mix, if given, over `weights` (gen::ParseMix).
absl::Status GetMix(const Args& args, const std::vector<std::string>& kinds,
                    std::vector<uint64_t>& weights) {
  if (!args.Has("--mix")) return absl::OkStatus();
  return gen::ParseMix("--mix", args.Get("--mix", ""), kinds, weights);
}

// One of `names`: the index of the flag's value, else an error naming them.
absl::StatusOr<size_t> GetChoice(const Args& args, absl::string_view flag,
                                 const std::vector<std::string>& names) {
  const std::string v = args.Get(flag, names[0]);
  auto it = std::find(names.begin(), names.end(), v);
  if (it == names.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": must be ", absl::StrJoin(names.begin(), names.end() - 1, ", "),
        " or ", names.back(), " (got '", v, "')"));
  }
  return it - names.begin();
}

class GenCommand : public Command {
 public:
  absl::string_view name() const override { return "gen"; }
  absl::string_view summary() const override {
    return "Generate a synthetic trace.";
  }
  absl::string_view usage() const override {
    return "GENERATOR -o OUT [--seed S] [--ops N] [-q] [FLAG...] (GENERATOR: "
           "churn, balloon, malloc, fork-cow, file-truncate, fragment, "
           "scenario)";
  }
  std::vector<FlagSpec> flags() const override {
    return {
        {"--output", "-o", "OUT", "the trace to write (.mmt or .textproto)"},
        {"--seed", "", "S", "random seed (default 1)"},
        {"--quiet", "-q", "", "no progress line on stderr"},
        {"--ops", "", "N",
         "ops after setup, 1..10^12 (default 1000000); setup is what the "
         "workload starts from (processes, mappings, the balloon guest's "
         "fill, the fork-cow parent's THPs) and is not counted"},
        {"--memory-gib", "", "G",
         "modelled physical memory (default 16 for churn and balloon, 4 "
         "for the others); balloon: the guest's, the machine gets an eighth "
         "more, 4 MiB to 1 GiB"},
        {"--processes", "", "P",
         "churn, malloc: processes, 1..1048576 (default 16, malloc 4)"},
        {"--mthp-orders", "", "LIST",
         "churn, malloc: anonymous folio orders enabled, ascending, 2..9 "
         "(9: the PMD THP); the others are never (default 2,4,9 for churn, "
         "2,4 for malloc)"},
        {"--mix", "", "KIND:W,...",
         "churn, malloc, file-truncate: op weights; kinds not named keep "
         "their default (see below)"},
        {"--sizes", "", "LIST",
         "malloc: allocation sizes (default 16K,64K,256K,1M; 4K..64M); "
         "file-truncate: file sizes (default 64K,512K,2M,8M; 4K..1G); "
         "multiples of 4K, with K, M or G"},
        {"--punch-size", "", "SIZE",
         "balloon: bytes per reclaim, a power of two from 4K to 1G and at "
         "most the guest (default 4K)"},
        {"--pattern", "", "PATTERN",
         "balloon: random, sequential or strided (default random); "
         "fragment: random or alternate (default random)"},
        {"--reclaim", "", "HOW",
         "balloon: punch (the guest is a tmpfs file, fallocate PUNCH_HOLE) "
         "or dontneed (anonymous THP memory, MADV_DONTNEED; default punch)"},
        {"--mapped", "", "",
         "balloon: the guest's file is mapped shared into the QEMU process "
         "and filled through the mapping"},
        {"--khugepaged-every", "", "N",
         "balloon: a khugepaged collapse of the PMD last reclaimed after "
         "every N reclaims, 0..1000000 (default 0: none; needs --mapped or "
         "--reclaim dontneed)"},
        {"--parent-mib", "", "M",
         "fork-cow: the parent's THP region in MiB, a multiple of 2 (default "
         "1024)"},
        {"--children", "", "C",
         "fork-cow: children alive at a time, 1..1000 (default 1)"},
        {"--write-percent", "", "W",
         "fork-cow: percent of the parent's region each child writes, "
         "1..100 (default 10)"},
        {"--write-size", "", "SIZE",
         "fork-cow: bytes per child write, 4K..2M (default 4K)"},
        {"--files", "", "F",
         "file-truncate: file slots, 1..65536 (default 64)"},
        {"--fs", "", "FS",
         "file-truncate: tmpfs (huge=always) or pagecache (a disk "
         "filesystem's large folios; default tmpfs)"},
        {"--count", "", "K",
         "scenario: K traces, seeds S..S+K-1, into the directory OUT "
         "(default 1: OUT is the trace)"},
        {"--memory-mib", "", "M",
         "--memory-gib in MiB, a multiple of 4 (for small traces; it wins "
         "over --memory-gib)"},
        {"--free-percent", "", "F",
         "fragment: percent of the folios unmapped, 0..100 (default 50)"},
        {"--compactions", "", "C",
         "fragment: compact_memory ops in a row before the shrinker run, "
         "1..1000 (default 1)"},
        {"--no-anon-reads", "", "",
         "scenario: no read touches or vmsplice pins of anonymous memory "
         "(for hosts without the zero page)"},
    };
  }
  absl::string_view details() const override {
    return R"(Generators (docs/generators.md has the workloads and every knob):
  churn    anonymous memory churn: regions of up to 8 MiB mapped in many
           processes, faulted in with writes (THP and mTHP of
           --mthp-orders), then per op on a region (--mix, default
           touch:929,dontneed:10,unmap-tail:10,unmap:50,shrink:1): touch
           1-16 pages, MADV_DONTNEED 1-16 pages, munmap its tail, munmap
           it, or a deferred-split shrinker run. Setup: the processes.
  balloon  balloon inflation (seed 004): the guest's memory (a tmpfs file,
           huge=always, or with --reclaim dontneed anonymous THP memory) is
           filled whole as setup; then --ops reclaims of --punch-size in
           --pattern, and with --khugepaged-every N a khugepaged collapse
           of the PMD last reclaimed after every N (counted in --ops).
  malloc   an allocator over anonymous mTHP memory (seed 001): arenas
           mapped at setup; allocations of --sizes written whole, then
           (--mix, default use:70,free:20,partial-free:9,shrink:1) used,
           freed or partly freed with MADV_DONTNEED, and shrinker runs.
  fork-cow a parent writes --parent-mib of THPs (setup); --children at a
           time are forked, each writes --write-percent of it in
           --write-size blocks at random places, and exits.
  file-truncate
           files of --sizes (tmpfs huge=always, or --fs pagecache) created
           and written 2 MiB per op, then (--mix, default
           truncate:40,punch:40,write:15,unlink:5) truncated at a random
           byte, punched over a random range of the tail, written again,
           or unlinked (seeds 000/002). No setup: every op counts.
  fragment a fragmented start for compaction (issue 24): memory filled 2
           MiB region by region with folios of one random order each (0,
           16K, 64K, or a THP), a fraction of them unmapped in a pattern,
           then compact_memory and a shrinker run. --ops does not apply:
           the size is --memory-mib's.
  scenario a small random trace (5 to 30 ops) for differential testing
           against the live kernel: anonymous regions under random mTHP
           sizes (madvise + MADV_HUGEPAGE), touches, MADV_DONTNEED/FREE,
           munmap and mprotect of ranges that straddle folio, PMD and VMA
           edges, fork and child exits, pins, tmpfs files under each huge=
           policy with writes, reads, mappings, punches and truncates around
           EOF, shrinker runs, MADV_COLLAPSE. Every op is one mmcapture can
           run and the kernel accepts. --ops does not apply.

A flag a generator does not take is refused. The same generator, flags and
seed give the same trace, byte for byte, on every machine; memory does not
grow with --ops (ops are written as they are made). The header records the
generator, seed and flags: `mmreplay gen GENERATOR --seed S PARAMETERS`
makes the trace again.

On a terminal, a long generation shows its progress on stderr (ops, ops/s,
elapsed); -q turns it off, and a file or a pipe gets none.

exit status: 0 written, 2 trouble (a bad flag: one line naming it and the
values it takes).

examples:
  mmreplay gen churn --ops 1000000 --seed 7 -o /tmp/churn.mmt
  mmreplay gen balloon --memory-gib 4 --ops 100000 --punch-size 64K \
      --pattern strided --mapped --khugepaged-every 64 -o /tmp/balloon.mmt
  mmreplay gen malloc --mthp-orders 4 --sizes 64K,1M --ops 100000 -o m.mmt
  mmreplay gen scenario --seed 100 --count 50 -o /tmp/scenarios
)";
  }
  int min_positional() const override { return 1; }
  int max_positional() const override { return 1; }

  absl::StatusOr<int> Run(const Args& args) override {
    const std::string& name = args.positional()[0];
    const auto& all = Generators();
    auto g = std::find_if(all.begin(), all.end(),
                          [&](const Generator& g) { return g.name == name; });
    if (g == all.end()) {
      std::vector<std::string> names;
      for (const Generator& g : all) names.push_back(g.name);
      return absl::InvalidArgumentError(
          absl::StrCat("unknown generator '", name,
                       "' (known: ", absl::StrJoin(names, ", "), ")"));
    }
    for (const FlagSpec& f : flags()) {
      if (f.name == "--output" || f.name == "--seed" || f.name == "--quiet" ||
          !args.Has(f.name) ||
          std::count(g->flags.begin(), g->flags.end(), f.name) != 0) {
        continue;
      }
      return absl::InvalidArgumentError(
          absl::StrCat(f.name, ": not a flag of gen ", name, " (it takes ",
                       absl::StrJoin(g->flags, ", "), ")"));
    }
    if (!args.Has("--output")) {
      return absl::InvalidArgumentError("-o OUT is required");
    }
    ASSIGN_OR_RETURN(uint64_t seed, args.GetUint("--seed", 1));
    if (name == "scenario") {
      ASSIGN_OR_RETURN(uint64_t count,
                       GetInRange(args, "--count", 1, 1, 1000000));
      return Scenarios(args.Get("--output", ""), seed, count,
                       !args.Has("--no-anon-reads"));
    }
    ASSIGN_OR_RETURN(uint64_t ops,
                     GetInRange(args, "--ops", 1000000, 1, 1000000000000));
    const bool big = name == "churn" || name == "balloon";
    // The model's machine is at most trace::kMaxMachinePages; balloon's gets
    // up to 1 GiB more than its guest.
    const uint64_t max_gib =
        (trace::kMaxMachinePages >> (30 - kPageShift)) - (name == "balloon");
    const absl::string_view why =
        name == "balloon" ? "the model's machine holds at most 2 TiB, the "
                            "guest's and up to 1 GiB more"
                          : "the model's machine holds at most 2 TiB";
    ASSIGN_OR_RETURN(uint64_t gib, GetInRange(args, "--memory-gib",
                                              big ? 16 : 4, 1, max_gib, why));
    uint64_t mib = gib << 10;
    if (args.Has("--memory-mib")) {
      ASSIGN_OR_RETURN(
          mib, GetInRange(args, "--memory-mib", 0, 4, max_gib << 10, why));
      if (mib % 4 != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--memory-mib: must be a multiple of 4 from 4 to ", max_gib << 10));
      }
    }
    // The body of each generator's flags, then the trace.
    ASSIGN_OR_RETURN(std::unique_ptr<trace::TraceWriter> file,
                     trace::TraceWriter::Create(args.Get("--output", "")));
    Progress progress("gen", Progress::Wanted(args.Has("--quiet")));
    ProgressTraceWriter counted(file.get(), &progress);
    trace::TraceWriter* out = &counted;
    if (name == "churn") {
      gen::ChurnParams p;
      p.ops = ops;
      p.seed = seed;
      p.memory_mib = mib;
      ASSIGN_OR_RETURN(p.processes,
                       GetInRange(args, "--processes", 16, 1, 1 << 20));
      ASSIGN_OR_RETURN(p.mthp_orders,
                       gen::ParseOrders("--mthp-orders",
                                        args.Get("--mthp-orders", "2,4,9")));
      RETURN_IF_ERROR(GetMix(args, gen::ChurnKinds(), p.mix));
      RETURN_IF_ERROR(gen::GenerateChurn(p, *out));
    } else if (name == "balloon") {
      gen::BalloonParams p;
      p.ops = ops;
      p.seed = seed;
      p.memory_mib = mib;
      ASSIGN_OR_RETURN(
          p.punch_size,
          gen::ParseSize("--punch-size", args.Get("--punch-size", "4K"),
                         kPageSize, gen::kGiB));
      if ((p.punch_size & (p.punch_size - 1)) != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--punch-size: must be a power of two from 4K to 1G (got '",
            args.Get("--punch-size", ""), "')"));
      }
      ASSIGN_OR_RETURN(
          size_t pattern,
          GetChoice(args, "--pattern", {"random", "sequential", "strided"}));
      p.pattern = static_cast<gen::BalloonParams::Pattern>(pattern);
      ASSIGN_OR_RETURN(size_t reclaim,
                       GetChoice(args, "--reclaim", {"punch", "dontneed"}));
      p.reclaim = static_cast<gen::BalloonParams::Reclaim>(reclaim);
      p.mapped = args.Has("--mapped");
      ASSIGN_OR_RETURN(p.khugepaged_every,
                       GetInRange(args, "--khugepaged-every", 0, 0, 1000000));
      if (p.khugepaged_every != 0 && !p.mapped &&
          p.reclaim == gen::BalloonParams::Reclaim::kPunch) {
        return absl::InvalidArgumentError(
            "--khugepaged-every: needs --mapped or --reclaim dontneed "
            "(khugepaged collapses what a process maps)");
      }
      RETURN_IF_ERROR(gen::GenerateBalloon(p, *out));
    } else if (name == "malloc") {
      gen::MallocParams p;
      p.ops = ops;
      p.seed = seed;
      p.memory_mib = mib;
      ASSIGN_OR_RETURN(
          p.sizes,
          gen::ParseSizeList("--sizes", args.Get("--sizes", "16K,64K,256K,1M"),
                             kPageSize, 64 * gen::kMiB));
      const uint64_t largest =
          *std::max_element(p.sizes.begin(), p.sizes.end());
      const uint64_t cell = (largest + kPmdSize - 1) / kPmdSize * kPmdSize;
      ASSIGN_OR_RETURN(
          p.processes,
          GetInRange(args, "--processes", 4, 1,
                     std::max<uint64_t>(1, mib * gen::kMiB * 3 / 4 / cell),
                     "each needs room for the largest of --sizes in three "
                     "quarters of the memory"));
      ASSIGN_OR_RETURN(
          p.mthp_orders,
          gen::ParseOrders("--mthp-orders", args.Get("--mthp-orders", "2,4")));
      RETURN_IF_ERROR(GetMix(args, gen::MallocKinds(), p.mix));
      RETURN_IF_ERROR(gen::GenerateMalloc(p, *out));
    } else if (name == "fork-cow") {
      gen::ForkCowParams p;
      p.ops = ops;
      p.seed = seed;
      p.memory_mib = mib;
      ASSIGN_OR_RETURN(p.children, GetInRange(args, "--children", 1, 1, 1000));
      ASSIGN_OR_RETURN(p.write_percent,
                       GetInRange(args, "--write-percent", 10, 1, 100));
      ASSIGN_OR_RETURN(
          p.write_size,
          gen::ParseSize("--write-size", args.Get("--write-size", "4K"),
                         kPageSize, kPmdSize));
      // The parent and every child's copies fit in three quarters of
      // memory.
      const uint64_t most =
          mib * 3 / 4 * 100 / (100 + p.children * p.write_percent) / 2 * 2;
      ASSIGN_OR_RETURN(
          p.parent_mib,
          GetInRange(args, "--parent-mib", 1024, 2, most,
                     "with the children's copies, in three quarters of "
                     "the memory"));
      if (p.parent_mib % 2 != 0) {
        return absl::InvalidArgumentError(
            "--parent-mib: must be a multiple of 2 (whole PMDs)");
      }
      RETURN_IF_ERROR(gen::GenerateForkCow(p, *out));
    } else if (name == "file-truncate") {
      gen::FileTruncateParams p;
      p.ops = ops;
      p.seed = seed;
      p.memory_mib = mib;
      ASSIGN_OR_RETURN(
          p.sizes,
          gen::ParseSizeList("--sizes", args.Get("--sizes", "64K,512K,2M,8M"),
                             kPageSize, gen::kGiB));
      const uint64_t largest =
          *std::max_element(p.sizes.begin(), p.sizes.end());
      ASSIGN_OR_RETURN(
          p.files,
          GetInRange(
              args, "--files", 64, 1,
              std::clamp<uint64_t>(mib * gen::kMiB * 3 / 4 / largest, 1, 65536),
              "files of the largest of --sizes in three quarters of "
              "the memory, 65536 at most"));
      ASSIGN_OR_RETURN(size_t fs,
                       GetChoice(args, "--fs", {"tmpfs", "pagecache"}));
      p.tmpfs = fs == 0;
      RETURN_IF_ERROR(GetMix(args, gen::FileTruncateKinds(), p.mix));
      RETURN_IF_ERROR(gen::GenerateFileTruncate(p, *out));
    } else {  // fragment
      gen::FragmentParams p;
      p.seed = seed;
      p.memory_mib = mib;
      ASSIGN_OR_RETURN(p.free_percent,
                       GetInRange(args, "--free-percent", 50, 0, 100));
      ASSIGN_OR_RETURN(p.compactions,
                       GetInRange(args, "--compactions", 1, 1, 1000));
      ASSIGN_OR_RETURN(size_t pattern,
                       GetChoice(args, "--pattern", {"random", "alternate"}));
      p.pattern = static_cast<gen::FragmentParams::Pattern>(pattern);
      RETURN_IF_ERROR(gen::GenerateFragment(p, *out));
    }
    RETURN_IF_ERROR(out->Commit());
    return kExitOk;
  }

 private:
  // One scenario to `out`, or `count` of them as out/scenario_<seed>.textproto.
  static absl::StatusOr<int> Scenarios(const std::string& out, uint64_t seed,
                                       uint64_t count, bool anon_reads) {
    if (count > 1 && mkdir(out.c_str(), 0777) != 0 && errno != EEXIST) {
      return absl::InvalidArgumentError(
          absl::StrCat(out, ": ", strerror(errno)));
    }
    for (uint64_t i = 0; i < count; ++i) {
      gen::ScenarioParams p;
      p.seed = seed + i;
      p.anon_reads = anon_reads;
      const std::string path =
          count == 1 ? out
                     : absl::StrCat(out, "/scenario_", p.seed, ".textproto");
      ASSIGN_OR_RETURN(std::unique_ptr<trace::TraceWriter> w,
                       trace::TraceWriter::Create(path));
      RETURN_IF_ERROR(gen::GenerateScenario(p, *w));
      RETURN_IF_ERROR(w->Commit());
    }
    return kExitOk;
  }
};

}  // namespace

std::unique_ptr<Command> NewGenCommand() {
  return std::make_unique<GenCommand>();
}

}  // namespace mmreplay::replay
