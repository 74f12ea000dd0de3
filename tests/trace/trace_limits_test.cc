// The live-object limits of the trace validator (docs/model.md, "Limits"),
// each at its boundary: the last object the limit allows, the first it
// refuses, and room again once one has ended.
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/substitute.h"
#include "gtest/gtest.h"
#include "trace/trace_reader.h"

namespace mmreplay::trace {
namespace {

constexpr char kHeader[] =
    "header { format_version: 1 machine { total_pages: 262144 } }\n";

// Reads a textproto trace of kHeader then `ops`; the reader checks each op.
absl::Status ReadAll(const std::string& ops) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path =
      absl::StrCat(dir ? dir : "/tmp", "/limits.textproto");
  std::ofstream(path) << kHeader << ops;
  absl::StatusOr<std::unique_ptr<TraceReader>> r = TraceReader::Open(path);
  if (!r.ok()) return r.status();
  while ((*r)->Next() != nullptr) {
  }
  return (*r)->status();
}

std::string Repeat(int from, int to, const char* format) {
  std::string out;
  for (int i = from; i <= to; ++i) {
    absl::StrAppend(&out, absl::Substitute(format, i), "\n");
  }
  return out;
}

TEST(TraceLimitsTest, Processes) {
  const std::string all = Repeat(1, 32768, "op { process_create { pid: $0 } }");
  EXPECT_TRUE(ReadAll(all).ok());
  absl::Status one_more =
      ReadAll(all + "op { process_create { pid: 40000 } }\n");
  EXPECT_NE(one_more.message().find("record 32769 (byte "), std::string::npos)
      << one_more;
  EXPECT_NE(one_more.message().find(
                "process_create.pid: a process "
                "beyond the 32768 alive at once that the model allows "
                "(PID_MAX_DEFAULT)"),
            std::string::npos)
      << one_more;
  // A fork counts too; an exit makes room.
  EXPECT_FALSE(
      ReadAll(all + "op { process_fork { parent_pid: 1 child_pid: 40000 } }\n")
          .ok());
  EXPECT_TRUE(ReadAll(all +
                      "op { process_exit { pid: 7 } }\n"
                      "op { process_fork { parent_pid: 1 child_pid: 7 } }\n")
                  .ok());
}

TEST(TraceLimitsTest, Pins) {
  const std::string setup =
      "op { process_create { pid: 1 } }\n"
      "op { mmap_anon { pid: 1 addr: 0x100000000000 length_bytes: 0x1000 "
      "prot: 3 flags: 2 } }\n";
  const std::string all = setup + Repeat(1, 1024,
                                         "op { pin { pin_id: $0 pid: 1 addr: "
                                         "0x100000000000 length_bytes: 0x1000 "
                                         "kind: PIN_KIND_FOLL_GET } }");
  EXPECT_TRUE(ReadAll(all).ok());
  const std::string next =
      "op { pin { pin_id: 2000 pid: 1 addr: 0x100000000000 length_bytes: "
      "0x1000 kind: PIN_KIND_FOLL_GET } }\n";
  absl::Status one_more = ReadAll(all + next);
  EXPECT_NE(one_more.message().find("pin.pin_id: a pin beyond the 1024 alive "
                                    "at once that the model allows "
                                    "(RLIMIT_NOFILE)"),
            std::string::npos)
      << one_more;
  EXPECT_TRUE(ReadAll(all + "op { unpin { pin_id: 5 } }\n" + next).ok());
}

TEST(TraceLimitsTest, PinLength) {
  const std::string setup =
      "op { process_create { pid: 1 } }\n"
      "op { mmap_anon { pid: 1 addr: 0x100000000000 length_bytes: 0x80000000 "
      "prot: 3 flags: 2 } }\n";
  EXPECT_TRUE(ReadAll(setup +
                      "op { pin { pin_id: 1 pid: 1 addr: 0x100000000000 "
                      "length_bytes: 0x40000000 kind: PIN_KIND_FOLL_PIN } }\n")
                  .ok());
  absl::Status longer =
      ReadAll(setup +
              "op { pin { pin_id: 1 pid: 1 addr: 0x100000000000 "
              "length_bytes: 0x40001000 kind: PIN_KIND_FOLL_PIN } }\n");
  EXPECT_NE(longer.message().find(
                "pin.length_bytes: a pin of more than 1 GiB (io_uring's "
                "limit on one registered buffer, SZ_1G)"),
            std::string::npos)
      << longer;
}

TEST(TraceLimitsTest, Files) {
  const std::string all = Repeat(
      1, 65536,
      "op { file_create { file_id: $0 filesystem: FILESYSTEM_TMPFS huge: "
      "TMPFS_HUGE_NEVER } }");
  EXPECT_TRUE(ReadAll(all).ok());
  absl::Status one_more =
      ReadAll(all +
              "op { file_create { file_id: 70000 filesystem: "
              "FILESYSTEM_TMPFS huge: TMPFS_HUGE_NEVER } }\n");
  EXPECT_NE(one_more.message().find("file_create.file_id: a file beyond the "
                                    "65536 alive at once that the model "
                                    "allows (the model's limit)"),
            std::string::npos)
      << one_more;
}

}  // namespace
}  // namespace mmreplay::trace
