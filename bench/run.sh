#!/usr/bin/env bash
# run.sh — `npm run bench`: the codec micro-benchmarks on this host, then the kernel flow-dump
# benchmark in one boot of the kernel harness (natively where this host can load openvswitch.ko,
# else in the QEMU guest of test/harness/vm.sh). Prints tables; asserts nothing.
#
#   bash bench/run.sh [all|codec|dump]      default: all
#
# Environment:
#   TSV_BENCH_FLOWS      kernel flows to install and dump [100000]
#   TSV_BENCH_DUMP_RUNS  dumps per dumper; the median is reported [3]
#   TSV_BENCH_ROUND_MS   codec: duration of one timed round, ms [200]
#   TSV_BENCH_ROUNDS     codec: timed rounds; the median is reported [5]
#   TSV_SKIP_BUILD=1     do not run tsc first
#   TSV_VM_*, KERNEL_*   passed on to test/harness/kernel.sh (see there)
# See bench/README.md for how to read the output.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

what=${1:-all}
case $what in
  all|codec|dump) ;;
  -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0;;
  *) echo "bench/run.sh: unknown part '$what' (all, codec or dump)" >&2; exit 2;;
esac

if [[ ${TSV_SKIP_BUILD:-} != 1 ]]; then
  # tsc emits even when some file has type errors; the benchmarks need only theirs to compile.
  npx tsc -p tsconfig.json >/dev/null || echo "bench: tsc reported type errors (npx tsc -p tsconfig.json shows them); running what it emitted" >&2
fi

if [[ $what == all || $what == codec ]]; then
  node dist/test/bench/codec.bench.js
fi
if [[ $what == all || $what == dump ]]; then
  # TSV_* variables reach the guest (vm.sh passes them on).
  export TSV_BENCH_FLOWS=${TSV_BENCH_FLOWS:-100000} TSV_BENCH_DUMP_RUNS=${TSV_BENCH_DUMP_RUNS:-3}
  bash test/harness/kernel.sh node dist/test/bench/dump.bench.js
fi
