#!/usr/bin/env bash
# deps.sh — install what ts-vswitchd's build and tests need on Debian 12, idempotently.
#
#   bash test/harness/deps.sh            install what is missing (root), then prepare the VM image
#                                        when this host cannot load openvswitch.ko itself
#   bash test/harness/deps.sh --check    only report what is missing; exit 1 if anything is
#   TSV_DEPS_NO_VM=1                     do not prepare the VM image
#
# When every package is already installed this takes well under a second and touches nothing:
# no `apt-get update`, no network. Packages are installed with a policy-rc.d that forbids
# service starts, so installing openvswitch-switch never leaves the distribution's
# ovsdb-server/ovs-vswitchd running on the host (tests run their own daemons, each with its own
# OVS_RUNDIR/OVS_DBDIR/OVS_LOGDIR; see test/kernel/lib/env.ts).
#
# The guest kernel (linux-image-amd64) is never installed on the host: vm.sh downloads and
# unpacks it into its cache (TSV_VM_CACHE, default /var/cache/ts-vswitchd-vm).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CHECK_ONLY=0
[[ ${1:-} == --check ]] && CHECK_ONLY=1

# qemu-system-x86, kmod, cpio, busybox-static: the VM harness (vm.sh).
# openvswitch-*: the reference daemons, the CLI tools and ovs-testcontroller the tests drive.
# iproute2, iputils-ping, procps, tcpdump: netns/veth plumbing and traffic checks in tests.
# librust-libc-dev: the `libc` crate for the native addon, usable offline.
# util-linux (flock, mount), coreutils (timeout, stty), gzip: scripts.
PKGS=(qemu-system-x86 kmod cpio busybox-static openvswitch-switch openvswitch-common openvswitch-testcontroller
      iproute2 iputils-ping procps tcpdump librust-libc-dev util-linux coreutils gzip)

# Toolchains: keep whatever the machine already has (e.g. rustup's cargo, a newer node);
# fall back to Debian's packages only when the command is missing altogether.
command -v cargo >/dev/null || [[ -x $HOME/.cargo/bin/cargo ]] || PKGS+=(cargo)
command -v cc >/dev/null || PKGS+=(gcc libc6-dev)
command -v node >/dev/null || PKGS+=(nodejs)
command -v npm >/dev/null || PKGS+=(npm)

installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${PKGS[@]}" 2>/dev/null \
  | awk '$1 == "ii" { print $2 }' || true)
missing=()
for p in "${PKGS[@]}"; do
  grep -qx -- "$p" <<<"$installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  if ((CHECK_ONLY)); then
    echo "deps: missing packages: ${missing[*]}" >&2
    exit 1
  fi
  if [[ $(id -u) != 0 ]]; then
    echo "deps: missing packages: ${missing[*]}; run this script as root to install them" >&2
    exit 1
  fi
  echo "deps: installing ${missing[*]}"
  # Forbid service starts during installation (the Debian convention for images and chroots):
  # openvswitch-switch's postinst would otherwise start ovsdb-server/ovs-vswitchd on the host.
  policy=/usr/sbin/policy-rc.d own_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; own_policy=1
  fi
  trap 'if ((own_policy)); then rm -f "$policy"; fi' EXIT
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
((CHECK_ONLY)) && exit 0

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if ((node_major < 20)); then
  echo "deps: warning: node $(node --version 2>/dev/null || echo missing) found; ts-vswitchd needs node >= 20" \
       "(Debian 12 ships 18; install a node 20 build and put it first in PATH)" >&2
fi

# A host that can load openvswitch.ko runs the kernel tests natively; any other host needs the
# guest image. Preparing it here keeps the network-dependent step inside bootstrap.
# TSV_DEPS_NO_VM=1 skips this (image builds, where the module is never loadable).
if [[ ${TSV_DEPS_NO_VM:-0} != 1 && ! -d /sys/module/openvswitch ]] && ! modprobe -q openvswitch 2>/dev/null; then
  bash "$HERE/vm.sh" --prepare
fi
