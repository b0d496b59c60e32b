#!/usr/bin/env bash
# Runs every test with a private TMPDIR that is removed afterwards: tests build temporary lakes,
# browser profiles and notebooks freely (~150 MB a run), and none of it should outlive the run.
set -uo pipefail
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ticklake-tests.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
TMPDIR="$tmp" deno test -A --unstable-cron --unstable-kv --doc --parallel "$@"
