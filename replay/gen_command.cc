// mmreplay gen GENERATOR -o OUT: writes a synthetic trace.
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "replay/commands.h"
#include "replay/gen/balloon.h"
#include "replay/gen/churn.h"
#include "replay/gen/fragment.h"
#include "replay/gen/scenario.h"
#include "trace/trace_format.h"
#include "trace/trace_writer.h"

namespace mmreplay::replay {
namespace {

class GenCommand : public Command {
 public:
  absl::string_view name() const override { return "gen"; }
  absl::string_view summary() const override {
    return "Generate a synthetic trace.";
  }
  absl::string_view usage() const override {
    return "GENERATOR -o OUT [--ops N] [--seed S] [--memory-gib G] "
           "[--processes P] [--count K] [--no-anon-reads] [--memory-mib M] "
           "[--free-percent F] [--pattern random|alternate] [--compactions C]";
  }
  std::vector<FlagSpec> flags() const override {
    return {
        {"--output", "-o", "OUT", "the trace to write (.mmt or .textproto)"},
        {"--ops", "", "N", "number of ops after the header (default 1000000)"},
        {"--seed", "", "S", "random seed (default 1)"},
        {"--memory-gib", "", "G",
         "modelled physical memory; balloon: the guest's, the machine gets 1 "
         "GiB more (default 16)"},
        {"--processes", "", "P", "processes (churn; default 16)"},
        {"--count", "", "K",
         "scenario: K traces, seeds S..S+K-1, into the directory OUT "
         "(default 1: OUT is the trace)"},
        {"--memory-mib", "", "M",
         "fragment: modelled physical memory in MiB, a multiple of 4 "
         "(default 16384)"},
        {"--free-percent", "", "F",
         "fragment: percent of the folios unmapped (default 50)"},
        {"--pattern", "", "PATTERN",
         "fragment: random (each folio on its own) or alternate (every other "
         "folio of a region; default random)"},
        {"--compactions", "", "C",
         "fragment: compact_memory ops in a row before the shrinker run, "
         "1..1000 (default 1)"},
        {"--no-anon-reads", "", "",
         "scenario: no read touches or vmsplice pins of anonymous memory "
         "(for hosts without the zero page)"},
    };
  }
  absl::string_view details() const override {
    return R"(Generators:
  churn    anonymous memory churn: regions of up to 8 MiB mapped in many
           processes, faulted in with writes (THP and mTHP), touched, partly
           zapped (MADV_DONTNEED), partly or wholly unmapped, with
           deferred-split shrinker runs.
  balloon  balloon inflation (seed 004): a guest's memory as a tmpfs file
           (huge=always) written whole, then random 4 KiB hole punches.
  fragment a fragmented start for compaction (issue 24): memory filled 2
           MiB region by region with folios of one random order each (0,
           16K, 64K, or a THP), a fraction of them unmapped in a pattern,
           then compact_memory and a shrinker run. --ops does not apply.
  scenario a small random trace (5 to 30 ops) for differential testing
           against the live kernel: anonymous regions under random mTHP
           sizes (madvise + MADV_HUGEPAGE), touches, MADV_DONTNEED/FREE,
           munmap and mprotect of ranges that straddle folio, PMD and VMA
           edges, fork and child exits, pins, tmpfs files under each huge=
           policy with writes, reads, mappings, punches and truncates around
           EOF, shrinker runs, MADV_COLLAPSE. Every op is one mmcapture can
           run and the kernel accepts. --ops does not apply.

The same generator, flags and seed give the same trace, byte for byte, on
every machine. The header records the generator, seed and flags.

exit status: 0 written, 2 trouble.

example:
  mmreplay gen churn --ops 1000000 --seed 7 -o /tmp/churn.mmt
  mmreplay gen scenario --seed 100 --count 50 -o /tmp/scenarios
)";
  }
  int min_positional() const override { return 1; }
  int max_positional() const override { return 1; }

  absl::StatusOr<int> Run(const Args& args) override {
    const std::string& generator = args.positional()[0];
    if (!args.Has("--output")) {
      return absl::InvalidArgumentError("-o OUT is required");
    }
    ASSIGN_OR_RETURN(uint64_t ops, args.GetUint("--ops", 1000000));
    ASSIGN_OR_RETURN(uint64_t seed, args.GetUint("--seed", 1));
    ASSIGN_OR_RETURN(uint64_t gib, args.GetUint("--memory-gib", 16));
    ASSIGN_OR_RETURN(uint64_t processes, args.GetUint("--processes", 16));
    // The model's machine is at most trace::kMaxMachinePages; balloon's gets
    // 1 GiB more than its guest.
    const uint64_t max_gib = (trace::kMaxMachinePages >> (30 - kPageShift)) -
                             (generator == "balloon");
    if (gib == 0 || gib > max_gib) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--memory-gib: must be 1..", max_gib,
          " (the model's machine holds at most 2 TiB",
          generator == "balloon" ? ", the guest's and 1 GiB more)" : ")"));
    }
    if (processes == 0 || processes > 1 << 20) {
      return absl::InvalidArgumentError("--processes: must be 1..1048576");
    }
    if (generator == "scenario") {
      ASSIGN_OR_RETURN(uint64_t count, args.GetUint("--count", 1));
      return Scenarios(args.Get("--output", ""), seed, count,
                       !args.Has("--no-anon-reads"));
    }
    ASSIGN_OR_RETURN(std::unique_ptr<trace::TraceWriter> out,
                     trace::TraceWriter::Create(args.Get("--output", "")));
    if (generator == "churn") {
      gen::ChurnParams p;
      p.ops = ops;
      p.seed = seed;
      p.memory_gib = gib;
      p.processes = static_cast<uint32_t>(processes);
      RETURN_IF_ERROR(gen::GenerateChurn(p, *out));
    } else if (generator == "balloon") {
      gen::BalloonParams p;
      p.ops = ops;
      p.seed = seed;
      p.memory_gib = gib;
      RETURN_IF_ERROR(gen::GenerateBalloon(p, *out));
    } else if (generator == "fragment") {
      gen::FragmentParams p;
      p.seed = seed;
      ASSIGN_OR_RETURN(p.memory_mib, args.GetUint("--memory-mib", gib << 10));
      ASSIGN_OR_RETURN(p.free_percent, args.GetUint("--free-percent", 50));
      const std::string pattern = args.Get("--pattern", "random");
      if (p.memory_mib == 0 || p.memory_mib % 4 != 0 ||
          p.memory_mib > (uint64_t{1} << 26)) {
        return absl::InvalidArgumentError(
            "--memory-mib: must be a multiple of 4, up to 2^26");
      }
      if (p.free_percent > 100) {
        return absl::InvalidArgumentError("--free-percent: must be 0..100");
      }
      ASSIGN_OR_RETURN(p.compactions, args.GetUint("--compactions", 1));
      if (p.compactions == 0 || p.compactions > 1000) {
        return absl::InvalidArgumentError("--compactions: must be 1..1000");
      }
      if (pattern == "alternate") {
        p.pattern = gen::FragmentParams::Pattern::kAlternate;
      } else if (pattern != "random") {
        return absl::InvalidArgumentError(
            "--pattern: must be random or alternate");
      }
      RETURN_IF_ERROR(gen::GenerateFragment(p, *out));
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown generator '", generator,
                       "' (known: churn, balloon, fragment, scenario)"));
    }
    RETURN_IF_ERROR(out->Commit());
    return kExitOk;
  }

 private:
  // One scenario to `out`, or `count` of them as out/scenario_<seed>.textproto.
  static absl::StatusOr<int> Scenarios(const std::string& out, uint64_t seed,
                                       uint64_t count, bool anon_reads) {
    if (count == 0 || count > 1000000) {
      return absl::InvalidArgumentError("--count: must be 1..1000000");
    }
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
