#include "bench/log_run.h"

#include <sys/stat.h>
#include <time.h>

#include <memory>

#include "replay/driver.h"
#include "trace/output_file.h"
#include "trace/trace_reader.h"

namespace mmreplay::bench {

using replay::EventLog;
using replay::LogFormat;
using replay::ReplayOptions;
using replay::ReplayReport;

double WallSeconds() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) +
         1e-9 * static_cast<double>(ts.tv_nsec);
}

absl::StatusOr<LogRun> ReplayToLog(const std::string& trace,
                                   const std::string& out_path,
                                   LogFormat format) {
  LogRun run;
  const double start = WallSeconds();
  auto reader = trace::TraceReader::Open(trace);
  if (!reader.ok()) return reader.status();
  std::unique_ptr<trace::OutputFile> out;
  if (!out_path.empty()) {
    auto created = trace::OutputFile::Create(out_path);
    if (!created.ok()) return created.status();
    out = std::move(*created);
  }
  EventLog log(out.get(), format);
  log.WriteHeader("linux-6.18");
  ReplayReport report;
  // With the op lines, as `mmreplay replay` writes the log.
  ReplayOptions options;
  options.op_sink = &log;
  absl::Status s = replay::Replay(**reader, options, &log, &report);
  if (s.ok()) s = log.Finish();
  if (s.ok() && out != nullptr) s = out->Commit();
  if (!s.ok()) return s;
  run.seconds = WallSeconds() - start;
  run.ops = report.ops;
  run.events = log.events();
  struct stat st;
  if (!out_path.empty() && stat(out_path.c_str(), &st) == 0 &&
      S_ISREG(st.st_mode)) {
    run.bytes = static_cast<uint64_t>(st.st_size);
  }
  return run;
}

}  // namespace mmreplay::bench
