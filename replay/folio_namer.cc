#include "replay/folio_namer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/check.h"
#include "base/page_geometry.h"
#include "replay/event_log.h"
#include "replay/log_line.h"

namespace mmreplay::replay {

std::string FolioNameText(const FolioName& name) {
  if (name.offset == 0) return absl::StrCat("@", name.op, ".", name.n);
  return absl::StrCat("@", name.op, ".", name.n, "+", name.offset);
}

FolioNamer::Fields FolioNamer::FieldsOf(const mm::Event& e) {
  Fields f;
  f.op = e.op_index();
  f.kind = e.kind();
  f.has_pfn = e.has_pfn();
  f.pfn = e.pfn();
  f.has_order = e.has_order();
  f.order = e.order();
  f.new_orders = e.new_orders();
  f.has_dst = e.has_dst_pfn();
  f.dst = e.dst_pfn();
  f.has_parent = e.has_parent_pfn();
  f.parent = e.parent_pfn();
  return f;
}

FolioNamer::Fields FolioNamer::FieldsOfLine(
    uint64_t op, absl::string_view line,
    std::vector<mm::Event::OrderRun>* runs) {
  Fields f;
  f.op = op;
  const absl::string_view kind = KindOf(line);
  for (EventKind k :
       {EVENT_FOLIO_ALLOC, EVENT_FOLIO_FREE, EVENT_SPLIT, EVENT_MIGRATE,
        EVENT_SPLIT_PIECE, EVENT_COMPACT_BEGIN, EVENT_COMPACT_END}) {
    if (kind == EventKindName(k)) f.kind = k;
  }
  f.has_pfn = HexField(line, " pfn=", &f.pfn);
  f.has_dst = HexField(line, " dst=", &f.dst);
  f.has_parent = HexField(line, " parent=", &f.parent);
  size_t begin, end;
  f.has_order = FindField(line, " order=", &begin, &end) &&
                absl::SimpleAtoi(line.substr(begin, end - begin), &f.order);
  runs->clear();
  if (f.kind == EVENT_SPLIT && FindField(line, " orders=", &begin, &end)) {
    for (absl::string_view run :
         absl::StrSplit(line.substr(begin, end - begin), ',')) {
      std::pair<absl::string_view, absl::string_view> oc =
          absl::StrSplit(run, absl::MaxSplits('*', 1));
      mm::Event::OrderRun r{0, 1};
      if (!absl::SimpleAtoi(oc.first, &r.order) ||
          (!oc.second.empty() && !absl::SimpleAtoi(oc.second, &r.count))) {
        break;
      }
      runs->push_back(r);
    }
  }
  f.new_orders = *runs;
  return f;
}

FolioNamer::Names FolioNamer::Name(const Fields& e) {
  if (e.op != op_) {
    op_ = e.op;
    allocated_ = 0;
  }
  // A compaction zone's first PFN is no folio's.
  if (e.kind == EVENT_COMPACT_BEGIN || e.kind == EVENT_COMPACT_END ||
      !e.has_pfn) {
    return {};
  }
  if (e.kind == EVENT_FOLIO_ALLOC) names_.Set(e.pfn, {e.op, ++allocated_, 0});
  Names names;
  names.pfn = names_.Find(e.pfn);
  if (!names.pfn.named()) return {};
  switch (e.kind) {
    case EVENT_SPLIT:
      Split(e, names.pfn);
      break;
    case EVENT_FOLIO_FREE:
      names_.Erase(e.pfn);
      break;
    case EVENT_MIGRATE:
      // A folio moved whole keeps its name at its new PFN; dst= names
      // where it went as that block was named (a compaction target
      // allocated in the log), or as a new allocation.
      if (e.has_dst) {
        names.dst = names_.Find(e.dst);
        if (!names.dst.named()) names.dst = {op_, ++allocated_, 0};
        names_.Set(e.dst, names.pfn);
      }
      break;
    case EVENT_SPLIT_PIECE:
      if (e.has_parent) names.parent = names_.Find(e.parent);
      break;
    default:
      break;
  }
  return names;
}

void FolioNamer::NameRun(const Fields& first, uint32_t n, Names* names) {
  // The kinds whose events name nothing and read no name but their own
  // (a free unsets it), so that a run's are read (and unset) at once.
  const bool own_name_only =
      first.has_pfn &&
      (first.kind != EVENT_FOLIO_ALLOC && first.kind != EVENT_SPLIT &&
       first.kind != EVENT_MIGRATE && first.kind != EVENT_COMPACT_BEGIN &&
       first.kind != EVENT_COMPACT_END);
  if (!own_name_only || n == 0) {
    Fields e = first;
    for (uint32_t i = 0; i < n; ++i) {
      e.pfn = first.pfn + i;
      const Names got = Name(e);
      if (names != nullptr) names[i] = got;
    }
    return;
  }
  if (first.op != op_) {
    op_ = first.op;
    allocated_ = 0;
  }
  if (names == nullptr) {
    if (first.kind == EVENT_FOLIO_FREE) {
      names_.FindRange(first.pfn, n, /*erase=*/true, nullptr);
    }
    return;
  }
  found_.resize(n);
  names_.FindRange(first.pfn, n, first.kind == EVENT_FOLIO_FREE, found_.data());
  FolioName parent;
  if (first.kind == EVENT_SPLIT_PIECE && first.has_parent) {
    parent = names_.Find(first.parent);
  }
  for (uint32_t i = 0; i < n; ++i) {
    names[i] = {};
    if (!found_[i].named()) continue;
    names[i].pfn = found_[i];
    names[i].parent = parent;
  }
}

// The pieces of a split are named after their parent. They cover the
// parent's 2^order pages and no more, and no folio is larger than
// MAX_PAGE_ORDER: an event that claims otherwise (a damaged log) names
// nothing past that, so its cost is bounded.
void FolioNamer::Split(const Fields& e, const FolioName& id) {
  if (!e.has_order || e.order > kMaxPageOrder) return;
  const uint64_t pages = uint64_t{1} << e.order;
  uint64_t offset = 0;
  for (const mm::Event::OrderRun& run : e.new_orders) {
    if (run.order > e.order) return;
    for (uint32_t i = 0; i < run.count && offset < pages; ++i) {
      if (offset != 0) {
        names_.Set(e.pfn + offset,
                   {id.op, id.n, id.offset + static_cast<uint32_t>(offset)});
      }
      offset += uint64_t{1} << run.order;
    }
  }
}

void FolioNamer::Apply(const Names& names, std::string* line) {
  // From the last field to the first, so that each one's place stays
  // where it was found.
  for (const auto& [key, name] :
       {std::pair<absl::string_view, const FolioName*>{" parent=",
                                                       &names.parent},
        {" dst=", &names.dst},
        {" pfn=", &names.pfn}}) {
    size_t begin, end;
    if (name->named() && FindField(*line, key, &begin, &end)) {
      line->replace(begin, end - begin, FolioNameText(*name));
    }
  }
}

std::unique_ptr<FolioNamer::Table::Block>* FolioNamer::Table::SlotOf(
    uint64_t pfn, bool create) {
  DCHECK(pfn < kDirectPfns);
  const uint64_t key = pfn >> kShift;
  if (key >= direct_.size()) {
    if (!create) return nullptr;
    direct_.resize(key + 1);
  }
  std::unique_ptr<Block>* slot = &direct_[key];
  if (*slot == nullptr) {
    if (!create) return nullptr;
    if (spare_.empty()) {
      *slot = std::make_unique<Block>();
    } else {
      *slot = std::move(spare_.back());
      spare_.pop_back();
    }
  }
  return slot;
}

FolioName FolioNamer::Table::Find(uint64_t pfn) {
  if (pfn >= kDirectPfns) {
    auto it = far_.find(pfn);
    return it == far_.end() ? FolioName() : it->second;
  }
  std::unique_ptr<Block>* slot = SlotOf(pfn, /*create=*/false);
  if (slot == nullptr) return {};
  return (*slot)->names[pfn & (kBlockPfns - 1)];
}

void FolioNamer::Table::Set(uint64_t pfn, const FolioName& name) {
  // An op's 2^32-th allocation is named 0: no name.
  if (!name.named()) return Erase(pfn);
  if (pfn >= kDirectPfns) {
    far_[pfn] = name;
    return;
  }
  Block& block = **SlotOf(pfn, /*create=*/true);
  FolioName& named = block.names[pfn & (kBlockPfns - 1)];
  if (!named.named()) ++block.live;
  named = name;
}

void FolioNamer::Table::Erase(uint64_t pfn) {
  if (pfn >= kDirectPfns) {
    far_.erase(pfn);
    return;
  }
  std::unique_ptr<Block>* slot = SlotOf(pfn, /*create=*/false);
  if (slot == nullptr) return;
  FolioName& named = (*slot)->names[pfn & (kBlockPfns - 1)];
  if (!named.named()) return;
  named = {};
  if (--(*slot)->live == 0) Release(slot);
}

FolioNamer::Table::Table(const Table& other)
    : direct_(other.direct_.size()), far_(other.far_) {
  for (size_t i = 0; i < direct_.size(); ++i) {
    if (other.direct_[i] != nullptr) {
      direct_[i] = std::make_unique<Block>(*other.direct_[i]);
    }
  }
}

size_t FolioNamer::Table::blocks() const {
  size_t n = far_.size();
  for (const std::unique_ptr<Block>& block : direct_) n += block != nullptr;
  return n;
}

void FolioNamer::Table::Release(std::unique_ptr<Block>* slot) {
  // Every name in it is unset: it is kept as a new block would be.
  spare_.push_back(std::move(*slot));
}

void FolioNamer::Table::FindRange(uint64_t pfn, uint32_t n, bool erase,
                                  FolioName* names) {
  while (n > 0) {
    if (pfn >= kDirectPfns) {  // one at a time
      const FolioName name = Find(pfn);
      if (erase) Erase(pfn);
      if (names != nullptr) *names++ = name;
      ++pfn;
      --n;
      continue;
    }
    const uint32_t at = static_cast<uint32_t>(pfn & (kBlockPfns - 1));
    const uint32_t len = std::min<uint32_t>(n, kBlockPfns - at);
    std::unique_ptr<Block>* slot = SlotOf(pfn, /*create=*/false);
    if (slot == nullptr) {
      if (names != nullptr) std::fill(names, names + len, FolioName());
    } else {
      Block& block = **slot;
      if (names != nullptr) {
        std::copy(&block.names[at], &block.names[at] + len, names);
      }
      if (erase) {
        uint32_t named = 0;
        for (uint32_t i = 0; i < len; ++i) {
          named += block.names[at + i].named() ? 1 : 0;
          block.names[at + i] = {};
        }
        block.live -= named;
        if (named > 0 && block.live == 0) Release(slot);
      }
    }
    pfn += len;
    if (names != nullptr) names += len;
    n -= len;
  }
}

}  // namespace mmreplay::replay
