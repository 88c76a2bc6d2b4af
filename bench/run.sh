#!/usr/bin/env bash
# run.sh — `npm run bench`: the codec micro-benchmarks on this host, then the kernel flow-dump
# benchmark in one boot of the kernel harness (natively where this host can load openvswitch.ko,
# else in the QEMU guest of test/harness/vm.sh), then ovs-ofctl's add-flows/dump-flows/del-flows
# against Debian's ovs-vswitchd and ours in another. Prints tables; asserts nothing.
#
#   bash bench/run.sh [all|codec|dump|ofctl]      default: all
#
# Environment:
#   TSV_BENCH_FLOWS      kernel flows to install and dump [100000]
#   TSV_BENCH_DUMP_RUNS  dumps per dumper; the median is reported [3]
#   TSV_BENCH_OFCTL_FLOWS  ofctl: flows added, dumped and deleted [100000]
#   TSV_BENCH_OFCTL_RUNS   ofctl: runs of the bundle add, dumps and delete; medians [3]
#   TSV_BENCH_OFCTL_ADD_RUNS   ofctl: runs of the plain add-flows [1]
#   TSV_BENCH_OFCTL_TIMEOUT_S  ofctl: kill one ovs-ofctl command after this long
#                        [900 per 100000 flows]
#   TSV_BENCH_OFCTL_SMP  ofctl: vCPUs of its guest (TSV_VM_SMP for that boot) [1]
#   TSV_VM_TIMEOUT       guest time limit, s [vm.sh's 3600; 7200 for the ofctl boot]
#   TSV_BENCH_ROUND_MS   codec: duration of one timed round, ms [200]
#   TSV_BENCH_ROUNDS     codec: timed rounds; the median is reported [5]
#   TSV_SKIP_BUILD=1     do not run tsc first
#   TSV_VM_*, KERNEL_*   passed on to test/harness/kernel.sh (see there)
# See bench/README.md for how to read the output.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

what=${1:-all}
case $what in
  all|codec|dump|ofctl) ;;
  -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0;;
  *) echo "bench/run.sh: unknown part '$what' (all, codec, dump or ofctl)" >&2; exit 2;;
esac

if [[ ${TSV_SKIP_BUILD:-} != 1 ]]; then
  # tsc emits even when some file has type errors; the benchmarks need only theirs to compile.
  npx tsc -p tsconfig.json >/dev/null || echo "bench: tsc reported type errors (npx tsc -p tsconfig.json shows them); running what it emitted" >&2
fi

if [[ $what == all || $what == codec ]]; then
  node dist/test/bench/codec.bench.js
fi
# Each kernel part runs even when the one before failed; the exit status is the last failure's.
rc=0
if [[ $what == all || $what == dump ]]; then
  # TSV_* variables reach the guest (vm.sh passes them on).
  export TSV_BENCH_FLOWS=${TSV_BENCH_FLOWS:-100000} TSV_BENCH_DUMP_RUNS=${TSV_BENCH_DUMP_RUNS:-3}
  bash test/harness/kernel.sh node dist/test/bench/dump.bench.js || rc=$?
fi
if [[ $what == all || $what == ofctl ]]; then
  # One vCPU by default: under TCG a wake-up across vCPUs costs milliseconds, and add-flows is
  # one round trip per flow. A full run takes about 40 minutes in the guest on a quiet 2-core
  # host, so that boot's time limit defaults to 2 hours (bench/README.md).
  TSV_VM_SMP=${TSV_BENCH_OFCTL_SMP:-1} TSV_VM_TIMEOUT=${TSV_VM_TIMEOUT:-7200} \
    bash test/harness/kernel.sh node dist/test/bench/ofctl.bench.js || rc=$?
fi
exit $rc
