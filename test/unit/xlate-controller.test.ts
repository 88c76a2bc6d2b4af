import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatActions } from '../../src/genl/actions';
import { parseOdpFlowKey } from '../../src/genl/odp-key-text';
import { parseOdpActions } from '../../src/genl/odp-actions-text';
import { decodeControllerCookie, encodeControllerCookie } from '../../src/genl/user-action-cookie';
import { OFPP_IN_PORT, OFPP_LOCAL } from '../../src/openflow/common';
import { Match } from '../../src/openflow/match';
import { formatMatch, parseMatch } from '../../src/openflow/match-format';
import { OFPM13_CONTROLLER } from '../../src/openflow/ofp-meter';
import { OFPR_ACTION, OFPR_INVALID_TTL, OFPR_NO_MATCH } from '../../src/openflow/ofp-switch';
import { NX_CTLR_NO_METER, type Ofpact } from '../../src/openflow/ofpacts';
import type { RuleSnapshot } from '../../src/ofproto-dpif/flow-table';
import { get, S } from '../../src/ofproto-dpif/flow';
import { flowFromOdpKey } from '../../src/ofproto-dpif/odp-flow';
import { OfprotoReplica, type BridgeConfig, type PortConfig } from '../../src/ofproto-dpif/ofproto';
import { RecircPool, recircIdsOfActions, setThreadRecircPool } from '../../src/ofproto-dpif/recirc';
import { xlate, type XlateInput, type XlateResult } from '../../src/ofproto-dpif/xlate';
import { ofprotoUuid } from '../../src/ofproto-dpif/xlate-controller';
import { actionUpcallPacketIn } from '../../src/upcall/controller-upcall';

/**
 * Golden vectors from OVS 3.1 on the dummy datapath (`ovs-vsctl add-br br0 -- set bridge br0
 * datapath_type=dummy`, dummy ports p1, p2 on ofports 1, 2): `ovs-appctl ofproto/trace` for
 * dont_send=1 (a trace has no side effects) and `ovs-appctl dpctl/dump-flows` after
 * `netdev-dummy/receive` for dont_send=0 (the handler's translation). OVS's dummy datapath
 * prints pid=0; the kernel datapath in per-CPU dispatch mode gets DPIF_NETLINK_PER_CPU_PID
 * (4294967295) from OVS and from us. The reference's recirc ids are renumbered from 1 (each
 * case starts from a fresh pool).
 */
const PORTS: PortConfig[] = [
  { name: 'br0', ofport: OFPP_LOCAL, odpPort: 100 },
  { name: 'p1', ofport: 1, odpPort: 1 },
  { name: 'p2', ofport: 2, odpPort: 2 },
  { name: 'p3', ofport: 3, odpPort: 3 },
  { name: 'p4', ofport: 4, odpPort: 4 },
];

let nextRuleId = 1;

interface RuleSpec { table?: number; priority?: number; cookie?: bigint; match: string; ofpacts: Ofpact[] }

function bridge(rules: RuleSpec[], extra: Partial<BridgeConfig> = {}): OfprotoReplica {
  const r = new OfprotoReplica();
  r.apply({ version: 1, bridges: [{ name: 'br0', id: 1, macAgingS: 300, ports: PORTS, ...extra }] });
  const added: RuleSnapshot[] = rules.map((x) => {
    const { match } = parseMatch(x.match);
    return {
      id: nextRuleId++, tableId: x.table ?? 0, priority: x.priority ?? 0x8000, match: { flow: match.flow, wc: match.wc },
      cookie: x.cookie ?? 0n, flags: 0, importance: 0, idleTimeout: 0, hardTimeout: 0, ofpacts: x.ofpacts,
    };
  });
  r.applyFlowDelta('br0', { version: 1, full: true, removed: [], added });
  return r;
}

function trace(r: OfprotoReplica, odp: string, opts: Partial<XlateInput> = {}): XlateResult & { megaflow: string; dp: string } {
  const f = flowFromOdpKey(parseOdpFlowKey(odp).key, (o) => r.portOfOdp(o)?.port.ofport ?? 0);
  const x = xlate((o) => r.portOfOdp(o), f.odpInPort, { flow: f.flow, vlanTpid: f.vlanTpid, nowMs: 1000, mayLearn: false, ...opts });
  const masked = Buffer.from(f.flow.map((b, i) => b & x.wc[i]));
  return { ...x, megaflow: formatMatch(new Match(masked, Buffer.from(x.wc))), dp: formatActions(x.actions) };
}

const ETH = 'eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07)';
const TCP4 = `in_port(1),${ETH},eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=6,tos=0,ttl=64,frag=no),tcp(src=8,dst=80)`;
const UDP4 = (inPort: number) => `in_port(${inPort}),${ETH},eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=17,tos=0,ttl=64,frag=no),udp(src=8,dst=80)`;
const IP4 = (ttl: number) => `in_port(1),${ETH},eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=0,tos=0,ttl=${ttl},frag=no)`;
const ICMP4 = `in_port(1),${ETH},eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=1,tos=0,ttl=64,frag=no),icmp(type=8,code=0)`;
const IP6 = `in_port(1),${ETH},eth_type(0x86dd),ipv6(src=::1,dst=::2,label=0,proto=0,tclass=0,hlimit=1,frag=no)`;
const MPLS = (ttl: number) => `in_port(1),${ETH},eth_type(0x8847),mpls(label=0,tc=0,ttl=${ttl},bos=1)`;
const NOIP = `in_port(1),${ETH},eth_type(0x1234)`;

const out = (port: number): Ofpact => ({ type: 'output', port, maxLen: 0 });
const controller = (o: { maxLen?: number; id?: number; reason?: number; userdata?: number[]; pause?: boolean; meterId?: number } = {}): Ofpact => ({
  type: 'controller', maxLen: o.maxLen ?? 65535, controllerId: o.id ?? 0, reason: o.reason ?? OFPR_ACTION, pause: o.pause ?? false,
  userdata: Buffer.from(o.userdata ?? []), meterId: o.meterId ?? NX_CTLR_NO_METER,
});
/** The reference's text with the kernel's per-CPU pid in place of the dummy datapath's 0. */
const kernelPid = (s: string) => s.replace(/userspace\(pid=0,/g, 'userspace(pid=4294967295,');

test('controller actions emit userspace(controller(...)) and install the megaflow (OVS 3.1 ofproto/trace)', () => {
  const cases: Array<[string, RuleSpec[], string, string, string]> = [
    // actions=controller  /  trace in_port=1,tcp
    ['controller/plain', [{ match: '', ofpacts: [controller()] }], TCP4, 'recirc_id=0,eth,ip,in_port=1,nw_frag=no',
      'userspace(pid=0,controller(reason=1,dont_send=1,continuation=0,recirc_id=1,rule_cookie=0,controller_id=0,max_len=65535))'],
    // actions=controller:128  /  trace in_port=1
    ['controller/with-max-len', [{ match: '', ofpacts: [{ type: 'output', port: 0xfffd, maxLen: 128 }] }], NOIP,
      'recirc_id=0,eth,in_port=1,dl_type=0x1234',
      'userspace(pid=0,controller(reason=1,dont_send=1,continuation=0,recirc_id=1,rule_cookie=0,controller_id=0,max_len=128))'],
    // actions=controller(reason=no_match,userdata=01.02.03,max_len=64)  /  trace in_port=2,udp
    ['controller/reason-and-userdata', [{ match: '', ofpacts: [controller({ reason: OFPR_NO_MATCH, userdata: [1, 2, 3], maxLen: 64 })] }],
      UDP4(2), 'recirc_id=0,eth,ip,in_port=2,nw_frag=no',
      'userspace(pid=0,controller(reason=0,dont_send=1,continuation=0,recirc_id=1,rule_cookie=0,controller_id=0,max_len=64))'],
    // actions=controller(pause),output:2  /  trace in_port=1: nothing without side effects
    ['controller/pause', [{ match: '', ofpacts: [controller({ pause: true }), out(2)] }], NOIP, 'recirc_id=0,eth,in_port=1,dl_type=0x1234', 'drop'],
    // cookie=0x1234,actions=output:2,controller,output:3  /  trace in_port=1,ip
    ['controller/cookie-and-output', [{ cookie: 0x1234n, match: '', ofpacts: [out(2), controller(), out(3)] }], IP4(64),
      'recirc_id=0,eth,ip,in_port=1,nw_frag=no',
      '2,userspace(pid=0,controller(reason=1,dont_send=1,continuation=0,recirc_id=1,rule_cookie=0x1234,controller_id=0,max_len=65535)),3'],
    // actions=controller(id=7),output:4  /  trace in_port=1
    ['controller/id', [{ match: '', ofpacts: [controller({ id: 7 }), out(4)] }], NOIP, 'recirc_id=0,eth,in_port=1,dl_type=0x1234',
      'userspace(pid=0,controller(reason=1,dont_send=1,continuation=0,recirc_id=1,rule_cookie=0,controller_id=7,max_len=65535)),4'],
    // ip,actions=dec_ttl,output:2  /  trace in_port=1,ip,nw_ttl=1 (and nw_ttl=0)
    ['dec-ttl/ipv4-ttl-1', [{ match: 'ip', ofpacts: [{ type: 'dec_ttl', cntIds: [0] }, out(2)] }], IP4(1),
      'recirc_id=0,eth,ip,in_port=1,nw_proto=0,nw_ttl=1,nw_frag=no',
      'userspace(pid=0,controller(reason=2,dont_send=1,continuation=0,recirc_id=1,rule_cookie=0,controller_id=0,max_len=65535))'],
    ['dec-ttl/ipv4-ttl-0', [{ match: 'ip', ofpacts: [{ type: 'dec_ttl', cntIds: [0] }, out(2)] }], IP4(0),
      'recirc_id=0,eth,ip,in_port=1,nw_proto=0,nw_ttl=0,nw_frag=no',
      'userspace(pid=0,controller(reason=2,dont_send=1,continuation=0,recirc_id=1,rule_cookie=0,controller_id=0,max_len=65535))'],
    // ipv6,actions=dec_ttl,output:2  /  trace in_port=1,ipv6,nw_ttl=1
    ['dec-ttl/ipv6-hlim-1', [{ match: 'ipv6', ofpacts: [{ type: 'dec_ttl', cntIds: [0] }, out(2)] }], IP6,
      'recirc_id=0,eth,ipv6,in_port=1,nw_proto=0,nw_ttl=1,nw_frag=no',
      'userspace(pid=0,controller(reason=2,dont_send=1,continuation=0,recirc_id=1,rule_cookie=0,controller_id=0,max_len=65535))'],
    // ip,actions=dec_ttl(1,2),output:2: one frozen state, one id, for both controllers
    ['dec-ttl/with-ids', [{ match: 'ip', ofpacts: [{ type: 'dec_ttl', cntIds: [1, 2] }, out(2)] }], IP4(1),
      'recirc_id=0,eth,ip,in_port=1,nw_proto=0,nw_ttl=1,nw_frag=no',
      'userspace(pid=0,controller(reason=2,dont_send=1,continuation=0,recirc_id=1,rule_cookie=0,controller_id=1,max_len=65535)),'
      + 'userspace(pid=0,controller(reason=2,dont_send=1,continuation=0,recirc_id=1,rule_cookie=0,controller_id=2,max_len=65535))'],
    // mpls,actions=dec_mpls_ttl,output:2  /  trace in_port=1,mpls,mpls_ttl=1
    ['mpls/dec-mpls-ttl', [{ match: 'mpls', ofpacts: [{ type: 'dec_mpls_ttl' }, out(2)] }], MPLS(1),
      'recirc_id=0,eth,mpls,in_port=1,mpls_ttl=1',
      'userspace(pid=0,controller(reason=2,dont_send=1,continuation=0,recirc_id=1,rule_cookie=0,controller_id=0,max_len=65535))'],
  ];
  for (const [name, rules, odp, megaflow, dp] of cases) {
    setThreadRecircPool(new RecircPool());
    const t = trace(bridge(rules), odp);
    assert.equal(t.megaflow, megaflow, `${name}: megaflow`);
    assert.equal(t.dp, kernelPid(dp), `${name}: datapath actions`);
    assert.equal(t.slow, false, `${name}: the megaflow is installed`);
  }
});

test('a handler or revalidator translation sends (dont_send=0); pause emits a continuation (OVS 3.1 dpctl/dump-flows)', () => {
  // After netdev-dummy/receive of one packet each:
  //   udp,actions=controller(reason=no_match,userdata=01.02.03,max_len=64),output:2
  //   tcp,actions=controller(pause),output:2
  //   icmp,actions=mod_nw_tos:16,controller:100
  const rules: RuleSpec[] = [
    { match: 'udp', ofpacts: [controller({ reason: OFPR_NO_MATCH, userdata: [1, 2, 3], maxLen: 64 }), out(2)] },
    { match: 'tcp', ofpacts: [controller({ pause: true }), out(2)] },
    { match: 'icmp', ofpacts: [{ type: 'set_ip_dscp', dscp: 16 }, { type: 'output', port: 0xfffd, maxLen: 100 }] },
  ];
  const r = bridge(rules);
  setThreadRecircPool(new RecircPool());
  const upcall = { allowSideEffects: true };
  assert.equal(trace(r, UDP4(1), upcall).dp, kernelPid(
    'userspace(pid=0,controller(reason=0,dont_send=0,continuation=0,recirc_id=1,rule_cookie=0,controller_id=0,max_len=64)),2'));
  assert.equal(trace(r, TCP4, upcall).dp, kernelPid(
    'userspace(pid=0,controller(reason=1,dont_send=0,continuation=1,recirc_id=2,rule_cookie=0,controller_id=0,max_len=65535))'));
  assert.equal(trace(r, ICMP4, upcall).dp, kernelPid(
    'set(ipv4(tos=0x10/0xfc)),userspace(pid=0,controller(reason=1,dont_send=0,continuation=0,recirc_id=3,rule_cookie=0,controller_id=0,max_len=100))'));
  // The revalidator (no side effects on an idle flow, but a cache): the same actions, the same ids.
  const reval = trace(r, UDP4(1), { xcache: true });
  assert.equal(reval.dp, kernelPid(
    'userspace(pid=0,controller(reason=0,dont_send=0,continuation=0,recirc_id=1,rule_cookie=0,controller_id=0,max_len=64)),2'));
  assert.deepEqual(recircIdsOfActions(reval.actions), [1], 'the megaflow keeps its frozen state alive');
});

test('a controller meter wraps the userspace action in a 100% sample with the datapath meter (OVS 3.1 trace)', () => {
  // meter=controller (datapath meter 0), meter=5 (datapath meter 1);
  //   icmp,actions=mod_nw_tos:16,controller:100   and   arp,actions=controller(meter_id=5)
  //   (here the second rule catches a non-IP packet instead of ARP)
  const r = bridge([
    { match: 'icmp', ofpacts: [{ type: 'set_ip_dscp', dscp: 16 }, { type: 'output', port: 0xfffd, maxLen: 100 }] },
    { match: '', priority: 1, ofpacts: [controller({ meterId: 5 })] },
  ], { meters: { [OFPM13_CONTROLLER]: 0, 5: 1 } });
  setThreadRecircPool(new RecircPool());
  assert.equal(trace(r, ICMP4).dp, kernelPid('set(ipv4(tos=0x10/0xfc)),sample(sample=100.0%,actions(meter(0),userspace(pid=0,'
    + 'controller(reason=1,dont_send=1,continuation=0,recirc_id=1,rule_cookie=0,controller_id=0,max_len=100))))'));
  // The frozen state (table, metadata) is the ICMP one's: the same id, as in OVS.
  assert.equal(trace(r, NOIP).dp, kernelPid('sample(sample=100.0%,actions(meter(1),userspace(pid=0,'
    + 'controller(reason=1,dont_send=1,continuation=0,recirc_id=1,rule_cookie=0,controller_id=0,max_len=65535))))'));
});

test('the controller cookie has OVS 3.1 struct user_action_cookie layout', () => {
  const uuid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const c = encodeControllerCookie({
    ofprotoUuid: uuid, dontSend: false, continuation: true, reason: 6, recircId: 0x01020304, ruleCookie: 0x1234n, controllerId: 7, maxLen: 128,
  });
  assert.equal(c.toString('hex'), [
    '0500', '0000', 'ffff0000', '00112233445566778899aabbccddeeff', // type, pad, ofp_in_port = OFPP_NONE, uuid
    '00', '01', '0600', '04030201', '0000000000001234', '0700', '8000', '00000000', // controller member, padding
  ].join(''));
  assert.equal(formatActions([{ type: 'userspace', pid: 4294967295, userdata: c }]),
    'userspace(pid=4294967295,controller(reason=6,dont_send=0,continuation=1,recirc_id=16909060,rule_cookie=0x1234,controller_id=7,max_len=128))');
  // ovs-dpctl's parser (OVS text → bytes, uuid zero) agrees with the encoder byte for byte.
  const text = 'userspace(pid=0,controller(reason=2,dont_send=1,continuation=0,recirc_id=11,rule_cookie=0,controller_id=0,max_len=65535))';
  const [parsed] = parseOdpActions(text);
  assert.equal(parsed.type, 'userspace');
  const ours = encodeControllerCookie({
    ofprotoUuid: Buffer.alloc(16), dontSend: true, continuation: false, reason: OFPR_INVALID_TTL, recircId: 11, ruleCookie: 0n, controllerId: 0, maxLen: 65535,
  });
  assert.deepEqual(parsed.type === 'userspace' && parsed.userdata, ours);
  assert.deepEqual(decodeControllerCookie(c), {
    ofpInPort: 0xffff, ofprotoUuid: uuid, dontSend: false, continuation: true, reason: 6, recircId: 0x01020304, ruleCookie: 0x1234n,
    controllerId: 7, maxLen: 128,
  });
  assert.equal(decodeControllerCookie(c.subarray(0, 47)), undefined);
});

test('an action upcall with a controller cookie becomes the packet-in of the frozen state', () => {
  // in_port=1,udp,actions=load:5->NXM_NX_REG1[],resubmit(,3)
  // table=3,cookie=0xabc,actions=mod_nw_tos:16,controller(id=7,max_len=64,userdata=01.02.03)
  const r = bridge([
    { match: 'in_port=1,udp', ofpacts: [
      { type: 'set_field', field: 'reg1', value: Buffer.from([0, 0, 0, 5]), mask: Buffer.from([0xff, 0xff, 0xff, 0xff]) },
      { type: 'resubmit', inPort: OFPP_IN_PORT, tableId: 3, withCtOrig: false },
    ] },
    { table: 3, cookie: 0xabcn, match: '', ofpacts: [{ type: 'set_ip_dscp', dscp: 16 }, controller({ id: 7, maxLen: 64, userdata: [1, 2, 3] })] },
  ]);
  const pool = new RecircPool();
  setThreadRecircPool(pool);
  const x = trace(r, UDP4(1), { allowSideEffects: true });
  const act = x.actions.find((a) => a.type === 'userspace');
  assert.ok(act && act.type === 'userspace' && act.userdata);
  assert.deepEqual(decodeControllerCookie(act.userdata)?.ofprotoUuid, ofprotoUuid('br0'));
  // What the kernel sends up: the packet after set(ipv4(tos=...)), its flow key (no registers).
  const packet = Buffer.alloc(60, 0xaa);
  const key = parseOdpFlowKey(`recirc_id(0),${UDP4(1).replace('tos=0', 'tos=0x40')}`).key;
  const o = actionUpcallPacketIn(r, { dpIfindex: 1, packet, key, userdata: act.userdata }, pool);
  assert.equal(o.kind, 'packet-in');
  if (o.kind !== 'packet-in') return;
  assert.equal(o.bridge, 'br0');
  const p = o.pin;
  assert.deepEqual([p.reason, p.tableId, p.cookie, p.controllerId, p.maxLen, p.inPort, p.totalLen, p.pause],
    [OFPR_ACTION, 3, 0xabcn, 7, 64, 1, 60, undefined]);
  assert.deepEqual(Buffer.from(p.userdata!), Buffer.from([1, 2, 3]));
  assert.equal(p.packet, packet);
  assert.equal(get(p.flow, S.reg1), 5, 'registers come from the frozen metadata');
  assert.equal(get(p.flow, S.nw_tos), 0x40, 'packet fields come from the upcall');

  // dont_send (a trace's cookie) and recirc_id 0 send nothing; an unknown id or bridge drops with a message.
  const traced = trace(r, UDP4(1)).actions.find((a) => a.type === 'userspace');
  assert.ok(traced && traced.type === 'userspace');
  assert.deepEqual(actionUpcallPacketIn(r, { dpIfindex: 1, packet, key, userdata: traced.userdata }, pool), { kind: 'ignore' });
  const cookie = decodeControllerCookie(act.userdata)!;
  const unknown = encodeControllerCookie({ ...cookie, recircId: 999 });
  assert.deepEqual(actionUpcallPacketIn(r, { dpIfindex: 1, packet, key, userdata: unknown }, pool),
    { kind: 'drop', level: 'warn', text: 'controller upcall: recirculation context not found for ID 3e7' });
  const otherBridge = encodeControllerCookie({ ...cookie, ofprotoUuid: ofprotoUuid('br9') });
  assert.equal(actionUpcallPacketIn(r, { dpIfindex: 1, packet, key, userdata: otherBridge }, pool).kind, 'drop');
  assert.deepEqual(actionUpcallPacketIn(r, { dpIfindex: 1, packet, key, userdata: Buffer.alloc(8) }, pool),
    { kind: 'drop', level: 'warn', text: 'action upcall cookie has unexpected size 8' });
});
