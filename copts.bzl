"""Compiler options for the project's own code."""

# -Werror applies only to mmreplay's sources; system headers are -isystem.
# On x86-64 the POPCNT instruction (every x86-64 CPU since 2008) counts the
# bits of the model's page bitmaps; elsewhere the compiler's fallback does.
# Optimized builds (-c opt) use -O3: the model's page-granular loops (PTE
# fills and scans, per-page mapcounts) are vectorized there, about a tenth
# fewer instructions per replayed op (bench/README.md).
COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
] + select({
    "@platforms//cpu:x86_64": ["-mpopcnt"],
    "//conditions:default": [],
}) + select({
    "//:opt": ["-O3"],
    "//conditions:default": [],
})
