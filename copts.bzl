"""Compiler options for the project's own code."""

# -Werror applies only to mmreplay's sources; system headers are -isystem.
COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
]
