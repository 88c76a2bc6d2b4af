/**
 * Datapath actions against openvswitch.ko and OVS 3.1's ovs-dpctl, both directions:
 *
 * - ovs-dpctl → kernel → us: the real `ovs-dpctl add-flow` installs (key, actions); our
 *   decoder and formatter read the flow back from the kernel (OVS_FLOW_CMD_GET dump) and must
 *   print exactly what `ovs-dpctl dump-flows` prints; the kernel's bytes must re-encode byte for
 *   byte, and the printed text must parse back to the same actions.
 * - us → kernel → ovs-dpctl: our parser and encoder install the same text with
 *   OVS_FLOW_CMD_NEW; the kernel must store the very bytes it stored for ovs-dpctl's request, and
 *   `ovs-dpctl dump-flows` must print the same text. Actions OVS 3.1 prints but cannot parse
 *   (hash, push_mpls, pop_mpls, push_eth, pop_eth, dec_ttl) go this way only.
 * - Actions the kernel refuses are listed with the errno it returns, for both installers.
 *
 * Every kernel action buffer seen is written to $OVSVM_OUT/actions-golden.json, the source of
 * test/unit/golden/actions.json.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { attr, parseAttrs } from '../../src/genl/nlattr';
import { GenlSocket, type ResolvedFamily } from '../../src/genl/socket';
import { decodeActions, encodeActions, formatActionBytes, formatActions } from '../../src/genl/actions';
import { OdpActionsParseError, parseOdpActions } from '../../src/genl/odp-actions-text';
import { encodeFlowMessage } from '../../src/genl/messages';
import { NetlinkError, NLM_F_CREATE, NLM_F_EXCL, errnoName } from '../../src/genl/netlink';
import {
  OVS_FLOW_ATTR_ACTIONS,
  OVS_FLOW_ATTR_KEY,
  OVS_FLOW_ATTR_MASK,
  OVS_FLOW_CMD_DEL,
  OVS_FLOW_CMD_GET,
  OVS_FLOW_CMD_NEW,
  OVS_FLOW_FAMILY,
} from '../../src/genl/openvswitch';
import { parseOdpFlowKeyBytes } from '../../src/genl/odp-key-text';
import { cleanupDatapath, requireKernel, run, scaled, sh } from './lib/env';

requireKernel();

const DP = 'tsvacts';

/** Flow keys that satisfy each action's prerequisites (ovs-dpctl key syntax). */
const KEYS = {
  L2: 'in_port(1),eth(src=00:00:00:00:00:01,dst=00:00:00:00:00:02),eth_type(0x1234)',
  IP4G: 'in_port(1),eth(),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=47,tos=0,ttl=64,frag=no)',
  IP4T: 'in_port(1),eth(),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=6,tos=0,ttl=64,frag=no),tcp(src=1,dst=21),tcp_flags(0)',
  IP4U: 'in_port(1),eth(),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=17,tos=0,ttl=64,frag=no),udp(src=1,dst=2)',
  IP4S: 'in_port(1),eth(),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=132,tos=0,ttl=64,frag=no),sctp(src=1,dst=2)',
  IP4I: 'in_port(1),eth(),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=1,tos=0,ttl=64,frag=no),icmp(type=8,code=0)',
  IP6G: 'in_port(1),eth(),eth_type(0x86dd),ipv6(src=fe80::1,dst=fe80::2,label=0,proto=47,tclass=0,hlimit=64,frag=no)',
  IP6T: 'in_port(1),eth(),eth_type(0x86dd),ipv6(src=::1,dst=::2,label=0,proto=6,tclass=0,hlimit=64,frag=no),tcp(src=1,dst=2),tcp_flags(0)',
  ARP: 'in_port(1),eth(),eth_type(0x0806),arp(sip=1.1.1.1,tip=2.2.2.2,op=1,sha=00:00:00:00:00:01,tha=00:00:00:00:00:02)',
  VLAN: 'in_port(1),eth(),eth_type(0x8100),vlan(vid=10,pcp=0),encap(eth_type(0x1234))',
  MPLS: 'in_port(1),eth(),eth_type(0x8847),mpls(label=100,tc=0,ttl=64,bos=1)',
  NSH: 'in_port(1),eth(),eth_type(0x894f),nsh(flags=0,mdtype=1,np=3,spi=0x10,si=255,c1=0,c2=0,c3=0,c4=0)',
  L3: 'in_port(1),packet_type(ns=1,id=0x800),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=47,tos=0,ttl=64,frag=no)',
} as const;

interface Case {
  key: keyof typeof KEYS;
  /** The action text installed. */
  actions: string;
  /** What `ovs-dpctl dump-flows` prints after `actions:`; default: `actions` itself. */
  shows?: string;
  /** errno name the kernel refuses the flow with. */
  rejects?: string;
  /** Neither ovs-dpctl ("parsing actions (Invalid argument)") nor our parser accepts the text. */
  parseFails?: boolean;
  /** 'ts': OVS 3.1 cannot parse the text, so only our parser and encoder install it. */
  add?: 'ts';
  /** Also install with our parser and encoder and expect the kernel to store the same bytes. */
  reverse?: boolean;
  /** Why the printed text does not parse back to the same actions (OVS's printer loses information). */
  noReparse?: string;
  /** What we print with `readableDecTtl` when that differs from `shows`. */
  readable?: string;
}

const DEC_TTL_AS_TNL_PUSH = 'OVS 3.1 prints the kernel\'s DEC_TTL (type 23) as its userspace TUNNEL_PUSH';

const COOKIE48 = [...Array(48).keys()].map((i) => i.toString(16).padStart(2, '0')).join('');

const CASES: Case[] = [
  // output, drop
  { key: 'L2', actions: '1', reverse: true },
  { key: 'L2', actions: '1,2,3', reverse: true },
  { key: 'L2', actions: '', shows: 'drop', reverse: true },
  { key: 'L2', actions: '0x3', shows: '3', reverse: true },
  { key: 'L2', actions: '1,recirc(2),3', shows: '1,recirc(0x2),3' },
  // userspace, with every cookie OVS knows
  { key: 'L2', actions: 'userspace(pid=1)', shows: `userspace(pid=1,userdata(${'00'.repeat(48)}))`, reverse: true },
  { key: 'L2', actions: 'userspace(pid=4294967295,userdata(0102030405))', shows: 'userspace(pid=4294967295,userdata(0102030405000000))', reverse: true },
  { key: 'L2', actions: 'userspace(pid=1,userdata(01020304),actions)', shows: 'userspace(pid=1,userdata(0102030400000000),actions)' },
  { key: 'L2', actions: 'userspace(pid=1,userdata(0102030405060708090a),tunnel_out_port=2)', reverse: true },
  { key: 'L2', actions: `userspace(pid=7,userdata(${COOKIE48}))` },
  { key: 'L2', actions: 'userspace(pid=1,sFlow(vid=10,pcp=3,output=2))', reverse: true },
  { key: 'L2', actions: 'userspace(pid=1,slow_path(cfm|lacp))', shows: 'userspace(pid=1,slow_path(cfm,lacp))', reverse: true, noReparse: "OVS prints slow_path reasons joined by ',' but parses them joined by '|'" },
  { key: 'L2', actions: 'userspace(pid=1,slow_path(0x41))', shows: 'userspace(pid=1,slow_path(cfm,match))', noReparse: "OVS prints slow_path reasons joined by ',' but parses them joined by '|'" },

  { key: 'L2', actions: 'userspace(pid=1,slow_path(match))' },
  { key: 'L2', actions: 'userspace(pid=1,flow_sample(probability=100,collector_set_id=1,obs_domain_id=2,obs_point_id=3,output_port=4,ingress))', reverse: true },
  { key: 'L2', actions: 'userspace(pid=1,flow_sample(probability=65535,collector_set_id=1,obs_domain_id=2,obs_point_id=3,output_port=4,egress),actions)' },
  { key: 'L2', actions: 'userspace(pid=1,ipfix(output_port=5))' },
  { key: 'L2', actions: 'userspace(pid=1,controller(reason=1,dont_send=0,continuation=1,recirc_id=5,rule_cookie=abc,controller_id=3,max_len=128))', shows: 'userspace(pid=1,controller(reason=1,dont_send=0,continuation=1,recirc_id=5,rule_cookie=0xabc,controller_id=3,max_len=128))', reverse: true },
  // set / set_masked of every key attribute the kernel can write
  { key: 'L2', actions: 'set(skb_mark(5))', shows: 'set(skb_mark(0x5))', reverse: true },
  { key: 'L2', actions: 'set(skb_mark(0x5/0xff))', reverse: true },
  { key: 'L2', actions: 'set(skb_priority(7))', shows: 'set(skb_priority(0x7))' },
  { key: 'L2', actions: 'set(eth(src=00:11:22:33:44:55,dst=66:77:88:99:aa:bb))', reverse: true },
  { key: 'L2', actions: 'set(eth(dst=00:11:22:33:44:55))', reverse: true },
  { key: 'L2', actions: 'set(eth(src=00:11:22:00:00:00/ff:ff:ff:00:00:00))' },
  { key: 'L2', actions: 'set(ct_mark(5))', shows: 'set(ct_mark(0x5))' },
  { key: 'L2', actions: 'set(ct_mark(0x5/0xf))' },
  { key: 'L2', actions: 'set(ct_label(0x5))', reverse: true },
  { key: 'L2', actions: 'set(ct_label(0x5/0xff))' },
  { key: 'L2', actions: 'set(tunnel(ipv6_src=::1,ipv6_dst=::2,ttl=64,flags(key)))', shows: 'set(tunnel(ipv6_src=::1,ipv6_dst=::2,ttl=64,flags(0)))', reverse: true },
  { key: 'L2', actions: 'set(tunnel(tun_id=0x5,src=1.1.1.1,dst=2.2.2.2,ttl=64,flags(df|key)))', reverse: true },
  { key: 'L2', actions: 'set(tunnel(tun_id=0x5,src=1.1.1.1,dst=2.2.2.2,tos=0x4,ttl=64,tp_src=1,tp_dst=4789,flags(df|csum|key)))' },
  { key: 'L2', actions: 'set(tunnel(tun_id=0x1,dst=2.2.2.2,ttl=64,vxlan(gbp(id=10,flags=0x1)),flags(key)))', reverse: true },
  { key: 'L2', actions: 'set(tunnel(dst=2.2.2.2,ttl=64,erspan(ver=1,idx=0x7),flags(key)))', shows: 'set(tunnel(dst=2.2.2.2,ttl=64,erspan(ver=1,idx=0x7),flags(0)))' },
  { key: 'L2', actions: 'set(tunnel(dst=2.2.2.2,ttl=64,erspan(ver=2,dir=1,hwid=0x5),flags(key)))', shows: 'set(tunnel(dst=2.2.2.2,ttl=64,erspan(ver=2,dir=1,hwid=0x5),flags(0)))' },
  { key: 'L2', actions: 'set(tunnel(tun_id=0x1,dst=2.2.2.2,ttl=64,geneve({class=0x102,type=0x80,len=4,0xa}),flags(df|key)))', reverse: true },
  { key: 'IP4U', actions: 'set(ipv4(src=1.2.3.4,dst=5.6.7.8,proto=17,tos=0,ttl=64,frag=no))', reverse: true },
  { key: 'IP4U', actions: 'set(ipv4(src=1.2.3.0/255.255.255.0))', reverse: true },
  { key: 'IP4T', actions: 'set(ipv4(src=1.2.3.4,dst=5.6.7.8,proto=6,tos=0,ttl=64,frag=no))', reverse: true },
  { key: 'IP4U', actions: 'set(ipv4(ttl=5))' },
  { key: 'IP4U', actions: 'set(ipv4(tos=0x4/0xfc,ttl=5))' },
  { key: 'IP4T', actions: 'set(tcp(src=1,dst=2))', reverse: true },
  { key: 'IP4T', actions: 'set(tcp(dst=80))' },
  { key: 'IP4T', actions: 'set(tcp(src=0x100/0xff00))', shows: 'set(tcp(src=256/0xff00))' },
  { key: 'IP4U', actions: 'set(udp(src=1,dst=2))' },
  { key: 'IP4U', actions: 'set(udp(dst=53))', reverse: true },
  { key: 'IP4S', actions: 'set(sctp(src=1,dst=2))' },
  { key: 'IP4S', actions: 'set(sctp(dst=9))' },
  { key: 'IP6T', actions: 'set(ipv6(dst=fe80::2))' },
  { key: 'IP6T', actions: 'set(ipv6(label=0x5))', reverse: true },
  { key: 'IP6T', actions: 'set(ipv6(hlimit=5))' },
  { key: 'MPLS', actions: 'set(mpls(label=5,tc=0,ttl=64,bos=1))', reverse: true },
  { key: 'MPLS', actions: 'set(mpls(label=5/0xfffff))', shows: 'set(mpls(label=5/0xfffff,tc=0/0,ttl=0/0x0,bos=0/0))', reverse: true },
  { key: 'MPLS', actions: 'set(mpls(ttl=5))', shows: 'set(mpls(label=0/0x0,tc=0/0,ttl=5/0xff,bos=0/0))' },

  // VLAN
  { key: 'L2', actions: 'push_vlan(vid=10,pcp=0)', reverse: true },
  { key: 'L2', actions: 'push_vlan(vid=10,pcp=5),1' },
  { key: 'L2', actions: 'push_vlan(tpid=0x88a8,vid=100,pcp=3)', reverse: true },
  { key: 'VLAN', actions: 'pop_vlan', reverse: true },
  { key: 'VLAN', actions: 'pop_vlan,1' },
  // sample
  { key: 'L2', actions: 'sample(sample=50.0%,actions(1))', reverse: true },
  { key: 'L2', actions: 'sample(sample=100.0%,actions())', shows: 'sample(sample=100.0%,actions(drop))', reverse: true },
  { key: 'L2', actions: 'sample(sample=0.0%,actions(1,2))' },
  { key: 'L2', actions: 'sample(sample=33.3%,actions(userspace(pid=1)))', shows: `sample(sample=33.3%,actions(userspace(pid=1,userdata(${'00'.repeat(48)}))))` },
  { key: 'L2', actions: 'sample(sample=12.34567%,actions(1))', shows: 'sample(sample=12.3%,actions(1))', reverse: true },
  // recirc, hash
  { key: 'L2', actions: 'recirc(1)', shows: 'recirc(0x1)', reverse: true },
  { key: 'L2', actions: 'recirc(0)' },
  { key: 'L2', actions: 'recirc(4294967295)', shows: 'recirc(0xffffffff)' },
  { key: 'IP4G', actions: 'hash(l4(0)),recirc(1)', shows: 'hash(l4(0)),recirc(0x1)', add: 'ts' },
  { key: 'IP4G', actions: 'hash(l4(4294967295))', add: 'ts' },
  // MPLS
  { key: 'IP4G', actions: 'push_mpls(label=10,tc=0,ttl=64,bos=1,eth_type=0x8847)', add: 'ts' },
  { key: 'IP4G', actions: 'push_mpls(label=1048575,tc=7,ttl=255,bos=0,eth_type=0x8848),1', add: 'ts' },
  { key: 'MPLS', actions: 'pop_mpls(eth_type=0x800)', add: 'ts' },
  { key: 'L2', actions: 'add_mpls(label=10,tc=0,ttl=64,bos=1,eth_type=0x8847)', reverse: true },
  { key: 'MPLS', actions: 'add_mpls(label=10,tc=0,ttl=64,bos=0,eth_type=0x8847)' },
  // conntrack
  { key: 'IP4G', actions: 'ct', reverse: true },
  { key: 'IP4G', actions: 'ct(commit)', reverse: true },
  { key: 'IP4G', actions: 'ct(force_commit)' },
  { key: 'IP4G', actions: 'ct(zone=5)', reverse: true },
  { key: 'IP4G', actions: 'ct(commit,zone=1,mark=0x1/0xff)', reverse: true },
  { key: 'IP4G', actions: 'ct(commit,mark=0x5)', shows: 'ct(commit,mark=0x5/0xffffffff)' },
  { key: 'IP4G', actions: 'ct(commit,label=0x1/0xff)', reverse: true },
  { key: 'IP4G', actions: 'ct(commit,label=0x1234567890abcdef1234567890abcdef)' },
  { key: 'IP4T', actions: 'ct(commit,helper=ftp)', reverse: true },
  { key: 'IP4G', actions: 'ct(nat)', reverse: true },
  { key: 'IP4G', actions: 'ct(commit,nat(src=10.0.0.1-10.0.0.9:100-200,random))', reverse: true },
  { key: 'IP4G', actions: 'ct(commit,nat(src=10.0.0.1))' },
  { key: 'IP4G', actions: 'ct(commit,nat(dst=10.0.0.1:80,persistent,hash))', reverse: true },
  { key: 'IP4G', actions: 'ct(commit,nat(src))' },
  { key: 'IP4G', actions: 'ct(commit,nat(src,random))', shows: 'ct(commit,nat(src))' },
  { key: 'IP6G', actions: 'ct(commit,nat(src=fe80::1-fe80::9))', reverse: true },
  { key: 'IP6G', actions: 'ct(commit,nat(dst=[fe80::1]:100-200))', reverse: true },
  { key: 'IP4T', actions: 'ct(commit,zone=1,helper=ftp,nat(dst=1.2.3.4))', reverse: true },
  { key: 'IP4G', actions: 'ct(commit,zone=3),recirc(5)', shows: 'ct(commit,zone=3),recirc(0x5)' },
  { key: 'IP4G', actions: 'ct(commit,timeout=nosuchpolicy)', reverse: true },
  { key: 'IP4G', actions: 'ct_clear', reverse: true },
  // trunc, meter
  { key: 'L2', actions: 'trunc(100)', reverse: true },
  { key: 'L2', actions: 'trunc(100),1' },
  { key: 'L2', actions: 'meter(5)', reverse: true },
  { key: 'L2', actions: 'meter(0)' },
  // clone, check_pkt_len
  { key: 'L2', actions: 'clone(1)', reverse: true },
  { key: 'L2', actions: 'clone(push_vlan(vid=1,pcp=0),2),3', reverse: true },
  { key: 'L2', actions: 'clone()', shows: 'clone(drop)' },
  { key: 'L2', actions: 'clone(clone(1))' },
  { key: 'L2', actions: 'check_pkt_len(size=100,gt(1),le(2))', reverse: true },
  { key: 'L2', actions: 'check_pkt_len(size=200,gt(drop),le(1))', reverse: true },
  { key: 'L2', actions: 'check_pkt_len(size=200,gt(),le())', shows: 'check_pkt_len(size=200,gt(drop),le(drop))' },
  { key: 'L2', actions: 'check_pkt_len(size=1500,gt(push_vlan(vid=5,pcp=0),1),le(sample(sample=50.0%,actions(2))))', reverse: true },
  // NSH
  { key: 'L2', actions: 'push_nsh(flags=0,ttl=63,mdtype=1,np=3,spi=0x10,si=255,c1=0x1,c2=0x2,c3=0x3,c4=0x4)', reverse: true },
  { key: 'L2', actions: 'push_nsh(mdtype=2,np=3,spi=0x10,si=255,md2=0x00010203)', shows: 'push_nsh(flags=0,ttl=63,mdtype=2,np=3,spi=0x10,si=255,md2=0x10203)', reverse: true, noReparse: 'OVS prints md2 without its leading zero bytes' },
  { key: 'L2', actions: 'push_nsh(flags=1,ttl=10,mdtype=2,np=1,spi=0xabcdef,si=7,md2=0x1122334455667788)', shows: 'push_nsh(flags=1,ttl=10,mdtype=2,np=1,spi=0xabcdef,si=7,md2=0x1122334455667788)', reverse: true },
  { key: 'L2', actions: 'push_nsh(spi=0x5,si=3)', shows: 'push_nsh(flags=0,ttl=63,mdtype=1,np=3,spi=0x5,si=3,c1=0x0,c2=0x0,c3=0x0,c4=0x0)' },
  { key: 'NSH', actions: 'pop_nsh()', add: 'ts' },
  // Ethernet header
  { key: 'L3', actions: 'push_eth(src=00:00:00:00:00:01,dst=00:00:00:00:00:02)', add: 'ts' },
  { key: 'L2', actions: 'pop_eth', add: 'ts' },
  { key: 'L2', actions: 'pop_eth,push_eth(src=00:00:00:00:00:03,dst=00:00:00:00:00:04),1', add: 'ts' },
  // dec_ttl
  {
    key: 'IP4G', actions: 'dec_ttl(le_1(1))', add: 'ts', readable: 'dec_ttl(le_1(1))', noReparse: DEC_TTL_AS_TNL_PUSH,
    shows: 'tnl_push(tnl_port(65548),header(size=1,type=0,eth(dst=00:00:00:00:00:00,src=00:00:00:00:00:00,dl_type=0x0000),ipv6(src=::,dst=::,label=0,proto=0,tclass=0x0,hlimit=0),),out_port(65544))',
  },
  {
    key: 'IP4G', actions: 'dec_ttl(le_1(userspace(pid=1,userdata(0102030405060708)))),2', add: 'ts', readable: 'dec_ttl(le_1(userspace(pid=1,userdata(0102030405060708)))),2', noReparse: DEC_TTL_AS_TNL_PUSH,
    shows: 'tnl_push(tnl_port(65564),header(size=65544,type=1,eth(dst=0c:00:02:00:01:02,src=03:04:05:06:07:08,dl_type=0x0800),ipv4(src=0.0.0.0,dst=0.0.0.0,proto=0,tos=0,ttl=0,frag=0x0),),out_port(131096)),2',
  },
  {
    key: 'L2', actions: 'dec_ttl(le_1(1))', add: 'ts', readable: 'dec_ttl(le_1(1))', noReparse: DEC_TTL_AS_TNL_PUSH,
    shows: 'tnl_push(tnl_port(65548),header(size=1,type=0,eth(dst=00:00:00:00:00:00,src=00:00:00:00:00:00,dl_type=0x0000),ipv6(src=::,dst=::,label=0,proto=0,tclass=0x0,hlimit=0),),out_port(65544))',
  },
  {
    key: 'IP4G', actions: 'dec_ttl(le_1(4)),1', add: 'ts', readable: 'dec_ttl(le_1(4)),1', noReparse: DEC_TTL_AS_TNL_PUSH,
    shows: 'tnl_push(tnl_port(65548),header(size=4,type=65544,eth(dst=01:00:00:00:00:00,src=00:00:00:00:00:00,dl_type=0x0000),ipv6(src=::,dst=::,label=0,proto=0,tclass=0x0,hlimit=0),),out_port(65544)),1',
  },
  {
    key: 'IP4G', actions: 'dec_ttl(le_1(3)),push_vlan(vid=5,pcp=1),1', add: 'ts', readable: 'dec_ttl(le_1(3)),push_vlan(vid=5,pcp=1),1', noReparse: DEC_TTL_AS_TNL_PUSH,
    shows: 'tnl_push(tnl_port(65548),header(size=3,type=262152,eth(dst=81:00:30:05:08:00,src=01:00:01:00:00:00,dl_type=0x0000),ipv6(src=::,dst=::,label=0,proto=0,tclass=0x0,hlimit=0),),out_port(65544)),push_vlan(vid=5,pcp=1),1',
  },
  {
    key: 'IP4G', actions: 'clone(dec_ttl(le_1(5)),2),3', add: 'ts', readable: 'clone(dec_ttl(le_1(5)),2),3', noReparse: DEC_TTL_AS_TNL_PUSH,
    shows: 'clone(tnl_push(tnl_port(65548),header(size=5,type=65544,eth(dst=02:00:00:00:08:00,src=01:00:03:00:00:00,dl_type=0x0000),ipv6(src=::,dst=::,label=0,proto=0,tclass=0x0,hlimit=0),),out_port(65544)),2),3',
  },
  {
    key: 'IP4G', actions: 'dec_ttl(le_1())', add: 'ts', readable: 'dec_ttl(le_1(drop))', noReparse: DEC_TTL_AS_TNL_PUSH,
    shows: 'tnl_push(tnl_port(65540),header(size=0,type=0,eth(dst=00:00:00:00:00:00,src=00:00:00:00:00:00,dl_type=0x0000),ipv6(src=::,dst=::,label=0,proto=0,tclass=0x0,hlimit=0),),out_port(0))',
  },
  // refused by the kernel (errno documented)
  { key: 'L2', actions: 'drop', rejects: 'EINVAL' },
  { key: 'L2', actions: 'tnl_pop(1)', rejects: 'EINVAL' },
  { key: 'L2', actions: 'lb_output(1)', rejects: 'EINVAL' },
  { key: 'L2', actions: 'push_vlan(vid=10,pcp=0,cfi=0)', rejects: 'EINVAL', reverse: true },
  { key: 'L2', actions: 'push_vlan(tpid=0x1234,vid=10,pcp=0)', rejects: 'EINVAL', reverse: true },
  { key: 'L2', actions: 'trunc(10),1', rejects: 'EINVAL', reverse: true },
  { key: 'L2', actions: 'set(in_port(2))', rejects: 'EINVAL' },
  { key: 'L2', actions: 'set(recirc_id(2))', rejects: 'EINVAL' },
  { key: 'L2', actions: 'set(dp_hash(2))', rejects: 'EINVAL' },
  { key: 'L2', actions: 'set(eth_type(0x0800))', rejects: 'EINVAL' },
  { key: 'L2', actions: 'set(eth(src=00:11:22:33:44:55/ff:ff:ff:00:00:00))', rejects: 'EINVAL', reverse: true },
  { key: 'IP4U', actions: 'set(ipv4(src=1.2.3.4/255.255.255.0))', rejects: 'EINVAL', reverse: true },
  { key: 'IP6T', actions: 'set(ipv6(src=fe80::1,dst=fe80::2,label=0x12345,proto=6,tclass=0x10,hlimit=7,frag=no))', rejects: 'EINVAL', reverse: true },
  { key: 'L2', actions: 'set(tunnel(tun_id=0x5,dst=2.2.2.2))', rejects: 'EINVAL' },
  { key: 'IP4T', actions: 'set(ipv4(proto=17))', rejects: 'EINVAL' },
  { key: 'IP4U', actions: 'set(tcp(src=1,dst=2))', rejects: 'EINVAL' },
  { key: 'IP4I', actions: 'set(icmp(type=8,code=0))', rejects: 'EINVAL' },
  { key: 'ARP', actions: 'set(arp(sip=1.1.1.1,tip=2.2.2.2,op=1,sha=00:00:00:00:00:01,tha=00:00:00:00:00:02))', rejects: 'EINVAL' },
  { key: 'VLAN', actions: 'set(vlan(vid=5))', rejects: 'EINVAL' },
  { key: 'L2', actions: 'ct(commit)', rejects: 'EINVAL', reverse: true },

  { key: 'IP4G', actions: 'hash(sym_l4(5))', rejects: 'EINVAL', add: 'ts' },
  { key: 'L2', actions: 'push_eth(src=00:00:00:00:00:01,dst=00:00:00:00:00:02)', rejects: 'EINVAL', add: 'ts' },
  { key: 'L3', actions: 'pop_eth', rejects: 'EINVAL', add: 'ts' },
  { key: 'L2', actions: 'pop_mpls(eth_type=0x800)', rejects: 'EINVAL', add: 'ts' },
  { key: 'L2', actions: 'pop_nsh()', rejects: 'EINVAL' },
  { key: 'L2', actions: 'check_pkt_len(size=0,gt(1),le(2))', rejects: 'EINVAL' },
  { key: 'IP4G', actions: 'set(nsh(spi=0x20))', rejects: 'EINVAL', add: 'ts' },
  { key: 'NSH', actions: 'set(nsh(flags=0,ttl=63,mdtype=1,np=3,spi=0x20,si=5,c1=0x1,c2=0x2,c3=0x3,c4=0x4))', rejects: 'EINVAL', add: 'ts' },
  { key: 'NSH', actions: 'set(nsh(mdtype=1,np=3,spi=0x20,si=5,c1=0x1))', rejects: 'EINVAL', add: 'ts' },
  // refused by ovs-dpctl's parser and ours alike
  { key: 'L2', actions: 'userspace(pid=1,slow_path(0x80))', parseFails: true },
  { key: 'L2', actions: 'userspace(pid=1,userdata(012))', parseFails: true },
  { key: 'L2', actions: 'push_vlan(vid=4096,pcp=0)', parseFails: true },
  { key: 'L2', actions: 'sample(sample=101%,actions(1))', parseFails: true },
  { key: 'IP4G', actions: 'ct(commit,force_commit)', parseFails: true },
  { key: 'IP4G', actions: 'ct(nat(src,dst))', parseFails: true },
  { key: 'IP4G', actions: 'ct(commit,)', parseFails: true },
  { key: 'L2', actions: 'push_nsh(mdtype=3)', parseFails: true },
  { key: 'L2', actions: 'drop,1', parseFails: true },
  { key: 'L2', actions: '1x', parseFails: true },
  { key: 'L2', actions: 'pop_vlan2', parseFails: true },
  { key: 'L2', actions: 'set(skb_mark(1)),trunc(100)x', parseFails: true },
];

/** One kernel action buffer for test/unit/golden/actions.json. */
interface GoldenEntry {
  key: string;
  input: string;
  installedBy: 'ovs-dpctl' | 'ts';
  ovsDpctl: string;
  hex: string;
}

describe('datapath actions: ovs-dpctl and our codec agree on openvswitch.ko', { timeout: scaled(1_800_000) }, () => {
  let sock: GenlSocket;
  let flow: ResolvedFamily;
  let dpIfindex: number;
  const golden: GoldenEntry[] = [];
  const keyMaskCache = new Map<string, { key: Buffer; mask: Buffer }>();

  /** The flows in the datapath, raw: key, mask and actions payloads. */
  async function dumpRaw(): Promise<{ key: Buffer; mask: Buffer; actions: Buffer }[]> {
    const bodies = await sock.dump(flow.id, OVS_FLOW_CMD_GET, flow.version, encodeFlowMessage({ dpIfindex }), 'OVS_FLOW_CMD_GET dump');
    return bodies.map((b) => {
      const attrs = parseAttrs(b.subarray(4));
      const get = (t: number) => attrs.find((a) => a.type === t)?.data ?? Buffer.alloc(0);
      return { key: get(OVS_FLOW_ATTR_KEY), mask: get(OVS_FLOW_ATTR_MASK), actions: get(OVS_FLOW_ATTR_ACTIONS) };
    });
  }

  async function flush(): Promise<void> {
    await sock.transact(flow.id, OVS_FLOW_CMD_DEL, flow.version, 0, encodeFlowMessage({ dpIfindex }), 'OVS_FLOW_CMD_DEL flush');
  }

  /** `ovs-dpctl dump-flows`: the text after "actions:" of the only flow. */
  async function ovsActionsText(): Promise<string> {
    const lines = (await run(['ovs-dpctl', 'dump-flows', DP])).split('\n').filter((l) => l.trim());
    assert.equal(lines.length, 1, `expected one flow, ovs-dpctl shows:\n${lines.join('\n')}`);
    const at = lines[0].indexOf(', actions:');
    assert.ok(at >= 0, lines[0]);
    return lines[0].slice(at + ', actions:'.length);
  }

  /** Key and mask bytes the kernel keeps for a key text (from a probe flow installed by ovs-dpctl). */
  async function keyMask(k: keyof typeof KEYS): Promise<{ key: Buffer; mask: Buffer }> {
    const cached = keyMaskCache.get(k);
    if (cached) return cached;
    await flush();
    // ovs-dpctl 3.1 cannot parse nsh() keys; ./odp-key-text can.
    const probe = await sh(['ovs-dpctl', 'add-flow', DP, KEYS[k], '1']);
    if (probe.code !== 0) {
      assert.match(probe.stderr, /parsing flow key/, probe.stderr);
      await addRaw(parseOdpFlowKeyBytes(KEYS[k]), encodeActions([{ type: 'output', port: 1 }]));
    }
    const [f] = await dumpRaw();
    await flush();
    const km = { key: Buffer.from(f.key), mask: Buffer.from(f.mask) };
    keyMaskCache.set(k, km);
    return km;
  }

  /** OVS_FLOW_CMD_NEW with our encoded actions. */
  async function addOurs(k: keyof typeof KEYS, actions: Buffer): Promise<void> {
    await addRaw(await keyMask(k), actions);
  }

  async function addRaw(km: { key: Buffer; mask: Buffer }, actions: Buffer): Promise<void> {
    const body = Buffer.concat([
      encodeFlowMessage({ dpIfindex }),
      attr(OVS_FLOW_ATTR_KEY, km.key),
      attr(OVS_FLOW_ATTR_MASK, km.mask),
      attr(OVS_FLOW_ATTR_ACTIONS, actions),
    ]);
    await sock.transact(flow.id, OVS_FLOW_CMD_NEW, flow.version, NLM_F_CREATE | NLM_F_EXCL, body, 'OVS_FLOW_CMD_NEW');
  }

  /** The checks every installed flow must pass; returns the kernel's action bytes. */
  async function checkInstalled(c: Case, installedBy: GoldenEntry['installedBy']): Promise<Buffer> {
    const expected = c.shows ?? c.actions;
    const ovsText = await ovsActionsText();
    const flows = await dumpRaw();
    assert.equal(flows.length, 1);
    const raw = Buffer.from(flows[0].actions);
    if (!golden.some((g) => g.input === c.actions && g.key === KEYS[c.key])) {
      golden.push({ key: KEYS[c.key], input: c.actions, installedBy, ovsDpctl: ovsText, hex: raw.toString('hex') });
    }
    const decoded = decodeActions(raw);
    assert.equal(encodeActions(decoded).toString('hex'), raw.toString('hex'), 'kernel bytes re-encode byte for byte');
    assert.equal(ovsText, expected, 'ovs-dpctl dump-flows');
    assert.equal(formatActionBytes(raw), expected, 'our formatter on the kernel bytes');
    assert.equal(formatActions(decoded), expected, 'our formatter on the decoded actions');
    const readable = c.readable ?? expected;
    assert.equal(formatActions(decoded, { readableDecTtl: true }), readable, 'our formatter with readableDecTtl');
    if (!c.noReparse || c.readable) assert.equal(formatActions(parseOdpActions(readable), { readableDecTtl: true }), readable, 'the printed text parses back');
    return raw;
  }

  before(async () => {
    await cleanupDatapath(DP);
    await run(['ovs-dpctl', 'add-dp', DP]);
    dpIfindex = Number(fs.readFileSync(`/sys/class/net/${DP}/ifindex`, 'utf8').trim());
    sock = GenlSocket.open();
    flow = await sock.resolveFamily(OVS_FLOW_FAMILY);
  });

  after(async () => {
    sock?.close();
    await cleanupDatapath(DP);
    if (process.env.OVSVM_OUT) {
      fs.writeFileSync(path.join(process.env.OVSVM_OUT, 'actions-golden.json'), `${JSON.stringify(golden, null, 1)}\n`);
    }
  });

  test('covers at least 60 (key, actions) pairs and every OVS_ACTION_ATTR_* of the 6.1 kernel', () => {
    const accepted = CASES.filter((x) => !x.rejects && !x.parseFails);
    assert.ok(accepted.length >= 60, `${accepted.length} accepted (key, actions) pairs`);
    const types = new Set(CASES.filter((x) => !x.rejects && !x.parseFails).flatMap((c) => parseOdpActions(c.actions).map((a) => a.type)));
    for (const t of ['output', 'userspace', 'set', 'push_vlan', 'pop_vlan', 'sample', 'recirc', 'hash', 'push_mpls', 'pop_mpls', 'set_masked',
      'ct', 'trunc', 'push_eth', 'pop_eth', 'ct_clear', 'push_nsh', 'pop_nsh', 'meter', 'clone', 'check_pkt_len', 'add_mpls', 'dec_ttl']) {
      assert.ok(types.has(t as never), `no accepted case exercises ${t}`);
    }
  });

  for (const c of CASES) {
    const title = `[${c.key}] ${c.actions || '(empty)'}${c.rejects ? ` is refused with ${c.rejects}` : ''}${c.parseFails ? ' does not parse' : ''}${c.add === 'ts' ? ' (installed by us)' : ''}`;
    test(title, async () => {
      await flush();
      if (c.parseFails) {
        const r = await sh(['ovs-dpctl', 'add-flow', DP, KEYS[c.key], c.actions]);
        const why = /^ovs-dpctl: parsing actions \((.*)\)$/m.exec(r.stderr);
        assert.ok(why, r.stderr);
        assert.throws(() => parseOdpActions(c.actions), (e: unknown) => e instanceof OdpActionsParseError && e.message.endsWith(`(${why[1]})`));
        return;
      }
      if (c.add !== 'ts') {
        const r = await sh(['ovs-dpctl', 'add-flow', DP, KEYS[c.key], c.actions]);
        if (c.rejects) {
          assert.notEqual(r.code, 0, `ovs-dpctl add-flow unexpectedly succeeded:\n${await run(['ovs-dpctl', 'dump-flows', DP])}`);
          assert.match(r.stderr, /updating flow table \(Invalid argument\)/, r.stderr);
        } else {
          assert.equal(r.code, 0, r.stderr);
          const raw = await checkInstalled(c, 'ovs-dpctl');
          if (c.reverse) {
            await flush();
            await addOurs(c.key, encodeActions(parseOdpActions(c.actions)));
            const back = await checkInstalled(c, 'ts');
            assert.equal(back.toString('hex'), raw.toString('hex'), 'the kernel keeps the same bytes for our request as for ovs-dpctl\'s');
          }
        }
      }
      if (c.add === 'ts' || (c.rejects && c.reverse)) {
        if (c.add === 'ts') {
          const r = await sh(['ovs-dpctl', 'add-flow', DP, KEYS[c.key], c.actions]);
          assert.match(r.stderr, /parsing (actions|flow key \(syntax error at [^\n]*\)) \(Invalid argument\)/, `ovs-dpctl 3.1 parses ${c.actions} now`);
        }
        const ours = encodeActions(parseOdpActions(c.actions));
        if (c.rejects) {
          await assert.rejects(addOurs(c.key, ours), (e: unknown) => e instanceof NetlinkError && errnoName(e.errno) === c.rejects);
        } else {
          await addOurs(c.key, ours);
          await checkInstalled(c, 'ts');
        }
      }
    });
  }
});
