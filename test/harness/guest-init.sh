#!/bin/bash
# guest-init.sh — PID 1 of the vm.sh guest, started by the initrd after it has switched root to
# an overlay (tmpfs over the host's filesystem, shared read-only over 9p).
#
# Reads the 9p share `ctl` (vars: GUEST_OUT, GUEST_KDIR, GUEST_REPO; run.sh: the command with its
# environment), prepares the system the tests expect, runs run.sh with its output on ttyS1
# (which the host streams to its stdout), writes the exit status to ctl/rc and powers off.
# Its own messages go to the console (ttyS0, OUTDIR/console.log on the host).
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

CTL=/run/tsv-vm/ctl
# The power-off is asynchronous; PID 1 must not exit meanwhile (that would panic the kernel).
poweroff_now() { sync; echo o >/proc/sysrq-trigger; read -r -t 60 _ </dev/console; }
die() { echo "tsv-vm: $*"; echo "tsv-vm: $*" >/dev/ttyS1; poweroff_now; }
p9() { mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 "$@"; }

mount -t tmpfs -o mode=0755 tmpfs /run || die "mount /run"
mkdir -p "$CTL" /run/lock /run/openvswitch /run/netns
p9 ctl "$CTL" || die "mount ctl share"
# shellcheck source=/dev/null
. "$CTL/vars"

mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts || die "mount /dev/pts"
mount -t tmpfs -o mode=1777 tmpfs /dev/shm || die "mount /dev/shm"
# A fresh /tmp, unless the host paths the run needs live under the host's /tmp: a tmpfs would
# hide them, so /tmp then stays on the overlay (writable too, host files visible).
case "$GUEST_REPO/ $GUEST_KDIR/" in
  /tmp/*|*" /tmp/"*) echo "tsv-vm: repository or cache under /tmp; /tmp stays on the overlay";;
  *) mount -t tmpfs -o mode=1777 tmpfs /tmp || die "mount /tmp";;
esac
# OUTDIR may live under /tmp on the host, so it is mounted after /tmp.
mkdir -p "$GUEST_OUT" && p9 out "$GUEST_OUT" || die "mount out share at $GUEST_OUT"
# The guest kernel's modules, where modprobe and the kernel's module auto-loader look.
mkdir -p /lib/modules && mount --bind "$GUEST_KDIR/lib/modules" /lib/modules || die "bind /lib/modules"

hostname tsv-vm
ip link set lo up
modprobe openvswitch || die "modprobe openvswitch failed"
modprobe veth || die "modprobe veth failed"

stty -F /dev/ttyS1 raw -echo 2>/dev/null
read -r _ mem_kib _ </proc/meminfo
read -r _ _ kver _ </proc/version
read -r up _ </proc/uptime
echo "tsv-vm: guest up in ${up}s: kernel $kver, $(getconf _NPROCESSORS_ONLN) cpus, $((mem_kib / 1024)) MiB" >/dev/ttyS1
env -i /bin/bash "$CTL/run.sh" </dev/null >/dev/ttyS1 2>&1
rc=$?
echo "$rc" >"$CTL/rc"
poweroff_now
