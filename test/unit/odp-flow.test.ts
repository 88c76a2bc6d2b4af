import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeFlowKey, encodeFlowKey, formatFlowKeyBytes, type OdpFlowKey } from '../../src/genl/flow-key';
import {
  flowFromOdpKey, ODPP_NONE, odpKeyFromFlow, odpMaskFromWildcards, wildcardsFromOdpMask, type OdpFlow,
} from '../../src/ofproto-dpif/odp-flow';
import { get, getIpv4, getMac, newFlow, S, VLAN_CFI, wcExact } from '../../src/ofproto-dpif/flow';
import { flowExtract } from '../../src/ofproto-dpif/flow-extract';

/** Keys and masks the 6.1 kernel dumped for flows ovs-dpctl added (see the file's `source`). */
const GOLDEN = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../test/unit/golden/flow-keys.json'), 'utf8')) as {
  flows: Array<{ added: string; key: string; mask: string }>;
};

/** OpenFlow port = odp port + 10, to tell the two numberings apart. */
const ofportOf = (odp: number) => odp + 10;

/**
 * The key without what flow bytes cannot hold (odp-flow.ts module comment): IPv6 extension
 * header bits, the headers behind a second VLAN tag, MPLS entries below the top, tunnel UDP ports
 * and Geneve options.
 */
function withoutLossy(k: OdpFlowKey): OdpFlowKey {
  const out: OdpFlowKey = { ...k };
  delete out.ipv6Exthdrs;
  if (out.mpls) out.mpls = out.mpls.slice(0, 1);
  if (out.tunnel) {
    out.tunnel = { ...out.tunnel };
    delete out.tunnel.tpSrc;
    delete out.tunnel.tpDst;
    delete out.tunnel.geneve;
  }
  if (out.encap) {
    out.encap = out.vlan !== undefined && out.encap.vlan !== undefined
      ? { ethertype: out.encap.ethertype }
      : withoutLossy(out.encap);
  }
  return out;
}

function hex(k: OdpFlowKey): string {
  return encodeFlowKey(k).toString('hex');
}

test('every golden kernel key converts to flow bytes and back to the same key, lossy attributes aside', () => {
  let perfect = 0;
  for (const g of GOLDEN.flows) {
    const key = decodeFlowKey(Buffer.from(g.key, 'hex'));
    const f = flowFromOdpKey(key, ofportOf);
    if (f.fit === 'perfect') {
      perfect++;
      assert.equal(encodeFlowKey(odpKeyFromFlow(f)).toString('hex'), g.key, g.added);
    } else {
      assert.equal(hex(odpKeyFromFlow(f)), hex(withoutLossy(key)), g.added);
      assert.notEqual(hex(withoutLossy(key)), g.key, `${g.added}: marked too_much without losing anything`);
    }
  }
  assert.ok(perfect >= 50, `${perfect} keys fit perfectly`);
});

test('golden kernel masks convert to wildcards and back to the same mask, where flow bytes can hold them', () => {
  for (const g of GOLDEN.flows) {
    const key = decodeFlowKey(Buffer.from(g.key, 'hex'));
    const mask = decodeFlowKey(Buffer.from(g.mask, 'hex'));
    const f = flowFromOdpKey(key, ofportOf);
    // An in_port mask other than all-or-nothing cannot be said in OpenFlow port terms, and the
    // kernel masks the whole ERSPAN options union, where flow bytes hold only one version's fields.
    if (f.fit !== 'perfect' || (mask.inPort !== 0 && mask.inPort !== 0xffffffff) || key.tunnel?.erspan) continue;
    const wc = wildcardsFromOdpMask(mask, f);
    assert.equal(encodeFlowKey(odpMaskFromWildcards(f, wc)).toString('hex'), g.mask, g.added);
  }
});

test('a key maps its fields into the flow layout (ports, addresses, VLAN, fragments)', () => {
  const f = flowFromOdpKey({
    recircId: 0, inPort: 3, priority: 7, skbMark: 9,
    ethernet: { src: '0a:00:00:00:00:01', dst: '0a:00:00:00:00:02' },
    ethertype: 0x88a8, vlan: VLAN_CFI | 0x2005,
    encap: {
      ethertype: 0x0800,
      ipv4: { src: '10.0.0.1', dst: '10.0.0.2', proto: 17, tos: 0xb8, ttl: 9, frag: 1 },
      udp: { src: 53, dst: 5353 },
    },
  }, ofportOf);
  assert.equal(f.fit, 'perfect');
  assert.equal(f.odpInPort, 3);
  assert.equal(f.vlanTpid, 0x88a8);
  const fl = f.flow;
  assert.equal(get(fl, S.in_port), 13);
  assert.equal(get(fl, S.skb_priority), 7);
  assert.equal(get(fl, S.pkt_mark), 9);
  assert.equal(getMac(fl, S.dl_dst), '0a:00:00:00:00:02');
  assert.equal(get(fl, S.vlan_tci), 0x3005);
  assert.equal(get(fl, S.dl_type), 0x0800);
  assert.equal(getIpv4(fl, S.nw_dst), '10.0.0.2');
  assert.equal(get(fl, S.nw_frag), 1, 'first fragment: FLOW_NW_FRAG_ANY');
  assert.equal(get(fl, S.tp_dst), 5353);
  const back = odpKeyFromFlow(f);
  assert.equal(back.ethertype, 0x88a8, 'the TPID comes back');
  assert.equal(back.encap?.udp?.dst, 5353);
});

test('a flow extracted from a packet gives the key the kernel would extract', () => {
  // UDP 10.0.0.1:1000 → 10.0.0.2:2000, as ovs-ofctl compose-packet builds it.
  const packet = Buffer.from(
    '0a00000000020a0000000001080045000'+'01c000000004011'+'66cf'+'0a0000010a00000203e807d000080000',
    'hex',
  );
  const flow = flowExtract(packet, 5);
  const key = odpKeyFromFlow({ flow, odpInPort: 2, vlanTpid: 0 });
  assert.equal(
    formatFlowKeyBytes(encodeFlowKey(key)),
    'recirc_id(0),dp_hash(0),skb_priority(0),in_port(2),skb_mark(0),ct_state(0),ct_zone(0),ct_mark(0),ct_label(0),'
    + 'eth(src=0a:00:00:00:00:01,dst=0a:00:00:00:00:02),eth_type(0x0800),'
    + 'ipv4(src=10.0.0.1,dst=10.0.0.2,proto=17,tos=0,ttl=64,frag=no),udp(src=1000,dst=2000)',
  );
});

test('a key without in_port gives a flow with no datapath port, and none comes back', () => {
  const f = flowFromOdpKey({ ethernet: { src: '0a:00:00:00:00:01', dst: '0a:00:00:00:00:02' }, ethertype: 0x0806 }, () => {
    throw new Error('must not be asked');
  });
  assert.equal(f.odpInPort, ODPP_NONE);
  assert.equal(odpKeyFromFlow(f).inPort, undefined);
});

function shape(key: OdpFlowKey): OdpFlow {
  return flowFromOdpKey(key, ofportOf);
}

test('the mask keeps the kernel rules: exact in_port, tag-present bit, all-or-nothing frag', () => {
  const f = shape({
    inPort: 1, ethernet: { src: '0a:00:00:00:00:01', dst: '0a:00:00:00:00:02' },
    ethertype: 0x8100, vlan: VLAN_CFI | 7,
    encap: { ethertype: 0x0800, ipv4: { src: '1.1.1.1', dst: '2.2.2.2', proto: 6, tos: 0, ttl: 1, frag: 0 }, tcp: { src: 1, dst: 2 }, tcpFlags: 2 },
  });
  const wc = newFlow();
  wcExact(wc, S.in_port);
  wcExact(wc, S.dl_type);
  wc[S.nw_frag.offset] = 1;
  const m = odpMaskFromWildcards(f, wc);
  assert.equal(m.inPort, 0xffffffff);
  assert.equal(m.ethertype, 0xffff, 'the TPID is exact');
  assert.equal(m.vlan, VLAN_CFI, 'an unconsulted TCI still matches tag presence');
  assert.equal(m.encap?.ethertype, 0xffff);
  assert.equal(m.encap?.ipv4?.frag, 0xff);
  assert.deepEqual(m.encap?.tcp, { src: 0, dst: 0 });
  assert.equal(m.encap?.tcpFlags, 0);
  assert.deepEqual(m.tunnel, { ttl: 0 }, 'the tunnel mask is always there, as the kernel dumps it');
});

test('an 802.2 frame has no Ethertype in its key and an exact one in its mask', () => {
  const f = shape({ inPort: 1, ethernet: { src: '0a:00:00:00:00:01', dst: '01:80:c2:00:00:00' } });
  assert.equal(get(f.flow, S.dl_type), 0x05ff);
  assert.equal(odpKeyFromFlow(f).ethertype, undefined);
  const wc = newFlow();
  wcExact(wc, S.dl_type);
  assert.equal(odpMaskFromWildcards(f, wc).ethertype, 0xffff);
});

test('a later fragment has no L4 attributes in its key or mask', () => {
  const f = shape({ inPort: 1, ethernet: { src: '0a:00:00:00:00:01', dst: '0a:00:00:00:00:02' }, ethertype: 0x0800, ipv4: { src: '1.1.1.1', dst: '2.2.2.2', proto: 17, tos: 0, ttl: 1, frag: 2 } });
  assert.equal(odpKeyFromFlow(f).udp, undefined);
  const wc = newFlow();
  wc.fill(0xff);
  assert.equal(odpMaskFromWildcards(f, wc).udp, undefined);
});
