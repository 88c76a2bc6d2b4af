#!/usr/bin/env bash
# vm.sh — run a command as root inside a throw-away QEMU guest that boots Debian's stock kernel,
# so the real openvswitch.ko can be loaded on hosts whose kernel has no module (or no module
# support at all).
#
#   bash test/harness/vm.sh [--smp N] [--mem MiB] [--timeout S] OUTDIR -- CMD [ARG...]
#   bash test/harness/vm.sh --prepare        build the cached kernel + initrd and exit
#
# The guest sees this machine's whole filesystem read-only over 9p, under a tmpfs overlay (so
# writes succeed but vanish at power-off). OUTDIR is shared read-write at the same absolute path
# and holds console.log (the guest kernel's console). In the guest, openvswitch and veth are
# loaded, the kernel's whole module tree is at /lib/modules (so modprobe and module auto-loading
# work), /run, /tmp, /dev/shm are fresh tmpfs, /dev/pts is mounted and /run/openvswitch exists.
# The host's /tmp is therefore not visible in the guest (except when the repository or the cache
# lives below /tmp: then /tmp stays the overlaid host /tmp); hand files over through OUTDIR.
# CMD runs from the repository root with stdin from /dev/null and these variables:
#   OVSVM_OUT=OUTDIR  KERNEL_HARNESS=vm  TSV_VM_GUEST=1  TSV_VM_KVER=<guest kernel release>
# plus PATH, HOME, LANG and, when set on the host: CI, NODE_OPTIONS, NODE_DEBUG, DEBUG, NO_COLOR,
# FORCE_COLOR, TEST_FILTER, KERNEL_TESTS, every TSV_* variable, and the names listed in
# TSV_VM_PASS_ENV (space-separated). CMD's stdout and stderr stream live to this stdout over
# a second serial port.
#
# Exit status: CMD's; 124 when the guest ran out of time; 1 when the guest died without a result
# (the tail of OUTDIR/console.log is printed then).
#
# Environment (host side):
#   TSV_VM_CACHE    cache directory for the guest kernel and initrd [/var/cache/ts-vswitchd-vm]
#   TSV_VM_SMP, TSV_VM_MEM, TSV_VM_TIMEOUT   defaults for --smp [4], --mem [3072], --timeout [5100]
#   TSV_VM_ACCEL    QEMU accelerator [tcg]; `kvm` where nested virtualisation really works
#   TSV_VM_KERNEL_PKG  Debian kernel package to boot [what linux-image-amd64 depends on]
#   TSV_VM_QEMU_ARGS   extra QEMU arguments (word-split)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${TSV_VM_CACHE:-/var/cache/ts-vswitchd-vm}
SMP=${TSV_VM_SMP:-4} MEM=${TSV_VM_MEM:-3072} TMO=${TSV_VM_TIMEOUT:-5100} ACCEL=${TSV_VM_ACCEL:-tcg}
# Bump when the initrd recipe below changes, so existing caches rebuild it.
RECIPE=3
# Modules the initrd needs to reach the host filesystem; their dependencies are resolved by
# modprobe against the guest kernel's own modules.dep.
INITRD_MODULES=(virtio_pci 9pnet_virtio 9p overlay)

usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2; }
die() { echo "vm.sh: $*" >&2; exit 1; }

# prepare: populate $CACHE with root/ (the unpacked kernel package), vmlinuz, initrd.gz and
# `ready` (recipe and kernel release). Serialized with flock so parallel first runs are safe.
prepare() {
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.lock"
  flock 9
  if [[ -f $CACHE/ready ]] && grep -qx "recipe=$RECIPE" "$CACHE/ready"; then
    exec 9>&-; return 0
  fi
  for c in qemu-system-x86_64 depmod modprobe cpio gzip busybox; do
    command -v "$c" >/dev/null || die "$c not found; run test/harness/deps.sh as root"
  done
  local bb; bb=$(command -v busybox)
  ldd "$bb" >/dev/null 2>&1 && die "$bb is dynamically linked; install busybox-static"

  local tmp; tmp=$(mktemp -d "$CACHE/.build.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" EXIT
  if [[ ! -d $CACHE/root/lib/modules ]]; then
    local pkg=${TSV_VM_KERNEL_PKG:-}
    if [[ -z $pkg ]]; then
      pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}')
      if [[ -z $pkg ]]; then apt-get update -qq
        pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/{print $2; exit}'); fi
    fi
    [[ -n $pkg ]] || die "cannot resolve the kernel package behind linux-image-amd64"
    echo "vm.sh: downloading $pkg for the guest (once; cached in $CACHE)" >&2
    (cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>&1) || die "apt-get download $pkg failed"
    dpkg -x "$tmp"/linux-image-*.deb "$tmp/root"
    rm -f "$tmp"/linux-image-*.deb
    local kv; kv=$(ls "$tmp/root/lib/modules")
    depmod -b "$tmp/root" "$kv"
    rm -rf "$CACHE/root"; mv "$tmp/root" "$CACHE/root"
  fi
  local kver; kver=$(ls "$CACHE/root/lib/modules")
  cp "$CACHE/root/boot/vmlinuz-$kver" "$tmp/vmlinuz"

  local ird=$tmp/initrd
  mkdir -p "$ird"/{bin,dev,proc,sys,mnt/host,mnt/rw,newroot,mods}
  cp "$bb" "$ird/bin/busybox"
  local m line
  for m in "${INITRD_MODULES[@]}"; do
    modprobe -d "$CACHE/root" -S "$kver" --show-depends "$m" | while read -r line; do
      [[ $line == insmod\ * ]] || continue
      set -- $line; local f=$2 b; b=$(basename "$f")
      [[ -f $ird/mods/$b ]] && continue
      cp "$f" "$ird/mods/$b"; echo "$b" >>"$ird/mods/order"
    done
  done
  # The initrd only reaches the host filesystem; everything else happens in guest-init.sh,
  # which lives in the repository (its path comes on the kernel command line as tsv_init=).
  cat >"$ird/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
fail() { echo "initrd: $*"; echo o > /proc/sysrq-trigger; sleep 30; }
for m in $(cat /mods/order); do insmod /mods/$m || fail "insmod $m"; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /mnt/host || fail "mount hostroot"
mount -t tmpfs -o size=75% tmpfs /mnt/rw; mkdir -p /mnt/rw/up /mnt/rw/work
mount -t overlay overlay -o lowerdir=/mnt/host,upperdir=/mnt/rw/up,workdir=/mnt/rw/work /newroot \
  || fail "mount overlay"
init=$(sed -n 's/.*tsv_init=\([^ ]*\).*/\1/p' /proc/cmdline)
[ -f "/newroot$init" ] || fail "guest init '$init' not found"
mount --move /proc /newroot/proc; mount --move /sys /newroot/sys; mount --move /dev /newroot/dev
exec switch_root /newroot /bin/bash "$init"
INIT
  chmod +x "$ird/init"
  (cd "$ird" && find . | cpio -o -H newc 2>/dev/null | gzip -1 >"$tmp/initrd.gz")
  mv "$tmp/vmlinuz" "$CACHE/vmlinuz"; mv "$tmp/initrd.gz" "$CACHE/initrd.gz"
  printf 'recipe=%s\nkver=%s\n' "$RECIPE" "$kver" >"$CACHE/ready"
  rm -rf "$tmp"; trap - EXIT
  exec 9>&-
}

OUT= CMD=()
while (($#)); do
  case $1 in
    --smp) SMP=$2; shift 2;;
    --mem) MEM=$2; shift 2;;
    --timeout) TMO=$2; shift 2;;
    --prepare) prepare; exit 0;;
    -h|--help) usage;;
    --) shift; CMD=("$@"); break;;
    -*) echo "vm.sh: unknown option $1" >&2; usage;;
    *) [[ -z $OUT ]] || usage; OUT=$1; shift;;
  esac
done
[[ -n $OUT && ${#CMD[@]} -gt 0 ]] || usage

prepare
KVER=$(sed -n 's/^kver=//p' "$CACHE/ready")
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tsv-vm.XXXXXX")
CTL=$WORK/ctl
mkdir "$CTL"
QPID= CATPID=
cleanup() {
  if [[ -n $QPID ]]; then kill "$QPID" 2>/dev/null; wait "$QPID" 2>/dev/null; fi
  if [[ -n $CATPID ]]; then wait "$CATPID" 2>/dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ctl/vars is read by guest-init.sh (PID 1); ctl/run.sh is CMD with its environment.
{
  printf 'GUEST_OUT=%q\nGUEST_KDIR=%q\nGUEST_REPO=%q\n' "$OUT" "$CACHE/root" "$REPO"
} >"$CTL/vars"
{
  echo "export TSV_VM_GUEST=1 KERNEL_HARNESS=vm OVSVM_OUT=$(printf %q "$OUT") TSV_VM_KVER=$KVER"
  if [[ -t 1 ]]; then echo "export TERM=$(printf %q "${TERM:-dumb}")"; else echo "export TERM=dumb"; fi
  pass=(PATH HOME LANG CI NODE_OPTIONS NODE_DEBUG DEBUG NO_COLOR FORCE_COLOR TEST_FILTER KERNEL_TESTS
        ${TSV_VM_PASS_ENV:-} $(compgen -v | grep '^TSV_' || true))
  for v in "${pass[@]}"; do
    [[ $v == TSV_VM_GUEST || $v == TSV_VM_KVER ]] && continue
    [[ -n ${!v+set} ]] && echo "export $v=$(printf %q "${!v}")"
  done
  printf 'cd %q || exit 1\nexec' "$REPO"
  printf ' %q' "${CMD[@]}"
  echo
} >"$CTL/run.sh"

share() { echo "local,path=$1,mount_tag=$2,security_model=none,multidevs=remap${3:+,$3}"; }
# ttyS0 (kernel console, guest-init messages) goes to OUTDIR/console.log; ttyS1 carries CMD's
# output to our stdout. QEMU may put its stdio in non-blocking mode, so it writes into a FIFO
# drained by cat, never straight into the caller's stdout. QEMU runs in the background so that
# a SIGTERM/SIGINT to this script stops the guest at once (via the traps above).
mkfifo "$WORK/stdout"
cat "$WORK/stdout" &
CATPID=$!
# shellcheck disable=SC2086
timeout --kill-after=10 "$TMO" qemu-system-x86_64 \
  -accel "$ACCEL" -m "$MEM" -smp "$SMP" -nodefaults -no-user-config -display none -no-reboot \
  -kernel "$CACHE/vmlinuz" -initrd "$CACHE/initrd.gz" \
  -append "console=ttyS0 loglevel=4 panic=-1 tsv_init=$HERE/guest-init.sh" \
  -serial "file:$OUT/console.log" \
  -chardev stdio,id=cmdout,signal=off -serial chardev:cmdout \
  -virtfs "$(share / hostroot readonly=on)" \
  -virtfs "$(share "$CTL" ctl)" \
  -virtfs "$(share "$OUT" out)" \
  ${TSV_VM_QEMU_ARGS:-} </dev/null >"$WORK/stdout" &
QPID=$!
st=0
wait "$QPID" || st=$?
QPID=
wait "$CATPID" || true
CATPID=

if [[ -f $CTL/rc ]]; then
  exit "$(cat "$CTL/rc")"
fi
if [[ $st == 124 || $st == 137 ]]; then
  echo "vm.sh: guest timed out after ${TMO}s" >&2; exit 124
fi
echo "vm.sh: guest ended without a result (qemu status $st); last lines of $OUT/console.log:" >&2
tail -n 30 "$OUT/console.log" >&2 || true
exit 1
