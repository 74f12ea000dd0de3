// Writes the malformed .mmt files of tests/bad/ (each with a .err beside it,
// written by hand). Run it only to add or change a case:
//   bazel run //tests/bad:make_bad_mmt
// It writes into $BUILD_WORKSPACE_DIRECTORY/tests/bad and refuses without it.
#include <zstd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/unknown_field_set.h"
#include "proto/trace.pb.h"

namespace mmreplay {
namespace {

std::string Varint(uint64_t v) {
  std::string out;
  google::protobuf::io::StringOutputStream sos(&out);
  google::protobuf::io::CodedOutputStream cos(&sos);
  cos.WriteVarint64(v);
  cos.Trim();
  return out;
}

// A length-delimited record.
std::string Delimited(const Record& r) {
  std::string body = r.SerializeAsString();
  return Varint(body.size()) + body;
}

std::string Compress(const std::string& raw) {
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 3);
  out.resize(n);
  return out;
}

Record HeaderRecord() {
  Record r;
  Header* h = r.mutable_header();
  h->set_format_version(1);
  h->mutable_machine()->set_total_pages(262144);
  return r;
}

// A batch: process_create pid 1, then a munmap of one page.
Record GoodBatch() {
  Record r;
  OpBatch* b = r.mutable_batch();
  b->add_kind(Op::kProcessCreate);
  b->add_arg(1);
  b->add_kind(Op::kMunmap);
  for (uint64_t v : {1ull, 0x7f0000000000ull, 0x1000ull}) b->add_arg(v);
  b->add_schema_kind(Op::kProcessCreate);
  b->add_schema_arity(1);
  b->add_schema_kind(Op::kMunmap);
  b->add_schema_arity(3);
  return r;
}

void Write(const std::string& dir, const std::string& name,
           const std::string& bytes) {
  std::string path = dir + "/" + name;
  FILE* f = fopen(path.c_str(), "wb");
  if (f == nullptr ||
      fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) {
    std::perror(path.c_str());
    std::exit(1);
  }
  fclose(f);
  std::printf("wrote %s (%zu bytes)\n", path.c_str(), bytes.size());
}

}  // namespace
}  // namespace mmreplay

int main() {
  using namespace mmreplay;
  const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  if (ws == nullptr) {
    std::fprintf(stderr, "run me with `bazel run //tests/bad:make_bad_mmt`\n");
    return 1;
  }
  std::string dir = std::string(ws) + "/tests/bad";
  std::string header = Delimited(HeaderRecord());
  std::string good = header + Delimited(GoodBatch());

  Write(dir, "mmt_empty.mmt", "");
  Write(dir, "mmt_not_zstd.mmt", "header { format_version: 1 }\n");
  std::string whole = Compress(good);
  Write(dir, "mmt_truncated_frame.mmt", whole.substr(0, whole.size() - 6));
  Write(dir, "mmt_corrupt_varint.mmt",
        Compress(header + std::string(11, '\xff')));
  Write(dir, "mmt_record_over_cap.mmt",
        Compress(header + Varint(17u << 20) + std::string(16, '\0')));
  Write(dir, "mmt_truncated_record.mmt",
        Compress(header + Varint(100) + std::string(10, '\0')));
  Write(dir, "mmt_missing_header.mmt", Compress(Delimited(GoodBatch())));
  Write(dir, "mmt_duplicate_header.mmt", Compress(good + header));
  {
    Record r = GoodBatch();
    r.mutable_batch()->set_kind(1, 99);
    Write(dir, "mmt_unknown_kind.mmt", Compress(header + Delimited(r)));
  }
  {
    Record r = GoodBatch();
    r.mutable_batch()->mutable_arg()->Truncate(2);
    Write(dir, "mmt_short_arg_column.mmt", Compress(header + Delimited(r)));
  }
  {
    Record r = GoodBatch();
    r.mutable_batch()->set_schema_arity(1, 9);
    Write(dir, "mmt_newer_arity.mmt", Compress(header + Delimited(r)));
  }
  {
    Record r = GoodBatch();
    r.mutable_batch()->set_arg(0, 0);
    Write(dir, "mmt_zero_pid.mmt", Compress(header + Delimited(r)));
  }
  {
    Record r = GoodBatch();
    r.mutable_batch()->set_arg(3, 0);
    Write(dir, "mmt_zero_length.mmt", Compress(header + Delimited(r)));
  }
  {
    // A field this build does not know, in the header (77: a newer
    // mmreplay's).
    Record r = HeaderRecord();
    r.mutable_header()
        ->GetReflection()
        ->MutableUnknownFields(r.mutable_header())
        ->AddVarint(77, 1);
    Write(dir, "mmt_unknown_field.mmt",
          Compress(Delimited(r) + Delimited(GoodBatch())));
  }
  {
    // A note for op 5 of a batch of two.
    Record r = GoodBatch();
    r.mutable_batch()->add_note_index(5);
    r.mutable_batch()->add_note("lost");
    Write(dir, "mmt_bad_note_index.mmt", Compress(header + Delimited(r)));
  }
  {
    // Two zstd frames, the second's magic number broken: the error names
    // the record it is in (2), not the first.
    Record second = GoodBatch();
    second.mutable_batch()->set_arg(0, 2);  // process_create pid 2
    second.mutable_batch()->set_arg(1, 2);  // munmap by pid 2
    std::string broken = Compress(Delimited(second));
    broken[0] = 'X';
    Write(dir, "mmt_corrupt_second_frame.mmt", Compress(good) + broken);
  }
  Write(dir, "mmt_not_a_record.mmt",
        Compress(header + Varint(3) + std::string("\x08\x01\x10", 3)));
  return 0;
}
