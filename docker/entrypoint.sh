#!/usr/bin/env bash
# Container entry point: bootstrap the tree (packages already present, npm ci, build), then run
# the kernel tests natively against the host's openvswitch.ko. Arguments, if any, replace the
# default kernel test command (e.g. `bash scripts/demo.sh`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ ! -d /sys/module/openvswitch ]] && ! modprobe openvswitch; then
  cat >&2 <<'MSG'
entrypoint: the host kernel's openvswitch module is not loaded and cannot be loaded from here.
Run on a host that has openvswitch.ko, with:
  docker run --rm --privileged --network host -v /lib/modules:/lib/modules:ro ts-vswitchd-test
(or `modprobe openvswitch` on the host first).
MSG
  exit 1
fi

bash scripts/bootstrap.sh
export KERNEL_HARNESS=${KERNEL_HARNESS:-native}
exec bash test/harness/kernel.sh "$@"
