#include "replay/summary.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/json_util.h"
#include "mm/errno.h"
#include "mm/scan_result.h"
#include "replay/event_log.h"
#include "trace/counter_names.h"
#include "trace/op_schema.h"

namespace mmreplay::replay {
namespace {

std::string ReasonErr(int reason, int err) {
  std::string out(ReasonName(static_cast<Reason>(reason)));
  if (err != 0) {
    absl::string_view name = mm::ErrnoName(err);
    absl::StrAppend(&out, " ", name.empty() ? absl::StrCat(err) : name);
  }
  return out;
}

void AddCount(google::protobuf::RepeatedPtrField<Count>* out, std::string name,
              uint64_t count) {
  Count* c = out->Add();
  c->set_name(std::move(name));
  c->set_count(count);
}

void AddOrderCount(google::protobuf::RepeatedPtrField<OrderCount>* out,
                   uint32_t order, uint64_t count) {
  OrderCount* c = out->Add();
  c->set_order(order);
  c->set_count(count);
  c->set_bytes(count * (uint64_t{kPageSize} << order));
}

}  // namespace

void SummarySink::Emit(const mm::Event& e) {
  if (next_ != nullptr) next_->Emit(e);
  const uint64_t n = e.repeat();
  events_ += n;
  by_kind_[e.kind()] += n;
  const uint32_t order = e.order();
  switch (e.kind()) {
    case EVENT_FOLIO_ALLOC:
      allocated_[order] += n;
      live_[order] += static_cast<int64_t>(n);
      break;
    case EVENT_FOLIO_FREE:
      live_[order] -= static_cast<int64_t>(n);
      bytes_freed_[e.reason()] += n * (uint64_t{kPageSize} << order);
      break;
    case EVENT_SPLIT: {
      uint64_t pieces = 0;
      for (const mm::Event::OrderRun& r : e.new_orders()) {
        pieces += r.count;
        live_[r.order] += static_cast<int64_t>(r.count * n);
      }
      live_[order] -= static_cast<int64_t>(n);
      auto& [count, made] = splits_[{e.non_uniform(), e.reason(), order}];
      count += n;
      made += pieces * n;
      break;
    }
    case EVENT_SPLIT_FAILED:
      split_failures_[{e.reason(), e.err()}] += n;
      break;
    case EVENT_PMD_SPLIT:
      pmd_splits_ += n;
      break;
    case EVENT_DEFERRED_ADD:
      deferred_adds_ += n;
      deferred_len_ += n;
      deferred_max_ = std::max(deferred_max_, deferred_len_);
      break;
    case EVENT_DEFERRED_REMOVE:
      deferred_removes_ += n;
      deferred_len_ -= std::min(deferred_len_, n);
      break;
    case EVENT_XA_NODE_ALLOC:
      xa_alloc_ += n;
      break;
    case EVENT_XA_NODE_FREE:
      xa_free_ += n;
      break;
    case EVENT_COLLAPSE:
      collapses_[{e.has_scan_result() ? static_cast<int>(e.scan_result()) : 0,
                  e.err()}] += n;
      break;
    case EVENT_COMPACT_END:
      compactions_[e.compact_result()] += n;
      break;
    case EVENT_MIGRATE:
      // The destination, made from pages compaction isolated (no
      // folio_alloc event); the source's folio_free follows.
      migrations_ += n;
      live_[order] += static_cast<int64_t>(n);
      break;
    case EVENT_COMPACT_FREE_LOST:
      // A destination compaction made and could not take back: it stays, a
      // folio held by whoever else took a reference (seed 003).
      live_[order] += static_cast<int64_t>(n);
      break;
    case EVENT_MIGRATE_FAILED:
      migrations_failed_ += n;
      break;
    case EVENT_OP_FAILED:
      ops_failed_[{e.reason(), e.err()}] += n;
      break;
    default:
      break;
  }
}

Summary SummarySink::Finish(absl::string_view profile,
                            const ReplayReport& report,
                            const mm::Counters& counters) const {
  Summary s;
  s.set_profile(std::string(profile));
  s.set_ops(report.ops);
  s.set_events(events_);
  absl::btree_map<std::string, uint64_t> kinds;
  for (uint32_t k = 0; k < report.ops_by_kind.size(); ++k) {
    if (report.ops_by_kind[k] != 0) {
      kinds[trace::OpSchema::Get().Name(k)] = report.ops_by_kind[k];
    }
  }
  for (const auto& [name, count] : kinds) {
    AddCount(s.mutable_ops_by_kind(), name, count);
  }
  absl::btree_map<absl::string_view, uint64_t> events;
  for (int k = 0; k < EventKind_ARRAYSIZE; ++k) {
    if (by_kind_[k] != 0) {
      events[EventKindName(static_cast<EventKind>(k))] = by_kind_[k];
    }
  }
  for (const auto& [name, count] : events) {
    AddCount(s.mutable_events_by_kind(), std::string(name), count);
  }
  for (uint32_t o = 0; o < kOrders; ++o) {
    if (allocated_[o] != 0) {
      AddOrderCount(s.mutable_folios_allocated(), o, allocated_[o]);
    }
  }
  for (const auto& [key, value] : splits_) {
    const auto& [non_uniform, reason, order] = key;
    SplitCount* c = s.add_splits();
    c->set_type(non_uniform ? "non_uniform" : "uniform");
    c->set_reason(std::string(ReasonName(static_cast<Reason>(reason))));
    c->set_order(order);
    c->set_count(value.first);
    c->set_pieces(value.second);
  }
  for (const auto& [key, count] : split_failures_) {
    AddCount(s.mutable_split_failures(), ReasonErr(key.first, key.second),
             count);
  }
  s.set_pmd_splits(pmd_splits_);
  s.mutable_deferred()->set_adds(deferred_adds_);
  s.mutable_deferred()->set_removes(deferred_removes_);
  s.mutable_deferred()->set_max_length(deferred_max_);
  s.set_xa_nodes_allocated(xa_alloc_);
  s.set_xa_nodes_freed(xa_free_);
  for (const auto& [reason, bytes] : bytes_freed_) {
    AddCount(s.mutable_bytes_freed(),
             std::string(ReasonName(static_cast<Reason>(reason))), bytes);
  }
  for (uint32_t o = 0; o < kOrders; ++o) {
    if (live_[o] > 0) {
      AddOrderCount(s.mutable_folios_at_end(), o,
                    static_cast<uint64_t>(live_[o]));
    }
  }
  for (const auto& [key, count] : collapses_) {
    std::string name =
        key.first != 0    ? std::string(mm::ScanResultName(
                                static_cast<mm::ScanResult>(key.first)))
        : key.second != 0 ? absl::StrCat("failed ", mm::ErrnoName(key.second))
                          : "collapsed";
    AddCount(s.mutable_collapses(), std::move(name), count);
  }
  for (const auto& [result, count] : compactions_) {
    AddCount(s.mutable_compactions(),
             std::string(CompactResultName(static_cast<CompactResult>(result))),
             count);
  }
  s.set_migrations(migrations_);
  s.set_migrations_failed(migrations_failed_);
  for (const auto& [key, count] : ops_failed_) {
    AddCount(s.mutable_ops_failed(), ReasonErr(key.first, key.second), count);
  }
  for (int i = 0; i < static_cast<int>(mm::VmEvent::kCount); ++i) {
    auto ev = static_cast<mm::VmEvent>(i);
    if (counters.Get(ev) == 0) continue;
    KernelCounter* c = s.add_counters();
    c->set_name(std::string(trace::VmEventName(ev)));
    c->set_value(counters.Get(ev));
  }
  for (int i = 0; i < static_cast<int>(mm::MthpStat::kCount); ++i) {
    auto st = static_cast<mm::MthpStat>(i);
    for (uint32_t o = mm::kMinMthpOrder; o <= kPmdOrder; ++o) {
      if (counters.Get(st, o) == 0) continue;
      KernelCounter* c = s.add_counters();
      c->set_name(std::string(trace::MthpStatName(st)));
      c->set_order(o);
      c->set_value(counters.Get(st, o));
    }
  }
  return s;
}

std::string SummaryTable(const Summary& s) {
  std::string out = absl::StrFormat("profile %s: %d ops, %d events\n",
                                    s.profile(), s.ops(), s.events());
  auto section = [&out](absl::string_view title) {
    absl::StrAppend(&out, "\n", title, "\n");
  };
  auto row = [&out](absl::string_view name, uint64_t value) {
    absl::StrAppend(&out, absl::StrFormat("  %-36s %14d\n", name, value));
  };
  auto counts = [&](absl::string_view title,
                    const google::protobuf::RepeatedPtrField<Count>& list) {
    if (list.empty()) return;
    section(title);
    for (const Count& c : list) row(c.name(), c.count());
  };
  auto orders =
      [&](absl::string_view title,
          const google::protobuf::RepeatedPtrField<OrderCount>& list) {
        if (list.empty()) return;
        section(title);
        absl::StrAppend(&out, absl::StrFormat("  %-8s %14s %14s\n", "order",
                                              "folios", "bytes"));
        for (const OrderCount& c : list) {
          absl::StrAppend(&out, absl::StrFormat("  %-8d %14d %14d\n", c.order(),
                                                c.count(), c.bytes()));
        }
      };
  counts("ops by kind", s.ops_by_kind());
  counts("events by kind", s.events_by_kind());
  orders("folios allocated", s.folios_allocated());
  orders("folios at the end", s.folios_at_end());
  if (!s.splits().empty()) {
    section("splits");
    absl::StrAppend(
        &out, absl::StrFormat("  %-12s %-16s %5s %10s %10s\n", "type", "reason",
                              "order", "splits", "pieces"));
    for (const SplitCount& c : s.splits()) {
      absl::StrAppend(
          &out, absl::StrFormat("  %-12s %-16s %5d %10d %10d\n", c.type(),
                                c.reason(), c.order(), c.count(), c.pieces()));
    }
  }
  counts("failed splits", s.split_failures());
  section("mappings and queues");
  row("pmd splits", s.pmd_splits());
  row("deferred queue adds", s.deferred().adds());
  row("deferred queue removes", s.deferred().removes());
  row("deferred queue max length", s.deferred().max_length());
  row("xarray nodes allocated", s.xa_nodes_allocated());
  row("xarray nodes freed", s.xa_nodes_freed());
  counts("bytes freed, by reason", s.bytes_freed());
  counts("collapses", s.collapses());
  counts("compaction runs", s.compactions());
  if (s.migrations() != 0 || s.migrations_failed() != 0) {
    section("migrations");
    row("migrated", s.migrations());
    row("failed", s.migrations_failed());
  }
  counts("ops failed", s.ops_failed());
  if (!s.counters().empty()) {
    section("kernel counters");
    for (const KernelCounter& c : s.counters()) {
      absl::StrAppend(
          &out, absl::StrFormat("  %-36s %14d\n",
                                c.order() == 0 ? c.name()
                                               : absl::StrCat(c.name(), "[",
                                                              c.order(), "]"),
                                c.value()));
    }
  }
  return out;
}

absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  options.add_whitespace = true;
  auto status =
      google::protobuf::util::MessageToJsonString(message, &out, options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat(message.GetDescriptor()->name(),
                                            " as JSON: ", status.ToString()));
  }
  return out;
}

}  // namespace mmreplay::replay
