// A small harness for model tests: a Model over 64 MiB with a recording
// event sink, and helpers that return short strings (layouts, event kinds).
#ifndef MMREPLAY_TESTS_MM_MODEL_HARNESS_H_
#define MMREPLAY_TESTS_MM_MODEL_HARNESS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "mm/model.h"
#include "replay/event_log.h"
#include "trace/layout_notation.h"

namespace mmreplay::mm {

class RecordingSink : public EventSink {
 public:
  void Emit(const Event& e) override {
    for (uint32_t i = 0; i < e.repeat(); ++i) events.push_back(e.Nth(i));
  }
  // "kind kind ..." of the events recorded since the last call.
  std::string TakeKinds() {
    std::vector<std::string> kinds;
    for (const Event& e : events) {
      kinds.push_back(std::string(replay::EventKindName(e.kind())));
    }
    events.clear();
    return absl::StrJoin(kinds, " ");
  }
  std::vector<Event> events;
};

inline constexpr uint64_t kBase = 0x200000000000;
inline constexpr uint64_t kThp = kPmdSize;

class ModelTest : public ::testing::Test {
 protected:
  // A machine of `pages` 4 KiB pages, profile `profile`, default knobs.
  void Start(const std::string& profile = "linux-6.18",
             uint64_t pages = 16384) {
    Start(*ProfileByName(profile), pages);
  }
  // The same with a profile of the test's own (one switch changed).
  void Start(const Profile& profile, uint64_t pages = 16384) {
    Machine machine;
    machine.total_pages = pages;
    model_ = std::make_unique<Model>(machine, profile, knobs_, &sink_);
    ASSERT_TRUE(model_->ProcessCreate(1).ok());
  }
  void SetKnob(Knob knob, uint32_t order, KnobValue value,
               uint32_t number = 0) {
    KnobWrite s{knob, order, value, number};
    if (model_) {
      model_->SetKnob(s);
    } else {
      knobs_.Set(s);
    }
  }
  // mmap + MADV_HUGEPAGE + write faults of `thps` 2 MiB blocks at kBase.
  void FaultThps(int thps) {
    uint64_t len = thps * kThp;
    ASSERT_TRUE(model_->MmapAnon(1, kBase, len, 3, 2).ok());
    ASSERT_TRUE(model_->Madvise(1, kBase, len, ADVICE_HUGEPAGE).ok());
    ASSERT_TRUE(model_->Touch(1, kBase, len, ACCESS_WRITE).ok());
  }
  std::string Layout(uint64_t addr, uint64_t len) {
    uint64_t pmd;
    absl::StatusOr<trace::Layout> l = model_->RangeLayout(1, addr, len, &pmd);
    if (!l.ok()) return std::string(l.status().message());
    return RenderLayout(*l);
  }
  // The page-cache layout of the first `len` bytes of file `file`.
  std::string FileLayout(uint64_t len, uint32_t file = 1) {
    absl::StatusOr<trace::Layout> l = model_->FileLayout(file, 0, len);
    if (!l.ok()) return std::string(l.status().message());
    return RenderLayout(*l);
  }
  uint64_t PmdMapped(uint64_t addr, uint64_t len) {
    uint64_t pmd = 0;
    (void)model_->RangeLayout(1, addr, len, &pmd);
    return pmd;
  }
  int64_t Count(VmEvent e) { return model_->counters().Get(e); }
  int64_t Count(MthpStat s, uint32_t order) {
    return model_->counters().Get(s, order);
  }
  void Verify() {
    absl::Status s = model_->Verify();
    EXPECT_TRUE(s.ok()) << s;
  }

  Knobs knobs_;
  RecordingSink sink_;
  std::unique_ptr<Model> model_;
};

}  // namespace mmreplay::mm

#endif  // MMREPLAY_TESTS_MM_MODEL_HARNESS_H_
