#!/bin/bash
# Runs one golden test: golden_runner TRACE GOLDEN (see golden.bzl).
exec "$@"
