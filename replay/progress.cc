#include "replay/progress.h"

#include <unistd.h>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace mmreplay::replay {
namespace {

// 1234 -> "1234", 1234567 -> "1.2M".
std::string Short(double v) {
  if (v >= 1e9) return absl::StrFormat("%.1fG", v / 1e9);
  if (v >= 1e6) return absl::StrFormat("%.1fM", v / 1e6);
  if (v >= 1e4) return absl::StrFormat("%.1fK", v / 1e3);
  return absl::StrFormat("%.0f", v);
}

}  // namespace

Progress::Progress(absl::string_view verb, bool enabled, FILE* out,
                   absl::Time start)
    : verb_(verb),
      enabled_(enabled),
      out_(out != nullptr ? out : stderr),
      start_(start == absl::InfinitePast() ? absl::Now() : start),
      last_shown_(start_) {}

bool Progress::Wanted(bool quiet) { return !quiet && isatty(STDERR_FILENO); }

std::string Progress::Line(absl::string_view verb, uint64_t done,
                           absl::Duration elapsed) {
  const double seconds = absl::ToDoubleSeconds(elapsed);
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  return absl::StrFormat("%s: %s ops, %s ops/s, %.1f s", verb,
                         Short(static_cast<double>(done)), Short(rate),
                         seconds);
}

void Progress::Refresh(uint64_t done, bool last) {
  const absl::Time now = absl::Now();
  if (!last && now - last_shown_ < absl::Milliseconds(250)) return;
  if (!last && now - start_ < absl::Seconds(1)) return;  // short: no line
  last_shown_ = now;
  shown_ = true;
  // \r and clear to the end of the line: the line is rewritten in place.
  absl::FPrintF(out_, "\r%s\033[K", Line(verb_, done, now - start_));
  if (last) std::fputc('\n', out_);
  std::fflush(out_);
}

void Progress::Finish(uint64_t done) {
  if (!enabled_) return;
  if (!shown_ && absl::Now() - start_ < absl::Seconds(1)) return;
  Refresh(done, /*last=*/true);
}

}  // namespace mmreplay::replay
