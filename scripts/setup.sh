#!/bin/bash
# Installs the Debian packages mmreplay builds and tests with, when any is
# missing: one `apt-get update`, then one install. Quiet when all are there.
# Idempotent; needs root (or sudo) only when something must be installed.
set -euo pipefail

packages=(
  bazel-bootstrap    # Bazel 4.2 (pulls a JDK)
  bazel-platforms    # the @platforms repository Bazel needs offline
  g++
  libabsl-dev
  libprotobuf-dev
  protobuf-compiler
  libzstd-dev
  zstd
  libgtest-dev
  libgmock-dev
  libbenchmark-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
sudo=()
[ "$(id -u)" -ne 0 ] && sudo=(sudo)
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
  --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done" >&2
