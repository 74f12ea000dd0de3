// A trace (.textproto) replayed with every model invariant checked after
// every op (--verify): a trace the reader accepts must replay to the end
// or stop with one error line, never crash or break an invariant silently.
//
// The model bounds its work by the machine (docs/model.md, "Limits"), but
// one input per second is no fuzzing: inputs whose ranges would make the
// replay take more than milliseconds with --verify are passed over: lengths
// above 64 MiB, file offsets and sizes above 1 GiB, machines above 4 GiB.
// (--verify walks the whole state after every op.)
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "mm/event_sink.h"
#include "replay/driver.h"
#include "tests/fuzz/fuzz_target.h"
#include "trace/op_schema.h"
#include "trace/trace_reader.h"

namespace {

using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;

class NullSink : public mmreplay::mm::EventSink {
 public:
  void Emit(const mmreplay::mm::Event&) override {}
};

bool Small(const Message& m) {
  const auto* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->is_repeated()) continue;
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (r->HasField(m, f) && !Small(r->GetMessage(m, f))) return false;
      continue;
    }
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_UINT64) continue;
    const uint64_t v = r->GetUInt64(m, f);
    if (absl::EndsWith(f->name(), "length_bytes") && v > (64u << 20)) {
      return false;
    }
    if ((absl::EndsWith(f->name(), "offset_bytes") ||
         absl::EndsWith(f->name(), "size_bytes") ||
         f->name() == "page_index") &&
        v > (1u << 30)) {
      return false;
    }
  }
  return true;
}

// Whether every op of the trace at `path` is small (and the trace reads).
bool SmallTrace(const std::string& path) {
  auto reader = mmreplay::trace::TraceReader::Open(path);
  if (!reader.ok()) return false;
  if ((*reader)->header().machine().total_pages() > (1u << 20)) return false;
  while (const mmreplay::trace::TraceOp* op = (*reader)->Next()) {
    mmreplay::Op msg;
    if (op->rich != nullptr) {
      msg = *op->rich;
    } else {
      mmreplay::trace::OpSchema::Get().Unflatten(op->kind, op->args, &msg);
    }
    if (!Small(msg)) return false;
  }
  return (*reader)->status().ok();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = mmreplay::fuzz::WriteInput(data, size, ".textproto");
  if (!SmallTrace(path)) return 0;
  auto reader = mmreplay::trace::TraceReader::Open(path);
  if (!reader.ok()) abort();  // it read a moment ago
  mmreplay::replay::ReplayOptions options;
  options.verify = true;
  options.check = true;
  NullSink sink;
  mmreplay::replay::ReplayReport report;
  absl::Status s = mmreplay::replay::Replay(**reader, options, &sink, &report);
  // A broken invariant is a model bug: Verify() says which.
  if (s.code() == absl::StatusCode::kInternal) {
    fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    abort();
  }
  if (absl::StrContains(s.message(), "\n")) abort();
  return 0;
}
