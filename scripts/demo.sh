#!/usr/bin/env bash
# The walking skeleton end to end: a fresh ovsdb-server, ts-vswitchd, `ovs-vsctl add-br br0`,
# two network namespaces on veth ports of br0, a ping between them, and what the kernel holds.
# Runs as root where openvswitch.ko is available (`npm run demo` arranges that, in a VM if needed).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d /tmp/ts-vswitchd-demo.XXXXXX)
export OVS_RUNDIR=$work OVS_DBDIR=$work OVS_LOGDIR=$work
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

cleanup() {
  set +e
  [[ -f $work/ovs-vswitchd.pid ]] && kill "$(cat "$work/ovs-vswitchd.pid")" 2>/dev/null
  sleep 0.5
  ovs-dpctl del-dp ovs-system 2>/dev/null
  [[ -f $work/ovsdb-server.pid ]] && kill "$(cat "$work/ovsdb-server.pid")" 2>/dev/null
  ip netns del ns1 2>/dev/null; ip netns del ns2 2>/dev/null
}
trap cleanup EXIT

if ovs-dpctl show ovs-system >/dev/null 2>&1; then
  echo "demo: datapath ovs-system already exists (another ovs-vswitchd?); stop it first" >&2
  exit 1
fi

say "ovsdb-server with a fresh database in $work"
ovsdb-tool create "$work/conf.db" /usr/share/openvswitch/vswitch.ovsschema
ovsdb-server "$work/conf.db" --remote="punix:$work/db.sock" --pidfile="$work/ovsdb-server.pid" \
  --log-file="$work/ovsdb-server.log" --no-chdir --detach
ovs-vsctl --no-wait init

say "ts-vswitchd"
"$root/bin/ts-vswitchd" "unix:$work/db.sock" --pidfile --detach --no-chdir --log-file
echo "pid $(cat "$work/ovs-vswitchd.pid"), log $work/ovs-vswitchd.log"

say "ovs-vsctl add-br br0; two namespaces on veth ports"
time ovs-vsctl add-br br0
for i in 1 2; do
  ip netns add "ns$i"
  ip link add "v$i" type veth peer name "v${i}p"
  ip link set "v${i}p" netns "ns$i"
  ip -n "ns$i" addr add "10.0.0.$i/24" dev "v${i}p"
  ip -n "ns$i" link set "v${i}p" up
  ip -n "ns$i" link set lo up
  ip link set "v$i" up
  ovs-vsctl add-port br0 "v$i"
done
ovs-vsctl show
echo "v1 ofport: $(ovs-vsctl get Interface v1 ofport), v2 ofport: $(ovs-vsctl get Interface v2 ofport)"

say "ip netns exec ns1 ping -c 5 10.0.0.2"
ip netns exec ns1 ping -c 5 -i 0.2 10.0.0.2 | tee "$work/ping.txt"

say "ovs-dpctl show"
ovs-dpctl show
say "ovs-dpctl dump-flows (installed by ts-vswitchd's handlers)"
ovs-dpctl dump-flows

say "ping summary"
grep -E 'packets transmitted' "$work/ping.txt"
grep -q ' 0% packet loss' "$work/ping.txt"
