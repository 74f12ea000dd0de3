// replay --summary: for every golden trace, the summary's counts agree with
// counts taken independently from the golden log's text (one line per
// event), and the folios it says are live at the end are the model's.
#include "replay/summary.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "replay/driver.h"
#include "trace/trace_reader.h"

namespace mmreplay::replay {
namespace {

// The value of `key=` on a log line, or "".
std::string Field(const std::string& line, const std::string& key) {
  for (absl::string_view f : absl::StrSplit(line, ' ')) {
    if (absl::StartsWith(f, key + "=")) {
      return std::string(f.substr(key.size() + 1));
    }
  }
  return "";
}

uint64_t Num(const std::string& s) {
  uint64_t v = 0;
  EXPECT_TRUE(absl::SimpleAtoi(s, &v)) << s;
  return v;
}

// What the summary should say, counted from the log's lines.
struct FromLog {
  std::map<uint32_t, uint64_t> allocated;
  std::map<std::string, std::pair<uint64_t, uint64_t>> splits;  // key: text
  uint64_t pmd_splits = 0, adds = 0, removes = 0, xa_alloc = 0, xa_free = 0;
  std::map<std::string, uint64_t> bytes_freed;
  std::map<std::string, uint64_t> kinds;
  uint64_t events = 0;
};

FromLog CountLog(const std::string& golden) {
  FromLog c;
  std::ifstream in(golden);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    ++c.events;
    std::vector<std::string> w = absl::StrSplit(line, ' ');
    const std::string& kind = w[1];
    ++c.kinds[kind];
    const std::string order_text = Field(line, "order");
    const uint32_t order =
        order_text.empty() ? 0 : static_cast<uint32_t>(Num(order_text));
    if (kind == "folio_alloc") ++c.allocated[order];
    if (kind == "folio_free") {
      c.bytes_freed[Field(line, "reason")] += uint64_t{4096} << order;
    }
    if (kind == "split") {
      uint64_t pieces = 0;
      for (absl::string_view run : absl::StrSplit(Field(line, "orders"), ',')) {
        std::vector<std::string> oc = absl::StrSplit(run, '*');
        pieces += oc.size() == 2 ? Num(oc[1]) : 1;
      }
      auto& [n, p] = c.splits[absl::StrCat(Field(line, "type"), " ",
                                           Field(line, "reason"), " ", order)];
      ++n;
      p += pieces;
    }
    if (kind == "pmd_split") ++c.pmd_splits;
    if (kind == "deferred_add") ++c.adds;
    if (kind == "deferred_remove") ++c.removes;
    if (kind == "xa_node_alloc") ++c.xa_alloc;
    if (kind == "xa_node_free") ++c.xa_free;
  }
  return c;
}

TEST(SummaryTest, AgreesWithTheGoldenLogs) {
  std::vector<std::string> traces =
      absl::StrSplit(std::getenv("TRACES"), ' ', absl::SkipEmpty());
  ASSERT_GT(traces.size(), 10u);
  for (const std::string& trace : traces) {
    SCOPED_TRACE(trace);
    const std::string golden =
        trace.substr(0, trace.size() - std::string(".textproto").size()) +
        ".golden";
    FromLog want = CountLog(golden);
    auto reader = trace::TraceReader::Open(trace);
    ASSERT_TRUE(reader.ok()) << reader.status();
    SummarySink sink(nullptr);
    ReplayReport report;
    mm::Model::MemoryUse memory;
    mm::Counters counters;
    ASSERT_TRUE(
        Replay(**reader, ReplayOptions(), &sink, &report, &memory, &counters)
            .ok());
    Summary s = sink.Finish("p", report, counters);
    EXPECT_EQ(s.events(), want.events);
    std::map<std::string, uint64_t> kinds;
    for (const mmreplay::Count& c : s.events_by_kind()) {
      EXPECT_TRUE(kinds.emplace(c.name(), c.count()).second) << c.name();
    }
    EXPECT_EQ(kinds, want.kinds);
    std::map<uint32_t, uint64_t> allocated;
    for (const OrderCount& c : s.folios_allocated()) {
      allocated[c.order()] = c.count();
      EXPECT_EQ(c.bytes(), c.count() * (uint64_t{4096} << c.order()));
    }
    EXPECT_EQ(allocated, want.allocated);
    std::map<std::string, std::pair<uint64_t, uint64_t>> splits;
    for (const SplitCount& c : s.splits()) {
      splits[absl::StrCat(c.type(), " ", c.reason(), " ", c.order())] = {
          c.count(), c.pieces()};
    }
    EXPECT_EQ(splits, want.splits);
    EXPECT_EQ(s.pmd_splits(), want.pmd_splits);
    EXPECT_EQ(s.deferred().adds(), want.adds);
    EXPECT_EQ(s.deferred().removes(), want.removes);
    EXPECT_LE(s.deferred().max_length(), want.adds);
    EXPECT_EQ(s.xa_nodes_allocated(), want.xa_alloc);
    EXPECT_EQ(s.xa_nodes_freed(), want.xa_free);
    std::map<std::string, uint64_t> freed;
    for (const mmreplay::Count& c : s.bytes_freed())
      freed[c.name()] = c.count();
    EXPECT_EQ(freed, want.bytes_freed);
    uint64_t live = 0;
    for (const OrderCount& c : s.folios_at_end()) live += c.count();
    EXPECT_EQ(live, memory.live_folios);
    uint64_t ops = 0;
    for (const mmreplay::Count& c : s.ops_by_kind()) ops += c.count();
    EXPECT_EQ(ops, s.ops());
  }
}

}  // namespace
}  // namespace mmreplay::replay
