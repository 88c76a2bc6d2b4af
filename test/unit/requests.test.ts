import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flowPutRequest, flowDelRequest } from '../../src/dpif-netlink/requests';
import { attrU32, parseAttrs } from '../../src/genl/nlattr';
import { OVS_KEY_ATTR_IN_PORT, OVS_FLOW_ATTR_UFID, OVS_FLOW_ATTR_KEY, OVS_FLOW_ATTR_MASK, OVS_FLOW_ATTR_ACTIONS } from '../../src/genl/openvswitch';
import { splitMessages, decodeGenlHeader, NLM_F_ACK, NLM_F_CREATE, NLM_F_REQUEST } from '../../src/genl/netlink';

const fam = { datapath: 30, vport: 31, flow: 32, packet: 33 };

test('a flow put is OVS_FLOW_CMD_NEW with CREATE|ACK, key, mask, actions and UFID on the ovs_flow family', () => {
  const ufid = Buffer.alloc(16, 0xab);
  const msg = flowPutRequest(fam, 7, { dpIfindex: 5, keyRaw: attrU32(OVS_KEY_ATTR_IN_PORT, 2), maskRaw: attrU32(OVS_KEY_ATTR_IN_PORT, 0xffffffff), actions: [{ type: 'output', port: 3 }], ufid });
  const [m] = splitMessages(msg);
  assert.equal(m.type, fam.flow);
  assert.equal(m.seq, 7);
  assert.equal(m.flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE);
  const { cmd, body } = decodeGenlHeader(m.payload);
  assert.equal(cmd, 1 /* OVS_FLOW_CMD_NEW */);
  assert.equal(body.readInt32LE(0), 5, 'ovs_header.dp_ifindex');
  const types = parseAttrs(body.subarray(4)).map((a) => a.type);
  for (const t of [OVS_FLOW_ATTR_KEY, OVS_FLOW_ATTR_MASK, OVS_FLOW_ATTR_ACTIONS, OVS_FLOW_ATTR_UFID]) assert.ok(types.includes(t), `attribute ${t}`);
});

test('a flow delete names the flow by UFID only', () => {
  const ufid = Buffer.alloc(16, 1);
  const [m] = splitMessages(flowDelRequest(fam, 9, 5, ufid));
  const { cmd, body } = decodeGenlHeader(m.payload);
  assert.equal(cmd, 2 /* OVS_FLOW_CMD_DEL */);
  const attrs = parseAttrs(body.subarray(4));
  assert.deepEqual(attrs.find((a) => a.type === OVS_FLOW_ATTR_UFID)?.data, ufid);
  assert.equal(attrs.some((a) => a.type === OVS_FLOW_ATTR_KEY), false);
});
