#!/usr/bin/env bash
# Host dev loop for the ofproto/trace corpus (test/kernel/corpus/trace.txt): starts Debian's
# ovsdb-server and ovs-vswitchd on the dummy datapath (no kernel module, no root needed) in a
# private directory, builds the corpus's base topology, plays every scenario and prints each
# probe's `Megaflow:` and `Datapath actions:` lines (full traces of broken probes), then stops
# both daemons. Use it to validate the corpus: every scenario must load and every probe must
# print a `Datapath actions:` line on the reference (exit status 0).
#
# Usage: scripts/trace-diff-host.sh [--filter REGEX] [--full]     (after `npx tsc -p .`)
#   DIR=/tmp/x scripts/trace-diff-host.sh   to choose the daemons' directory (default mktemp).
# Odp port numbers differ from the kernel guest's (the dummy datapath numbers ports after their
# names); the kernel test test/kernel/trace.test.ts is the comparison that counts.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
D=${DIR:-$(mktemp -d /tmp/trace-corpus-XXXXXX)}
mkdir -p "$D"
export OVS_RUNDIR=$D OVS_DBDIR=$D OVS_LOGDIR=$D OVS_SYSCONFDIR=$D
stop() {
  for p in ovs-vswitchd ovsdb-server; do
    if [[ -f $D/$p.pid ]]; then ovs-appctl -t "$D/$p.$(cat "$D/$p.pid").ctl" exit >/dev/null 2>&1 || true; fi
  done
}
trap stop EXIT
rm -f "$D/conf.db"
ovsdb-tool create "$D/conf.db" /usr/share/openvswitch/vswitch.ovsschema
ovsdb-server --detach --pidfile --remote="punix:$D/db.sock" --log-file "$D/conf.db"
ovs-vsctl --no-wait init
ovs-vswitchd --enable-dummy=override --disable-system --detach --pidfile --log-file "unix:$D/db.sock"
node "$ROOT/dist/test/kernel/lib/trace-corpus-cli.js" "$D" --topology --dummy "$@"
