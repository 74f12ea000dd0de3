#include "replay/gen/common.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/page_geometry.h"
#include "base/status_macros.h"
#include "trace/trace_format.h"

namespace mmreplay::replay::gen {

Header GeneratedHeader(absl::string_view generator, uint64_t seed,
                       uint64_t total_pages, absl::string_view parameters,
                       absl::string_view description) {
  Header h;
  h.set_format_version(trace::kFormatVersion);
  h.mutable_machine()->set_total_pages(total_pages);
  h.mutable_profile()->set_name("linux-6.18");
  Generated* g = h.mutable_provenance()->mutable_generated();
  g->set_generator(std::string(generator));
  g->set_seed(seed);
  g->set_parameters(std::string(parameters));
  h.set_description(std::string(description));
  return h;
}

void AddAnonOrderKnobs(const std::vector<uint32_t>& orders,
                       KernelProfile& profile) {
  const bool pmd = std::find(orders.begin(), orders.end(), 9) != orders.end();
  SysfsSet* k = profile.add_knob();
  k->set_knob(KNOB_ENABLED);
  k->set_value(pmd ? KNOB_VALUE_ALWAYS : KNOB_VALUE_NEVER);
  for (uint32_t order : orders) {
    if (order == 9) continue;  // hugepages-2048kB inherits "enabled"
    k = profile.add_knob();
    k->set_knob(KNOB_ANON_ORDER_ENABLED);
    k->set_order(order);
    k->set_value(KNOB_VALUE_ALWAYS);
  }
}

std::string FormatSize(uint64_t bytes) {
  for (auto [shift, unit] :
       {std::pair<int, const char*>{30, "G"}, {20, "M"}, {10, "K"}}) {
    if (bytes != 0 && bytes % (uint64_t{1} << shift) == 0) {
      return absl::StrCat(bytes >> shift, unit);
    }
  }
  return absl::StrCat(bytes);
}

absl::StatusOr<uint64_t> ParseSize(absl::string_view flag,
                                   absl::string_view text, uint64_t lo,
                                   uint64_t hi) {
  absl::string_view digits = text;
  int shift = 0;
  if (!digits.empty()) {
    switch (digits.back()) {
      case 'K':
        shift = 10;
        break;
      case 'M':
        shift = 20;
        break;
      case 'G':
        shift = 30;
        break;
    }
    if (shift != 0) digits.remove_suffix(1);
  }
  uint64_t n;
  if (!absl::SimpleAtoi(digits, &n) || n > (hi >> shift) || (n << shift) < lo ||
      (n << shift) % kPageSize != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": must be a multiple of 4K from ", FormatSize(lo),
                     " to ", FormatSize(hi), " (got '", text, "')"));
  }
  return n << shift;
}

absl::StatusOr<std::vector<uint64_t>> ParseSizeList(absl::string_view flag,
                                                    absl::string_view text,
                                                    uint64_t lo, uint64_t hi) {
  std::vector<uint64_t> sizes;
  for (absl::string_view s : absl::StrSplit(text, ',')) {
    ASSIGN_OR_RETURN(uint64_t size, ParseSize(flag, s, lo, hi));
    sizes.push_back(size);
  }
  return sizes;
}

absl::StatusOr<std::vector<uint32_t>> ParseOrders(absl::string_view flag,
                                                  absl::string_view text) {
  std::vector<uint32_t> orders;
  for (absl::string_view s : absl::StrSplit(text, ',')) {
    uint32_t order;
    if (!absl::SimpleAtoi(s, &order) || order < 2 || order > 9 ||
        (!orders.empty() && order <= orders.back())) {
      return absl::InvalidArgumentError(absl::StrCat(
          flag,
          ": must be ascending orders from 2 to 9, comma-separated "
          "(9 is the PMD THP; got '",
          text, "')"));
    }
    orders.push_back(order);
  }
  return orders;
}

absl::Status ParseMix(absl::string_view flag, absl::string_view text,
                      const std::vector<std::string>& kinds,
                      std::vector<uint64_t>& weights) {
  const auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": must be KIND:WEIGHT,... with KIND one of ",
        absl::StrJoin(kinds, ", "),
        ", WEIGHT 0..1000000 and a positive sum (got '", text, "')"));
  };
  for (absl::string_view entry : absl::StrSplit(text, ',')) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(entry, absl::MaxSplits(':', 1));
    auto it = std::find(kinds.begin(), kinds.end(), kv.first);
    uint64_t w;
    if (it == kinds.end() || !absl::SimpleAtoi(kv.second, &w) || w > 1000000) {
      return bad();
    }
    weights[it - kinds.begin()] = w;
  }
  uint64_t sum = 0;
  for (uint64_t w : weights) sum += w;
  if (sum == 0) return bad();
  return absl::OkStatus();
}

std::string FormatMix(const std::vector<std::string>& kinds,
                      const std::vector<uint64_t>& weights) {
  std::string out;
  for (size_t i = 0; i < kinds.size(); ++i) {
    absl::StrAppend(&out, i == 0 ? "" : ",", kinds[i], ":", weights[i]);
  }
  return out;
}

std::string OrderList(const std::vector<uint32_t>& orders) {
  return absl::StrJoin(orders, ",");
}

WeightedChoice::WeightedChoice(std::vector<uint64_t> weights)
    : cumulative_(std::move(weights)) {
  for (size_t i = 1; i < cumulative_.size(); ++i) {
    cumulative_[i] += cumulative_[i - 1];
  }
}

size_t WeightedChoice::Pick(Rng& rng) const {
  const uint64_t dice = rng.Below(cumulative_.back());
  return std::upper_bound(cumulative_.begin(), cumulative_.end(), dice) -
         cumulative_.begin();
}

Op MmapAnonOp(uint32_t pid, uint64_t addr, uint64_t length) {
  Op op;
  MmapAnon* m = op.mutable_mmap_anon();
  m->set_pid(pid);
  m->set_addr(addr);
  m->set_length_bytes(length);
  m->set_prot(PROT_BITS_READ | PROT_BITS_WRITE);
  m->set_flags(MAP_BITS_PRIVATE);
  return op;
}

Op MmapFileOp(uint32_t pid, uint64_t addr, uint64_t length, uint32_t file_id,
              bool shared) {
  Op op;
  MmapFile* m = op.mutable_mmap_file();
  m->set_pid(pid);
  m->set_addr(addr);
  m->set_length_bytes(length);
  m->set_prot(PROT_BITS_READ | PROT_BITS_WRITE);
  m->set_flags(shared ? MAP_BITS_SHARED : MAP_BITS_PRIVATE);
  m->set_file_id(file_id);
  return op;
}

Op TouchOp(uint32_t pid, uint64_t addr, uint64_t length, Access access) {
  Op op;
  Touch* t = op.mutable_touch();
  t->set_pid(pid);
  t->set_addr(addr);
  t->set_length_bytes(length);
  t->set_access(access);
  return op;
}

Op MadviseOp(uint32_t pid, uint64_t addr, uint64_t length, Advice advice) {
  Op op;
  Madvise* m = op.mutable_madvise();
  m->set_pid(pid);
  m->set_addr(addr);
  m->set_length_bytes(length);
  m->set_advice(advice);
  return op;
}

Op MunmapOp(uint32_t pid, uint64_t addr, uint64_t length) {
  Op op;
  Munmap* m = op.mutable_munmap();
  m->set_pid(pid);
  m->set_addr(addr);
  m->set_length_bytes(length);
  return op;
}

Op FileCreateOp(uint32_t file_id, Filesystem fs) {
  Op op;
  FileCreate* c = op.mutable_file_create();
  c->set_file_id(file_id);
  c->set_filesystem(fs);
  if (fs == FILESYSTEM_TMPFS) {
    c->set_huge(TMPFS_HUGE_ALWAYS);
  } else {
    c->set_max_order(9);
  }
  return op;
}

Op FileWriteOp(uint32_t file_id, uint64_t offset, uint64_t length) {
  Op op;
  FileWrite* w = op.mutable_file_write();
  w->set_file_id(file_id);
  w->set_offset_bytes(offset);
  w->set_length_bytes(length);
  return op;
}

Op PunchHoleOp(uint32_t file_id, uint64_t offset, uint64_t length) {
  Op op;
  PunchHole* p = op.mutable_punch_hole();
  p->set_file_id(file_id);
  p->set_offset_bytes(offset);
  p->set_length_bytes(length);
  return op;
}

Op ProcessCreateOp(uint32_t pid) {
  Op op;
  op.mutable_process_create()->set_pid(pid);
  return op;
}

}  // namespace mmreplay::replay::gen
