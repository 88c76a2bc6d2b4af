#!/usr/bin/env bash
# kernel.sh — run the kernel test suite (or any command) where openvswitch.ko is available.
#
#   bash test/harness/kernel.sh              node --test --test-concurrency=1 $KERNEL_TESTS
#   bash test/harness/kernel.sh CMD [ARG...] any command, e.g. `bash scripts/demo.sh`
#
# Natively, as root, when the openvswitch module is loaded or `modprobe openvswitch` succeeds
# (KERNEL_HARNESS=native); otherwise in one QEMU guest via vm.sh (KERNEL_HARNESS=vm). Either way
# CMD runs from the repository root with OVSVM_OUT set to the run's output directory and
# KERNEL_HARNESS telling which path ran it. Exit status: CMD's (124 when the guest timed out).
#
# Environment:
#   KERNEL_HARNESS  auto (default) | native | vm — force a path
#   KERNEL_TESTS    what the default command runs [dist/test/kernel/]
#   TEST_FILTER     passed to the default command as --test-name-pattern (a regular expression)
#   KERNEL_OUT      output directory [.vm-out/<timestamp>-<pid>, with .vm-out/latest pointing there]
#   TSV_STOP_SYSTEM_OVS  native path only: 1 (default) stops a running system openvswitch-switch
#                   service first, because it would own the kernel datapath the tests use; 0 fails
#                   instead
#   TSV_VM_*        see vm.sh
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"

if (($# == 0)); then
  set -- node --test --test-concurrency=1
  [[ -n ${TEST_FILTER:-} ]] && set -- "$@" --test-name-pattern="$TEST_FILTER"
  # shellcheck disable=SC2086
  set -- "$@" ${KERNEL_TESTS:-dist/test/kernel/}
fi

# Already inside the guest: run in place.
if [[ ${TSV_VM_GUEST:-} == 1 ]]; then exec "$@"; fi

if [[ -n ${KERNEL_OUT:-} ]]; then
  OUT=$KERNEL_OUT
else
  mkdir -p .vm-out
  find .vm-out -mindepth 1 -maxdepth 1 -type d -mtime +2 -exec rm -rf {} + 2>/dev/null || true
  OUT=.vm-out/$(date +%Y%m%dT%H%M%S)-$$
  mkdir -p "$OUT"
  ln -sfn "$(basename "$OUT")" .vm-out/latest
fi
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)

native_ok() {
  [[ $(id -u) == 0 ]] || return 1
  [[ -d /sys/module/openvswitch ]] || modprobe -q openvswitch 2>/dev/null
}

mode=${KERNEL_HARNESS:-auto}
case $mode in
  auto) if native_ok; then mode=native; else mode=vm; fi;;
  native) native_ok || { echo "kernel.sh: KERNEL_HARNESS=native but openvswitch.ko cannot be loaded (root needed)" >&2; exit 1; };;
  vm) ;;
  *) echo "kernel.sh: KERNEL_HARNESS must be auto, native or vm (got '$mode')" >&2; exit 2;;
esac

if [[ $mode == vm ]]; then
  exec bash "$HERE/vm.sh" "$OUT" -- "$@"
fi

# Native. A distribution ovs-vswitchd would fight the tests over the one `ovs-system` datapath.
modprobe -q veth 2>/dev/null || true
sys_pid=$(cat /run/openvswitch/ovs-vswitchd.pid 2>/dev/null || true)
if [[ -n $sys_pid ]] && kill -0 "$sys_pid" 2>/dev/null; then
  if [[ ${TSV_STOP_SYSTEM_OVS:-1} != 1 ]]; then
    echo "kernel.sh: the system ovs-vswitchd (pid $sys_pid) is running; stop openvswitch-switch first" >&2
    exit 1
  fi
  echo "kernel.sh: stopping the system openvswitch-switch service (it owns the kernel datapath)" >&2
  if [[ -d /run/systemd/system ]]; then systemctl stop openvswitch-switch
  else /usr/share/openvswitch/scripts/ovs-ctl stop; fi
fi
if ovs-dpctl dump-dps 2>/dev/null | grep -q .; then
  echo "kernel.sh: note: kernel datapaths already exist ($(ovs-dpctl dump-dps | tr '\n' ' ')); tests may delete them" >&2
fi
echo "kernel.sh: native run on $(uname -r), output in $OUT" >&2
export KERNEL_HARNESS=native OVSVM_OUT=$OUT
exec "$@"
