#include "capture/knobs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/page_geometry.h"
#include "capture/cleanup.h"

namespace mmreplay::capture {
namespace {

constexpr char kThp[] = "/sys/kernel/mm/transparent_hugepage/";

struct Word {
  KnobValue value;
  const char* word;
};
constexpr Word kWords[] = {
    {KNOB_VALUE_ALWAYS, "always"},
    {KNOB_VALUE_MADVISE, "madvise"},
    {KNOB_VALUE_NEVER, "never"},
    {KNOB_VALUE_INHERIT, "inherit"},
    {KNOB_VALUE_WITHIN_SIZE, "within_size"},
    {KNOB_VALUE_ADVISE, "advise"},
    {KNOB_VALUE_DENY, "deny"},
    {KNOB_VALUE_FORCE, "force"},
    {KNOB_VALUE_DEFER, "defer"},
    {KNOB_VALUE_DEFER_MADVISE, "defer+madvise"},
};

bool Numeric(Knob k) {
  return k == KNOB_MAX_PTES_NONE || k == KNOB_USE_ZERO_PAGE ||
         k == KNOB_SHRINK_UNDERUSED || k == KNOB_MAX_PTES_SHARED;
}

absl::StatusOr<std::string> Slurp(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": ", strerror(errno)));
  }
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::string KnobPath(const SysfsSet& k) {
  std::string size = absl::StrCat("hugepages-", 4u << k.order(), "kB/");
  switch (k.knob()) {
    case KNOB_ENABLED:
      return absl::StrCat(kThp, "enabled");
    case KNOB_DEFRAG:
      return absl::StrCat(kThp, "defrag");
    case KNOB_ANON_ORDER_ENABLED:
      return absl::StrCat(kThp, size, "enabled");
    case KNOB_SHMEM_ENABLED:
      return absl::StrCat(kThp, "shmem_enabled");
    case KNOB_SHMEM_ORDER_ENABLED:
      return absl::StrCat(kThp, size, "shmem_enabled");
    case KNOB_MAX_PTES_NONE:
      return absl::StrCat(kThp, "khugepaged/max_ptes_none");
    case KNOB_USE_ZERO_PAGE:
      return absl::StrCat(kThp, "use_zero_page");
    case KNOB_SHRINK_UNDERUSED:
      return absl::StrCat(kThp, "shrink_underused");
    case KNOB_MAX_PTES_SHARED:
      return absl::StrCat(kThp, "khugepaged/max_ptes_shared");
    default:
      return "";
  }
}

absl::StatusOr<SysfsSet> ReadKnob(const SysfsSet& knob) {
  std::string path = KnobPath(knob);
  absl::StatusOr<std::string> text = Slurp(path);
  if (!text.ok()) return text.status();
  SysfsSet out;
  out.set_knob(knob.knob());
  out.set_order(knob.order());
  std::string body(absl::StripAsciiWhitespace(*text));
  if (Numeric(knob.knob())) {
    uint32_t n;
    if (!absl::SimpleAtoi(body, &n)) {
      return absl::InternalError(absl::StrCat(path, ": not a number: ", body));
    }
    out.set_number(n);
    return out;
  }
  // "always [madvise] never": the bracketed word is in force.
  size_t open = body.find('['), close = body.find(']');
  if (open == std::string::npos || close == std::string::npos) {
    return absl::InternalError(absl::StrCat(path, ": no [value] in: ", body));
  }
  std::string word = body.substr(open + 1, close - open - 1);
  for (const Word& w : kWords) {
    if (word == w.word) {
      out.set_value(w.value);
      return out;
    }
  }
  return absl::InternalError(absl::StrCat(path, ": unknown value ", word));
}

absl::StatusOr<std::string> ReadControlFile(const std::string& path) {
  absl::StatusOr<std::string> text = Slurp(path);
  if (!text.ok()) return text.status();
  return std::string(absl::StripAsciiWhitespace(*text));
}

absl::Status WriteControlFile(const std::string& path, const std::string& value,
                              bool restore) {
  if (restore) {
    absl::StatusOr<std::string> old = Slurp(path);
    if (!old.ok()) return old.status();
    std::string keep(absl::StripAsciiWhitespace(*old));
    // Sysfs word knobs read "a [b] c" but take "b".
    if (size_t open = keep.find('['); open != std::string::npos) {
      keep = keep.substr(open + 1, keep.find(']') - open - 1);
    }
    cleanup::RestoreFile(path, keep);
  }
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": ", strerror(errno)));
  }
  ssize_t n = write(fd, value.data(), value.size());
  int err = errno;
  close(fd);
  if (n != static_cast<ssize_t>(value.size())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot write '", value, "' to ", path, ": ", strerror(err)));
  }
  return absl::OkStatus();
}

std::string KnobText(const SysfsSet& knob) {
  if (Numeric(knob.knob())) return absl::StrCat(knob.number());
  for (const Word& w : kWords) {
    if (w.value == knob.value()) return w.word;
  }
  return "";
}

absl::Status WriteKnob(const SysfsSet& knob) {
  return WriteControlFile(KnobPath(knob), KnobText(knob), /*restore=*/true);
}

std::vector<SysfsSet> DefaultKnobs() {
  std::vector<SysfsSet> all;
  auto word = [&all](Knob k, uint32_t order, KnobValue v) {
    SysfsSet s;
    s.set_knob(k);
    s.set_order(order);
    s.set_value(v);
    all.push_back(s);
  };
  auto number = [&all](Knob k, uint32_t n) {
    SysfsSet s;
    s.set_knob(k);
    s.set_number(n);
    all.push_back(s);
  };
  word(KNOB_ENABLED, 0, KNOB_VALUE_MADVISE);
  word(KNOB_DEFRAG, 0, KNOB_VALUE_MADVISE);
  // The PMD order inherits, the rest never (huge_anon_orders_inherit =
  // BIT(PMD_ORDER) in hugepage_init(); the same for shmem).
  auto inherit_at_pmd = [](uint32_t o) {
    return o == kPmdOrder ? KNOB_VALUE_INHERIT : KNOB_VALUE_NEVER;
  };
  for (uint32_t o = 2; o <= kPmdOrder; ++o) {
    word(KNOB_ANON_ORDER_ENABLED, o, inherit_at_pmd(o));
  }
  word(KNOB_SHMEM_ENABLED, 0, KNOB_VALUE_NEVER);
  for (uint32_t o = 1; o <= kPmdOrder; ++o) {
    word(KNOB_SHMEM_ORDER_ENABLED, o, inherit_at_pmd(o));
  }
  // khugepaged/max_ptes_none: HPAGE_PMD_NR - 1; max_ptes_shared:
  // HPAGE_PMD_NR / 2.
  number(KNOB_MAX_PTES_NONE, kPagesPerPmd - 1);
  number(KNOB_USE_ZERO_PAGE, 1);
  number(KNOB_SHRINK_UNDERUSED, 1);
  number(KNOB_MAX_PTES_SHARED, kPagesPerPmd / 2);
  return all;
}

void ApplyKnob(const SysfsSet& write, std::vector<SysfsSet>* knobs) {
  const bool per_size = write.knob() == KNOB_ANON_ORDER_ENABLED ||
                        write.knob() == KNOB_SHMEM_ORDER_ENABLED;
  for (SysfsSet& k : *knobs) {
    if (k.knob() != write.knob() || (per_size && k.order() != write.order())) {
      continue;
    }
    if (!Numeric(write.knob())) {
      k.set_value(write.value());
    } else if (write.knob() == KNOB_USE_ZERO_PAGE ||
               write.knob() == KNOB_SHRINK_UNDERUSED) {
      k.set_number(write.number() != 0 ? 1 : 0);
    } else {
      k.set_number(write.number());
    }
  }
}

absl::StatusOr<std::vector<SysfsSet>> ReadAllKnobs() {
  std::vector<SysfsSet> all;
  for (const SysfsSet& k : DefaultKnobs()) {
    if (access(KnobPath(k).c_str(), R_OK) != 0) continue;
    absl::StatusOr<SysfsSet> v = ReadKnob(k);
    if (!v.ok()) return v.status();
    all.push_back(*v);
  }
  return all;
}

}  // namespace mmreplay::capture
