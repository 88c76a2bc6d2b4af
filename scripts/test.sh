#!/usr/bin/env bash
# test.sh — the whole suite: unit tests on the host, then the kernel tests (natively when this
# host can load openvswitch.ko, else in one QEMU guest; see test/harness/kernel.sh).
# Exit status is non-zero when either part fails. Expects a built tree (`npm test` runs
# scripts/bootstrap.sh first).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

results=() failed=0
run() {
  local name=$1; shift
  local t0=$SECONDS rc=0
  echo "=== $name: $*"
  "$@" || rc=$?
  local verdict=PASS
  ((rc == 0)) || { verdict="FAIL (exit $rc)"; failed=1; }
  results+=("$(printf '%-7s %-16s %4ss' "$name" "$verdict" $((SECONDS - t0)))")
}

run unit node --test dist/test/unit/
run kernel bash test/harness/kernel.sh

echo "=== summary"
printf '  %s\n' "${results[@]}"
exit "$failed"
