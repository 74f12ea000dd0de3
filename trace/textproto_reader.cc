#include "trace/textproto_reader.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "trace/well_formed.h"

namespace mmreplay::trace {
namespace {

constexpr size_t kReadChunk = 64 << 10;

// Keeps the first error TextFormat reports.
class FirstError : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (!error_.has_value()) error_ = Error{line, column, message};
  }
  struct Error {
    int line;
    int column;
    std::string message;
  };
  const std::optional<Error>& error() const { return error_; }

 private:
  std::optional<Error> error_;
};

// Where the scan of one entry got to.
enum class Scan { kDone, kNeedMore, kBad };

// Skips whitespace and # comments from *i.
Scan SkipSpace(absl::string_view s, size_t* i) {
  while (*i < s.size()) {
    char c = s[*i];
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      ++*i;
    } else if (c == '#') {
      size_t eol = s.find('\n', *i);
      if (eol == s.npos) return Scan::kNeedMore;
      *i = eol + 1;
    } else {
      return Scan::kDone;
    }
  }
  return Scan::kNeedMore;
}

// Scans one "name [:] { ... }" entry starting at `start` (after space). On
// kDone, *name and *end (one past the closing brace) are set.
Scan ScanEntry(absl::string_view s, size_t start, absl::string_view* name,
               size_t* end, std::string* why) {
  size_t i = start;
  while (
      i < s.size() &&
      (absl::ascii_isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_')) {
    ++i;
  }
  if (i == s.size()) return Scan::kNeedMore;
  *name = s.substr(start, i - start);
  if (name->empty()) {
    *why = absl::StrCat("expected an entry ('header' or 'op'), found '",
                        s.substr(i, 1), "'");
    return Scan::kBad;
  }
  if (Scan r = SkipSpace(s, &i); r != Scan::kDone) return r;
  if (s[i] == ':') {
    ++i;
    if (Scan r = SkipSpace(s, &i); r != Scan::kDone) return r;
  }
  if (s[i] != '{' && s[i] != '<') {
    *why = absl::StrCat("expected '{' after '", *name, "'");
    return Scan::kBad;
  }
  int depth = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '"' || c == '\'') {
      ++i;
      while (i < s.size() && s[i] != c) i += s[i] == '\\' ? 2 : 1;
      if (i >= s.size()) return Scan::kNeedMore;
    } else if (c == '#') {
      size_t eol = s.find('\n', i);
      if (eol == s.npos) return Scan::kNeedMore;
      i = eol;
    } else if (c == '{' || c == '<') {
      ++depth;
    } else if (c == '}' || c == '>') {
      if (--depth == 0) {
        *end = i + 1;
        return Scan::kDone;
      }
    }
    ++i;
  }
  return Scan::kNeedMore;
}

}  // namespace

TextprotoReader::TextprotoReader(std::string path, FILE* file)
    : TraceReader(std::move(path)), file_(file) {}

TextprotoReader::~TextprotoReader() { fclose(file_); }

bool TextprotoReader::More() {
  if (eof_) return false;
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    dropped_ += pos_;
    pos_ = 0;
  }
  size_t old = buf_.size();
  buf_.resize(old + kReadChunk);
  size_t n = fread(buf_.data() + old, 1, kReadChunk, file_);
  buf_.resize(old + n);
  if (n == 0) eof_ = true;
  return n > 0;
}

TextprotoReader::Got TextprotoReader::NextEntry(uint64_t record) {
  absl::string_view name;
  size_t start = 0, end = 0;
  std::string why;
  for (;;) {
    absl::string_view s = buf_;
    size_t i = pos_;
    Scan r = SkipSpace(s, &i);
    bool in_entry = r == Scan::kDone;
    if (in_entry) {
      start = i;
      r = ScanEntry(s, start, &name, &end, &why);
    }
    if (r == Scan::kDone) break;
    if (r == Scan::kBad) {
      line_ += std::count(buf_.begin() + pos_, buf_.begin() + start, '\n');
      Fail(record, dropped_ + start, absl::StrCat("line ", line_, ": ", why));
      return Got::kError;
    }
    if (More()) continue;
    // End of file: fine between entries, an error inside one.
    if (!in_entry) return Got::kEnd;
    line_ += std::count(buf_.begin() + pos_, buf_.begin() + start, '\n');
    Fail(record, dropped_ + start,
         absl::StrCat("line ", line_, ": unterminated entry at end of file"));
    return Got::kError;
  }
  line_ += std::count(buf_.begin() + pos_, buf_.begin() + start, '\n');
  entry_offset_ = dropped_ + start;
  entry_name_ = std::string(name);
  uint64_t entry_line = line_;
  std::string text = buf_.substr(start, end - start);
  line_ += std::count(text.begin(), text.end(), '\n');
  pos_ = end;

  if (entry_name_ != "header" && entry_name_ != "op") {
    Fail(record, entry_offset_,
         absl::StrCat("line ", entry_line, ": unknown entry '", entry_name_,
                      "' (expected 'header' or 'op')"));
    return Got::kError;
  }
  google::protobuf::TextFormat::Parser parser;
  FirstError errors;
  parser.RecordErrorsTo(&errors);
  entry_.Clear();
  if (!parser.ParseFromString(text, &entry_)) {
    std::string what = "syntax error";
    if (errors.error().has_value()) {
      const FirstError::Error& e = *errors.error();
      what = absl::StrCat("line ", entry_line + e.line, " column ",
                          e.column + 1, ": ", e.message);
    }
    Fail(record, entry_offset_, what);
    return Got::kError;
  }
  if (absl::Status s = entry_name_ == "header"
                           ? CheckWellFormed(entry_.header(), "header")
                           : CheckWellFormed(entry_.op(0), "op");
      !s.ok()) {
    Fail(record, entry_offset_, s.message());
    return Got::kError;
  }
  return Got::kEntry;
}

absl::Status TextprotoReader::ReadHeader(uint64_t* byte_offset) {
  switch (NextEntry(0)) {
    case Got::kError:
      return status();
    case Got::kEnd:
      return Fail(0, 0, "empty trace: no header record");
    case Got::kEntry:
      break;
  }
  *byte_offset = entry_offset_;
  if (entry_name_ != "header") {
    return Fail(0, entry_offset_,
                "missing header: the first record must be a header");
  }
  header_ = entry_.header();
  return absl::OkStatus();
}

bool TextprotoReader::ReadOp(TraceOp* op) {
  switch (NextEntry(next_record_)) {
    case Got::kError:
    case Got::kEnd:
      return false;
    case Got::kEntry:
      break;
  }
  if (entry_name_ == "header") {
    Fail(next_record_, entry_offset_, "duplicate header");
    return false;
  }
  const Op& parsed = entry_.op(0);
  const OpSchema& schema = OpSchema::Get();
  const OpKindInfo* info = schema.Find(parsed.kind_case());
  if (info == nullptr) {
    Fail(next_record_, entry_offset_, "op: no op kind is set");
    return false;
  }
  op->kind = parsed.kind_case();
  op->info = info;
  op->record = next_record_++;
  op->byte_offset = entry_offset_;
  op->note = parsed.note();
  if (info->flat) {
    schema.Flatten(parsed, args_.data());
    op->args = args_.data();
    op->rich = nullptr;
  } else {
    op->args = nullptr;
    op->rich = &parsed;
  }
  return true;
}

}  // namespace mmreplay::trace
