// The main() of the tests that check each trace given on the command line
// (their BUILD targets pass `$(locations ...)` of the trace filegroups).
#ifndef MMREPLAY_TESTS_REPLAY_EACH_TRACE_MAIN_H_
#define MMREPLAY_TESTS_REPLAY_EACH_TRACE_MAIN_H_

#include <string>

namespace mmreplay::replay {

// What is wrong with `trace`, or "" if nothing is; `dir` is for the files
// the check writes.
using TraceCheck = std::string (*)(const std::string& trace,
                                   const std::string& dir);

// Runs `check` on every argument, prints a FAIL line per trace that fails
// and a count, and returns the exit status: 0 when there were traces and
// none failed. The files go to $TEST_TMPDIR (or /tmp).
int CheckEachTrace(int argc, char** argv, TraceCheck check);

}  // namespace mmreplay::replay

#endif  // MMREPLAY_TESTS_REPLAY_EACH_TRACE_MAIN_H_
