"""captured_tests(): one conformance test per captured trace.

Each traces/captured/<name>.textproto becomes //traces/captured:<name>, which
replays it with --check (tests/conformance/run_captured.sh); KNOWN_GAPS lists
the traces expected to fail, each with its reason.
"""

def captured_tests(traces, known_gaps):
    for trace in traces:
        name = trace[:-len(".textproto")]
        native.sh_test(
            name = name,
            size = "small",
            srcs = ["//tests/conformance:run_captured.sh"],
            args = [
                "$(location //replay:mmreplay)",
                "$(location %s)" % trace,
                "$(location %s)" % known_gaps,
            ],
            data = [
                "//replay:mmreplay",
                trace,
                known_gaps,
            ],
        )
