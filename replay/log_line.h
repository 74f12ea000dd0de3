// Reading the fields of one line of the text log (docs/event-log.md):
// "<op> <kind> key=value ...". For the tools that work on the text
// (diff, log grep), which never parse a line whole.
#ifndef MMREPLAY_REPLAY_LOG_LINE_H_
#define MMREPLAY_REPLAY_LOG_LINE_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace mmreplay::replay {

// The event kind of an event line ("split" of "18 split pfn=0x0 ...").
absl::string_view KindOf(absl::string_view line);

// Where the value after `key` (" pfn=", with its leading space) starts on
// `line`, and where it ends; false if the line has no such field.
bool FindField(absl::string_view line, absl::string_view key, size_t* begin,
               size_t* end);

// FindField() for a hex value ("0x200"), read into *value.
bool FindHexField(absl::string_view line, absl::string_view key, size_t* begin,
                  size_t* end, uint64_t* value);

// The value of a hex field, or false.
bool HexField(absl::string_view line, absl::string_view key, uint64_t* value);

}  // namespace mmreplay::replay

#endif  // MMREPLAY_REPLAY_LOG_LINE_H_
