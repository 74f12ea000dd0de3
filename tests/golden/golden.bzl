"""golden_tests(): one test target per golden trace.

Each traces/golden/<name>.textproto becomes the test //traces/golden:<name>,
which replays it (twice, for determinism) and compares the event log with
<name>.golden. One target per trace lets `bazel test` run them in parallel
here or on a remote executor.
"""

def golden_tests(traces):
    for trace in traces:
        name = trace[:-len(".textproto")]
        golden = name + ".golden"
        native.sh_test(
            name = name,
            size = "small",
            srcs = ["//tests/golden:run_golden.sh"],
            args = [
                "$(location //tests/golden:golden_runner)",
                "$(location %s)" % trace,
                "$(location %s)" % golden,
            ],
            data = [
                "//tests/golden:golden_runner",
                trace,
                golden,
            ],
        )
