/**
 * Codec micro-benchmarks, on the host (no kernel): how many megaflows per second our datapath
 * codec encodes, decodes, formats and parses, for four representative megaflows:
 *
 * - L2 NORMAL: what the NORMAL action installs for a learned unicast destination;
 * - 5-tuple TCP: an IPv4 5-tuple with masked prefixes and ports, rewriting the destination;
 * - VLAN + IPv6: an 802.1Q frame carrying IPv6/UDP, popped on output;
 * - tunnel + ct: a Geneve-tunnelled, conntracked TCP flow after recirculation.
 *
 * Operations (one "op" is one megaflow):
 * - `key enc`: encodeFlowKey() of key and mask;
 * - `key dec`: decodeFlowKey() of key and mask bytes;
 * - `msg enc`: encodeFlowMessage() of an OVS_FLOW_CMD_NEW body (key, mask, actions, UFID);
 * - `msg dec`: decodeFlowMessage() of an OVS_FLOW_CMD_GET dump reply (key, mask, actions, UFID,
 *   stats, used);
 * - `format`: the `ovs-dpctl dump-flows` line of that reply (key/mask text and actions text);
 * - `parse`: parseOdpFlowKey() of the key text (what `ts-dpctl add-flow` does first).
 *
 * Run: `node dist/test/bench/codec.bench.js` (or `npm run bench`). Rates are medians of timed
 * rounds (see ./measure). Nothing is asserted.
 */
import { encodeFlowKey, decodeFlowKey, formatFlowKeyBytes } from '../../src/genl/flow-key';
import { formatActionBytes, type OdpAction } from '../../src/genl/actions';
import { encodeFlowMessage, decodeFlowMessage } from '../../src/genl/messages';
import { parseOdpFlowKey } from '../../src/genl/odp-key-text';
import { attrMap } from '../../src/genl/nlattr';
import { OVS_FLOW_ATTR_ACTIONS, OVS_FLOW_ATTR_KEY, OVS_FLOW_ATTR_MASK, OVS_HEADER_SIZE } from '../../src/genl/openvswitch';
import { grouped, lastResult, measureRate, printTable } from './measure';

/** A representative megaflow: its key/mask text (ovs-dpctl syntax) and its actions. */
interface Megaflow {
  name: string;
  key: string;
  actions: OdpAction[];
}

/** The four megaflows of the table, in ovs-dpctl syntax. */
export const MEGAFLOWS: readonly Megaflow[] = [
  {
    name: 'L2 NORMAL',
    key: 'recirc_id(0),in_port(2),eth(src=52:54:00:12:34:56,dst=52:54:00:65:43:21),eth_type(0x0800),ipv4(frag=no)',
    actions: [{ type: 'output', port: 3 }],
  },
  {
    name: '5-tuple TCP',
    key:
      'recirc_id(0),in_port(2),eth(),eth_type(0x0800),ipv4(src=192.168.1.0/255.255.255.0,dst=192.168.2.20,proto=6,frag=no),' +
      'tcp(src=1024/0xfc00,dst=443),tcp_flags(0/0)',
    actions: [
      { type: 'set_masked', key: { ipv4: { src: '0.0.0.0', dst: '10.0.0.20', proto: 0, tos: 0, ttl: 0, frag: 0 } }, mask: { ipv4: { src: '0.0.0.0', dst: '255.255.255.255', proto: 0, tos: 0, ttl: 0, frag: 0 } } },
      { type: 'output', port: 3 },
    ],
  },
  {
    name: 'VLAN + IPv6',
    key:
      'recirc_id(0),in_port(2),eth(src=52:54:00:12:34:56,dst=52:54:00:65:43:21),eth_type(0x8100),vlan(vid=100,pcp=0),' +
      'encap(eth_type(0x86dd),ipv6(src=2001:db8:100::10,dst=2001:db8:100::20,proto=17,frag=no),udp(dst=53))',
    actions: [{ type: 'pop_vlan' }, { type: 'output', port: 3 }],
  },
  {
    name: 'tunnel + ct',
    key:
      'recirc_id(0x20),tunnel(tun_id=0x64,src=172.16.0.1,dst=172.16.0.2,ttl=64,geneve({class=0x102,type=0x80,len=4,0xa}),' +
      'flags(-df-csum+key)),ct_state(+est+trk),ct_zone(100),ct_mark(0x1/0x1),in_port(1),eth(),eth_type(0x0800),' +
      'ipv4(proto=6,frag=no),tcp(),tcp_flags(0/0)',
    actions: [{ type: 'ct', commit: true, zone: 100 }, { type: 'output', port: 2 }],
  },
];

const UFID = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

function main(): void {
  const header = ['megaflow', 'key enc/s', 'key dec/s', 'msg enc/s', 'msg dec/s', 'format/s', 'parse/s', 'reply B'];
  const rows: string[][] = [];
  for (const mf of MEGAFLOWS) {
    const { key, mask } = parseOdpFlowKey(mf.key);
    const keyBytes = encodeFlowKey(key);
    const maskBytes = encodeFlowKey(mask);
    const reply = encodeFlowMessage({
      dpIfindex: 7,
      keyRaw: keyBytes,
      mask,
      actions: mf.actions,
      ufid: UFID,
      stats: { packets: 12345n, bytes: 6789012n },
      used: 123456789n,
    });
    const replyAttrs = attrMap(reply.subarray(OVS_HEADER_SIZE));
    const rKey = replyAttrs.get(OVS_FLOW_ATTR_KEY) as Buffer;
    const rMask = replyAttrs.get(OVS_FLOW_ATTR_MASK) as Buffer;
    const rActions = replyAttrs.get(OVS_FLOW_ATTR_ACTIONS) as Buffer;
    const rates = [
      measureRate(() => [encodeFlowKey(key), encodeFlowKey(mask)]),
      measureRate(() => [decodeFlowKey(keyBytes), decodeFlowKey(maskBytes)]),
      measureRate(() => encodeFlowMessage({ dpIfindex: 7, key, mask, actions: mf.actions, ufid: UFID })),
      measureRate(() => decodeFlowMessage(reply)),
      measureRate(() => `${formatFlowKeyBytes(rKey, rMask, false)}, packets:12345, bytes:6789012, used:0.010s, actions:${formatActionBytes(rActions)}`),
      measureRate(() => parseOdpFlowKey(mf.key)),
    ];
    rows.push([mf.name, ...rates.map((r) => grouped(r.opsPerSec)), String(reply.length)]);
  }
  void lastResult();
  printTable(
    `Codec rates on this host (megaflows per second, median of rounds; node ${process.version}, ${process.arch})`,
    header,
    rows,
  );
}

main();
