"""Compiler options for the project's own code."""

# -Werror applies only to mmreplay's sources; system headers are -isystem.
# On x86-64 the POPCNT instruction (every x86-64 CPU since 2008) counts the
# bits of the model's page bitmaps; elsewhere the compiler's fallback does.
COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
] + select({
    "@platforms//cpu:x86_64": ["-mpopcnt"],
    "//conditions:default": [],
})
