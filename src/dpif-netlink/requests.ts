/**
 * Whole netlink requests for the datapath operations that workers send on their own native
 * sockets (flow put/del/dump, packet execute): pure functions from operation to bytes, so the
 * upcall path builds a batch and hands it to `sendBatch` in one call.
 *
 * Message layout: `struct nlmsghdr` (16 bytes) + `struct genlmsghdr` (4 bytes) + the OVS body
 * (`struct ovs_header` + attributes), per `<linux/netlink.h>`, `<linux/genetlink.h>` and
 * `<linux/openvswitch.h>`.
 */
import { encodeGenlMessage, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_REQUEST } from '../genl/netlink';
import { encodeFlowMessage, encodePacketMessage } from '../genl/messages';
import type { OdpAction } from '../genl/actions';
import { attr } from '../genl/nlattr';
import {
  OVS_FLOW_ATTR_MASK,
  OVS_FLOW_CMD_DEL,
  OVS_FLOW_CMD_GET,
  OVS_FLOW_CMD_NEW,
  OVS_FLOW_VERSION,
  OVS_PACKET_CMD_EXECUTE,
  OVS_PACKET_VERSION,
  OVS_UFID_F_OMIT_ACTIONS,
  OVS_UFID_F_OMIT_KEY,
  OVS_UFID_F_OMIT_MASK,
} from '../genl/openvswitch';

/** Generic Netlink family ids of the OVS families, as resolved at startup (CTRL_CMD_GETFAMILY). */
export interface OvsFamilies {
  datapath: number;
  vport: number;
  flow: number;
  packet: number;
}

/** A megaflow to install: the key as the kernel sent it, our mask, actions and UFID. */
export interface FlowPut {
  dpIfindex: number;
  /** raw `OVS_FLOW_ATTR_KEY` payload (typically the upcall's key, unmasked) */
  keyRaw: Buffer;
  /** encoded `OVS_FLOW_ATTR_MASK` payload (`encodeFlowKey(mask)`; the handler also hashes it) */
  maskRaw: Buffer;
  actions: OdpAction[];
  /** 16-byte UFID */
  ufid: Buffer;
}

/**
 * `OVS_FLOW_CMD_NEW` with NLM_F_CREATE (an existing identical flow answers EEXIST) and NLM_F_ACK;
 * the UFID flags ask the kernel to leave key, mask and actions out of any reply.
 */
export function flowPutRequest(fam: OvsFamilies, seq: number, put: FlowPut): Buffer {
  return encodeGenlMessage({
    type: fam.flow,
    flags: NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE,
    seq,
    pid: 0,
    cmd: OVS_FLOW_CMD_NEW,
    version: OVS_FLOW_VERSION,
    payload: Buffer.concat([encodeFlowMessage({
      dpIfindex: put.dpIfindex,
      keyRaw: put.keyRaw,
      actions: put.actions,
      ufid: put.ufid,
      ufidFlags: OVS_UFID_F_OMIT_KEY | OVS_UFID_F_OMIT_MASK | OVS_UFID_F_OMIT_ACTIONS,
    }), attr(OVS_FLOW_ATTR_MASK, put.maskRaw)]),
  });
}

/** `OVS_FLOW_CMD_DEL` of the flow with this 16-byte UFID, with NLM_F_ACK. */
export function flowDelRequest(fam: OvsFamilies, seq: number, dpIfindex: number, ufid: Buffer): Buffer {
  return encodeGenlMessage({
    type: fam.flow,
    flags: NLM_F_REQUEST | NLM_F_ACK,
    seq,
    pid: 0,
    cmd: OVS_FLOW_CMD_DEL,
    version: OVS_FLOW_VERSION,
    payload: encodeFlowMessage({
      dpIfindex,
      ufid,
      ufidFlags: OVS_UFID_F_OMIT_KEY | OVS_UFID_F_OMIT_MASK | OVS_UFID_F_OMIT_ACTIONS,
    }),
  });
}

/** `OVS_FLOW_CMD_GET` with NLM_F_DUMP: every flow of the datapath, with key, mask, actions, stats. */
export function flowDumpRequest(fam: OvsFamilies, seq: number, dpIfindex: number): Buffer {
  return encodeGenlMessage({
    type: fam.flow,
    flags: NLM_F_REQUEST | NLM_F_DUMP,
    seq,
    pid: 0,
    cmd: OVS_FLOW_CMD_GET,
    version: OVS_FLOW_VERSION,
    payload: encodeFlowMessage({ dpIfindex }),
  });
}

/** A packet to run through `actions` (`OVS_PACKET_CMD_EXECUTE`). */
export interface PacketExecute {
  dpIfindex: number;
  /** the whole frame, starting at the Ethernet header */
  packet: Buffer;
  /** raw `OVS_PACKET_ATTR_KEY` payload (the upcall's key) */
  keyRaw: Buffer;
  actions: OdpAction[];
  /** `OVS_PACKET_ATTR_MRU`, bytes, when the upcall carried one (reassembled fragments) */
  mru?: number;
}

/** `OVS_PACKET_CMD_EXECUTE` with NLM_F_ACK. */
export function executeRequest(fam: OvsFamilies, seq: number, ex: PacketExecute): Buffer {
  return encodeGenlMessage({
    type: fam.packet,
    flags: NLM_F_REQUEST | NLM_F_ACK,
    seq,
    pid: 0,
    cmd: OVS_PACKET_CMD_EXECUTE,
    version: OVS_PACKET_VERSION,
    payload: encodePacketMessage({
      dpIfindex: ex.dpIfindex,
      packet: ex.packet,
      keyRaw: ex.keyRaw,
      actions: ex.actions,
      mru: ex.mru,
    }),
  });
}
