/**
 * Constants of the Open vSwitch Generic Netlink families, named exactly as in
 * `<linux/openvswitch.h>` (kernel 6.1 uapi). Values are copied from that header; the comments
 * give each attribute's payload shape so codecs and callers agree on sizes and byte order:
 * "u32"/"u16"/"u64" are host byte order, "__be16"/"__be32" are network byte order.
 *
 * Every OVS family message body is a `struct ovs_header` (see {@link OVS_HEADER_SIZE}) followed
 * by attributes of that family.
 */

/** `sizeof(struct ovs_header)`: one `int dp_ifindex` (host order, signed); 0 for requests not tied to a datapath. */
export const OVS_HEADER_SIZE = 4;

/** Generic Netlink family name of the datapath family. */
export const OVS_DATAPATH_FAMILY = 'ovs_datapath';
/** Multicast group of the datapath family. */
export const OVS_DATAPATH_MCGROUP = 'ovs_datapath';
/** genlmsghdr.version for the datapath family; V2 expects OVS_DP_ATTR_USER_FEATURES on OVS_DP_CMD_NEW. */
export const OVS_DATAPATH_VERSION = 2;
/** First datapath family version that supports user features. */
export const OVS_DP_VER_FEATURES = 2;

/** Generic Netlink family name of the packet (upcall/execute) family. */
export const OVS_PACKET_FAMILY = 'ovs_packet';
/** genlmsghdr.version for the packet family. */
export const OVS_PACKET_VERSION = 0x1;

/** Generic Netlink family name of the vport family. */
export const OVS_VPORT_FAMILY = 'ovs_vport';
/** Multicast group of the vport family. */
export const OVS_VPORT_MCGROUP = 'ovs_vport';
/** genlmsghdr.version for the vport family. */
export const OVS_VPORT_VERSION = 0x1;

/** Generic Netlink family name of the flow family. */
export const OVS_FLOW_FAMILY = 'ovs_flow';
/** Multicast group of the flow family. */
export const OVS_FLOW_MCGROUP = 'ovs_flow';
/** genlmsghdr.version for the flow family. */
export const OVS_FLOW_VERSION = 0x1;

/** Generic Netlink family name of the meter family. */
export const OVS_METER_FAMILY = 'ovs_meter';
/** Multicast group of the meter family. */
export const OVS_METER_MCGROUP = 'ovs_meter';
/** genlmsghdr.version for the meter family. */
export const OVS_METER_VERSION = 0x1;

/** Generic Netlink family name of the conntrack limit family. */
export const OVS_CT_LIMIT_FAMILY = 'ovs_ct_limit';
/** Multicast group of the conntrack limit family. */
export const OVS_CT_LIMIT_MCGROUP = 'ovs_ct_limit';
/** genlmsghdr.version for the conntrack limit family. */
export const OVS_CT_LIMIT_VERSION = 0x1;

/** OVS_DP_ATTR_USER_FEATURES bit: the last attribute of an upcall (the packet) may be left unpadded. */
export const OVS_DP_F_UNALIGNED = 1 << 0;
/** OVS_DP_ATTR_USER_FEATURES bit: OVS_VPORT_ATTR_UPCALL_PID may hold several port ids. */
export const OVS_DP_F_VPORT_PIDS = 1 << 1;
/** OVS_DP_ATTR_USER_FEATURES bit: share recirc ids with tc offload. */
export const OVS_DP_F_TC_RECIRC_SHARING = 1 << 2;
/** OVS_DP_ATTR_USER_FEATURES bit: dispatch upcalls per CPU via OVS_DP_ATTR_PER_CPU_PIDS. */
export const OVS_DP_F_DISPATCH_UPCALL_PER_CPU = 1 << 3;

/** Odp port number of the datapath's local (internal) port. */
export const OVSP_LOCAL = 0;

/** OVS_FLOW_ATTR_UFID_FLAGS bit: the reply may omit OVS_FLOW_ATTR_KEY. */
export const OVS_UFID_F_OMIT_KEY = 1 << 0;
/** OVS_FLOW_ATTR_UFID_FLAGS bit: the reply may omit OVS_FLOW_ATTR_MASK. */
export const OVS_UFID_F_OMIT_MASK = 1 << 1;
/** OVS_FLOW_ATTR_UFID_FLAGS bit: the reply may omit OVS_FLOW_ATTR_ACTIONS. */
export const OVS_UFID_F_OMIT_ACTIONS = 1 << 2;

/** OVS_KEY_ATTR_CT_STATE bit: beginning of a new connection. */
export const OVS_CS_F_NEW = 0x01;
/** OVS_KEY_ATTR_CT_STATE bit: part of an existing connection. */
export const OVS_CS_F_ESTABLISHED = 0x02;
/** OVS_KEY_ATTR_CT_STATE bit: related to an established connection. */
export const OVS_CS_F_RELATED = 0x04;
/** OVS_KEY_ATTR_CT_STATE bit: packet is in the reply direction. */
export const OVS_CS_F_REPLY_DIR = 0x08;
/** OVS_KEY_ATTR_CT_STATE bit: conntrack could not track the connection. */
export const OVS_CS_F_INVALID = 0x10;
/** OVS_KEY_ATTR_CT_STATE bit: conntrack has run on the packet. */
export const OVS_CS_F_TRACKED = 0x20;
/** OVS_KEY_ATTR_CT_STATE bit: source address/port was NATed. */
export const OVS_CS_F_SRC_NAT = 0x40;
/** OVS_KEY_ATTR_CT_STATE bit: destination address/port was NATed. */
export const OVS_CS_F_DST_NAT = 0x80;
/** OVS_CS_F_SRC_NAT | OVS_CS_F_DST_NAT. */
export const OVS_CS_F_NAT_MASK = OVS_CS_F_SRC_NAT | OVS_CS_F_DST_NAT;

/** Number of u32 words in `struct ovs_key_ct_labels`. */
export const OVS_CT_LABELS_LEN_32 = 4;
/** Bytes in `struct ovs_key_ct_labels` (OVS_KEY_ATTR_CT_LABELS payload). */
export const OVS_CT_LABELS_LEN = OVS_CT_LABELS_LEN_32 * 4;

/** Number of __be32 context words in `struct ovs_nsh_key_md1`. */
export const NSH_MD1_CONTEXT_SIZE = 4;

/** `struct ovs_action_add_mpls.tun_flags` bit: insert the MPLS header at the L3 header rather than the frame start. */
export const OVS_MPLS_L3_TUNNEL_FLAG_MASK = 1 << 0;

/** `struct ovs_zone_limit.zone_id` meaning "the default limit". */
export const OVS_ZONE_LIMIT_DEFAULT_ZONE = -1;

/**
 * Flag bits of the u64 OVS_PACKET_ATTR_HASH payload. Not in the uapi header: defined in the
 * kernel's `net/openvswitch/datapath.h`; bits 0-31 are the skb hash itself.
 */
export const OVS_PACKET_HASH_SW_BIT = 2 ** 32;
/** See {@link OVS_PACKET_HASH_SW_BIT}: set when the skb hash is an L4 hash. */
export const OVS_PACKET_HASH_L4_BIT = 2 ** 33;

/** `enum ovs_datapath_cmd`: Generic Netlink commands of the `ovs_datapath` family (genlmsghdr.cmd). */
export const OVS_DP_CMD_UNSPEC = 0;
export const OVS_DP_CMD_NEW = 1;
export const OVS_DP_CMD_DEL = 2;
export const OVS_DP_CMD_GET = 3;
export const OVS_DP_CMD_SET = 4;

/** `enum ovs_datapath_attr`: attributes after `struct ovs_header` in `OVS_DP_CMD_*` messages. */
export const OVS_DP_ATTR_UNSPEC = 0;
/** NUL-terminated string: name of the local-port netdev (required in OVS_DP_CMD_NEW). */
export const OVS_DP_ATTR_NAME = 1;
/** u32: netlink port id for upcalls of the local port (required in OVS_DP_CMD_NEW; 0 = none). */
export const OVS_DP_ATTR_UPCALL_PID = 2;
/** `struct ovs_dp_stats` (4 x u64). */
export const OVS_DP_ATTR_STATS = 3;
/** `struct ovs_dp_megaflow_stats` (32 bytes). */
export const OVS_DP_ATTR_MEGAFLOW_STATS = 4;
/** u32: OR of OVS_DP_F_*. */
export const OVS_DP_ATTR_USER_FEATURES = 5;
/** Zero-length padding the kernel may insert before 64-bit attributes. */
export const OVS_DP_ATTR_PAD = 6;
/** u32: entries of the per-CPU mask cache. */
export const OVS_DP_ATTR_MASKS_CACHE_SIZE = 7;
/** array of u32: upcall port id per CPU (with OVS_DP_F_DISPATCH_UPCALL_PER_CPU). */
export const OVS_DP_ATTR_PER_CPU_PIDS = 8;
/** u32: ifindex for the new local-port netdev (OVS_DP_CMD_NEW only). */
export const OVS_DP_ATTR_IFINDEX = 9;
/** Highest valid value of the enum above. */
export const OVS_DP_ATTR_MAX = 9;

/** `enum ovs_packet_cmd`: commands of the `ovs_packet` family. MISS and ACTION are kernel-to-user upcalls; EXECUTE is a request. */
export const OVS_PACKET_CMD_UNSPEC = 0;
/** Upcall: no flow matched. */
export const OVS_PACKET_CMD_MISS = 1;
/** Upcall: an OVS_ACTION_ATTR_USERSPACE action ran. */
export const OVS_PACKET_CMD_ACTION = 2;
/** Request: apply actions to a packet. */
export const OVS_PACKET_CMD_EXECUTE = 3;

/** `enum ovs_packet_attr`: attributes after `struct ovs_header` in `OVS_PACKET_CMD_*` messages. */
export const OVS_PACKET_ATTR_UNSPEC = 0;
/** Raw frame from the Ethernet header on. */
export const OVS_PACKET_ATTR_PACKET = 1;
/** Nested OVS_KEY_ATTR_*. */
export const OVS_PACKET_ATTR_KEY = 2;
/** Nested OVS_ACTION_ATTR_*. */
export const OVS_PACKET_ATTR_ACTIONS = 3;
/** Opaque bytes copied from OVS_USERSPACE_ATTR_USERDATA. */
export const OVS_PACKET_ATTR_USERDATA = 4;
/** Nested OVS_TUNNEL_KEY_ATTR_*. */
export const OVS_PACKET_ATTR_EGRESS_TUN_KEY = 5;
export const OVS_PACKET_ATTR_UNUSED1 = 6;
export const OVS_PACKET_ATTR_UNUSED2 = 7;
/** Flag: feature probe, kernel suppresses error logging. */
export const OVS_PACKET_ATTR_PROBE = 8;
/** u16: maximum received fragment size (defragmented packets). */
export const OVS_PACKET_ATTR_MRU = 9;
/** u32: packet length before truncation. */
export const OVS_PACKET_ATTR_LEN = 10;
/** u64: skb hash in bits 0-31, sw_hash flag bit 32, l4_hash flag bit 33. */
export const OVS_PACKET_ATTR_HASH = 11;
/** Highest valid value of the enum above. */
export const OVS_PACKET_ATTR_MAX = 11;

/** `enum ovs_vport_cmd`: commands of the `ovs_vport` family. */
export const OVS_VPORT_CMD_UNSPEC = 0;
export const OVS_VPORT_CMD_NEW = 1;
export const OVS_VPORT_CMD_DEL = 2;
export const OVS_VPORT_CMD_GET = 3;
export const OVS_VPORT_CMD_SET = 4;

/** `enum ovs_vport_type`: values of `OVS_VPORT_ATTR_TYPE` (u32). */
export const OVS_VPORT_TYPE_UNSPEC = 0;
export const OVS_VPORT_TYPE_NETDEV = 1;
export const OVS_VPORT_TYPE_INTERNAL = 2;
export const OVS_VPORT_TYPE_GRE = 3;
export const OVS_VPORT_TYPE_VXLAN = 4;
export const OVS_VPORT_TYPE_GENEVE = 5;
/** Highest valid value of the enum above. */
export const OVS_VPORT_TYPE_MAX = 5;

/** `enum ovs_vport_attr`: attributes after `struct ovs_header` in `OVS_VPORT_CMD_*` messages. */
export const OVS_VPORT_ATTR_UNSPEC = 0;
/** u32: odp port number. */
export const OVS_VPORT_ATTR_PORT_NO = 1;
/** u32: OVS_VPORT_TYPE_*. */
export const OVS_VPORT_ATTR_TYPE = 2;
/** NUL-terminated string, at most IFNAMSIZ-1 characters. */
export const OVS_VPORT_ATTR_NAME = 3;
/** Nested, type-specific (OVS_TUNNEL_ATTR_* for tunnels). */
export const OVS_VPORT_ATTR_OPTIONS = 4;
/** array of u32 netlink port ids; [0] disables upcalls. */
export const OVS_VPORT_ATTR_UPCALL_PID = 5;
/** `struct ovs_vport_stats` (8 x u64). */
export const OVS_VPORT_ATTR_STATS = 6;
/** Zero-length padding the kernel may insert before 64-bit attributes. */
export const OVS_VPORT_ATTR_PAD = 7;
/** u32: ifindex of the vport's netdev. */
export const OVS_VPORT_ATTR_IFINDEX = 8;
/** s32: netns id of the netdev, present when it lives in another namespace. */
export const OVS_VPORT_ATTR_NETNSID = 9;
/** Highest valid value of the enum above. */
export const OVS_VPORT_ATTR_MAX = 9;

/** VXLAN extension attributes (anonymous enum), nested in `OVS_TUNNEL_ATTR_EXTENSION`. */
export const OVS_VXLAN_EXT_UNSPEC = 0;
export const OVS_VXLAN_EXT_GBP = 1;
/** Highest valid value of the enum above. */
export const OVS_VXLAN_EXT_MAX = 1;

/** Tunnel vport options (anonymous enum), nested in `OVS_VPORT_ATTR_OPTIONS`. */
export const OVS_TUNNEL_ATTR_UNSPEC = 0;
export const OVS_TUNNEL_ATTR_DST_PORT = 1;
export const OVS_TUNNEL_ATTR_EXTENSION = 2;
/** Highest valid value of the enum above. */
export const OVS_TUNNEL_ATTR_MAX = 2;

/** `enum ovs_flow_cmd`: commands of the `ovs_flow` family. */
export const OVS_FLOW_CMD_UNSPEC = 0;
export const OVS_FLOW_CMD_NEW = 1;
export const OVS_FLOW_CMD_DEL = 2;
export const OVS_FLOW_CMD_GET = 3;
export const OVS_FLOW_CMD_SET = 4;

/** `enum ovs_key_attr`: flow key / mask attributes (`OVS_FLOW_ATTR_KEY`, `OVS_FLOW_ATTR_MASK`, `OVS_PACKET_ATTR_KEY`, `OVS_ACTION_ATTR_SET*`).
 * Types 29 (PACKET_TYPE) and 30 (ND_EXTENSIONS) are userspace-only: never send them to the kernel.
 * TUNNEL_INFO (31) is kernel-internal. */
export const OVS_KEY_ATTR_UNSPEC = 0;
/** Nested: the headers inside a VLAN tag. */
export const OVS_KEY_ATTR_ENCAP = 1;
/** u32: skb->priority. */
export const OVS_KEY_ATTR_PRIORITY = 2;
/** u32: odp port number. */
export const OVS_KEY_ATTR_IN_PORT = 3;
/** `struct ovs_key_ethernet` (12 bytes). */
export const OVS_KEY_ATTR_ETHERNET = 4;
/** __be16: TCI, VLAN_CFI (0x1000) set when a tag is present. */
export const OVS_KEY_ATTR_VLAN = 5;
/** __be16. */
export const OVS_KEY_ATTR_ETHERTYPE = 6;
/** `struct ovs_key_ipv4` (12 bytes). */
export const OVS_KEY_ATTR_IPV4 = 7;
/** `struct ovs_key_ipv6` (40 bytes). */
export const OVS_KEY_ATTR_IPV6 = 8;
/** `struct ovs_key_tcp` (4 bytes). */
export const OVS_KEY_ATTR_TCP = 9;
/** `struct ovs_key_udp` (4 bytes). */
export const OVS_KEY_ATTR_UDP = 10;
/** `struct ovs_key_icmp` (2 bytes). */
export const OVS_KEY_ATTR_ICMP = 11;
/** `struct ovs_key_icmpv6` (2 bytes). */
export const OVS_KEY_ATTR_ICMPV6 = 12;
/** `struct ovs_key_arp` (24 bytes: 22 + 2 tail padding). */
export const OVS_KEY_ATTR_ARP = 13;
/** `struct ovs_key_nd` (28 bytes). */
export const OVS_KEY_ATTR_ND = 14;
/** u32: skb->mark. */
export const OVS_KEY_ATTR_SKB_MARK = 15;
/** Nested OVS_TUNNEL_KEY_ATTR_*. */
export const OVS_KEY_ATTR_TUNNEL = 16;
/** `struct ovs_key_sctp` (4 bytes). */
export const OVS_KEY_ATTR_SCTP = 17;
/** __be16: TCP flags (low 12 bits). */
export const OVS_KEY_ATTR_TCP_FLAGS = 18;
/** u32: datapath hash; 0 = not computed. */
export const OVS_KEY_ATTR_DP_HASH = 19;
/** u32: recirculation id. */
export const OVS_KEY_ATTR_RECIRC_ID = 20;
/** array of `struct ovs_key_mpls` (__be32 LSE each). */
export const OVS_KEY_ATTR_MPLS = 21;
/** u32: OR of OVS_CS_F_*. */
export const OVS_KEY_ATTR_CT_STATE = 22;
/** u16: conntrack zone. */
export const OVS_KEY_ATTR_CT_ZONE = 23;
/** u32: conntrack mark. */
export const OVS_KEY_ATTR_CT_MARK = 24;
/** 16 bytes: `struct ovs_key_ct_labels`. */
export const OVS_KEY_ATTR_CT_LABELS = 25;
/** `struct ovs_key_ct_tuple_ipv4` (16 bytes: 13 + 3 tail padding). */
export const OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4 = 26;
/** `struct ovs_key_ct_tuple_ipv6` (40 bytes: 37 + 3 tail padding). */
export const OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6 = 27;
/** Nested OVS_NSH_KEY_ATTR_*. */
export const OVS_KEY_ATTR_NSH = 28;
/** __be32 packet type; userspace-only, never send to the kernel. */
export const OVS_KEY_ATTR_PACKET_TYPE = 29;
/** IPv6 ND extensions; userspace-only, never send to the kernel. */
export const OVS_KEY_ATTR_ND_EXTENSIONS = 30;
/** Kernel-internal, never on the wire. */
export const OVS_KEY_ATTR_TUNNEL_INFO = 31;
/** `struct ovs_key_ipv6_exthdrs` (u16 hdrs). */
export const OVS_KEY_ATTR_IPV6_EXTHDRS = 32;
/** Highest valid value of the enum above. */
export const OVS_KEY_ATTR_MAX = 32;

/** `enum ovs_tunnel_key_attr`: attributes nested in `OVS_KEY_ATTR_TUNNEL`. Note this enum starts at 0 (no UNSPEC). */
export const OVS_TUNNEL_KEY_ATTR_ID = 0;
export const OVS_TUNNEL_KEY_ATTR_IPV4_SRC = 1;
export const OVS_TUNNEL_KEY_ATTR_IPV4_DST = 2;
export const OVS_TUNNEL_KEY_ATTR_TOS = 3;
export const OVS_TUNNEL_KEY_ATTR_TTL = 4;
export const OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT = 5;
export const OVS_TUNNEL_KEY_ATTR_CSUM = 6;
export const OVS_TUNNEL_KEY_ATTR_OAM = 7;
export const OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS = 8;
export const OVS_TUNNEL_KEY_ATTR_TP_SRC = 9;
export const OVS_TUNNEL_KEY_ATTR_TP_DST = 10;
export const OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS = 11;
export const OVS_TUNNEL_KEY_ATTR_IPV6_SRC = 12;
export const OVS_TUNNEL_KEY_ATTR_IPV6_DST = 13;
export const OVS_TUNNEL_KEY_ATTR_PAD = 14;
export const OVS_TUNNEL_KEY_ATTR_ERSPAN_OPTS = 15;
export const OVS_TUNNEL_KEY_ATTR_IPV4_INFO_BRIDGE = 16;
/** Highest valid value of the enum above. */
export const OVS_TUNNEL_KEY_ATTR_MAX = 16;

/** `enum ovs_frag_type`: the `ipv4_frag` / `ipv6_frag` byte of `struct ovs_key_ipv4` / `struct ovs_key_ipv6`. */
export const OVS_FRAG_TYPE_NONE = 0;
export const OVS_FRAG_TYPE_FIRST = 1;
export const OVS_FRAG_TYPE_LATER = 2;
/** Highest valid value of the enum above. */
export const OVS_FRAG_TYPE_MAX = 2;

/** `enum ovs_nsh_key_attr`: attributes nested in `OVS_KEY_ATTR_NSH`. */
export const OVS_NSH_KEY_ATTR_UNSPEC = 0;
export const OVS_NSH_KEY_ATTR_BASE = 1;
export const OVS_NSH_KEY_ATTR_MD1 = 2;
export const OVS_NSH_KEY_ATTR_MD2 = 3;
/** Highest valid value of the enum above. */
export const OVS_NSH_KEY_ATTR_MAX = 3;

/** `enum ovs_flow_attr`: attributes after `struct ovs_header` in `OVS_FLOW_CMD_*` messages. */
export const OVS_FLOW_ATTR_UNSPEC = 0;
/** Nested OVS_KEY_ATTR_*. */
export const OVS_FLOW_ATTR_KEY = 1;
/** Nested OVS_ACTION_ATTR_*; empty means drop. */
export const OVS_FLOW_ATTR_ACTIONS = 2;
/** `struct ovs_flow_stats` (2 x u64). */
export const OVS_FLOW_ATTR_STATS = 3;
/** u8: OR of the TCP flags seen (notifications only). */
export const OVS_FLOW_ATTR_TCP_FLAGS = 4;
/** u64: CLOCK_MONOTONIC milliseconds of the last hit. */
export const OVS_FLOW_ATTR_USED = 5;
/** Flag: reset stats, used and tcp_flags (OVS_FLOW_CMD_SET). */
export const OVS_FLOW_ATTR_CLEAR = 6;
/** Nested OVS_KEY_ATTR_* mask bits (1 = exact). */
export const OVS_FLOW_ATTR_MASK = 7;
/** Flag: feature probe, kernel suppresses error logging. */
export const OVS_FLOW_ATTR_PROBE = 8;
/** 1-16 opaque bytes identifying the flow. */
export const OVS_FLOW_ATTR_UFID = 9;
/** u32: OR of OVS_UFID_F_*. */
export const OVS_FLOW_ATTR_UFID_FLAGS = 10;
/** Zero-length padding the kernel may insert before 64-bit attributes. */
export const OVS_FLOW_ATTR_PAD = 11;
/** Highest valid value of the enum above. */
export const OVS_FLOW_ATTR_MAX = 11;

/** `enum ovs_sample_attr`: attributes nested in `OVS_ACTION_ATTR_SAMPLE`. */
export const OVS_SAMPLE_ATTR_UNSPEC = 0;
export const OVS_SAMPLE_ATTR_PROBABILITY = 1;
export const OVS_SAMPLE_ATTR_ACTIONS = 2;
/** Highest valid value of the enum above. */
export const OVS_SAMPLE_ATTR_MAX = 2;

/** `enum ovs_userspace_attr`: attributes nested in `OVS_ACTION_ATTR_USERSPACE`. */
export const OVS_USERSPACE_ATTR_UNSPEC = 0;
/** u32: netlink port id for the OVS_PACKET_CMD_ACTION upcall (required). */
export const OVS_USERSPACE_ATTR_PID = 1;
/** Opaque bytes echoed as OVS_PACKET_ATTR_USERDATA. */
export const OVS_USERSPACE_ATTR_USERDATA = 2;
/** u32: output tunnel port whose tunnel info is reported. */
export const OVS_USERSPACE_ATTR_EGRESS_TUN_PORT = 3;
/** Flag: include the flow's actions in the upcall. */
export const OVS_USERSPACE_ATTR_ACTIONS = 4;
/** Highest valid value of the enum above. */
export const OVS_USERSPACE_ATTR_MAX = 4;

/** `enum ovs_hash_alg`: `struct ovs_action_hash.hash_alg`. */
export const OVS_HASH_ALG_L4 = 0;

/** `enum ovs_ct_attr`: attributes nested in `OVS_ACTION_ATTR_CT`. */
export const OVS_CT_ATTR_UNSPEC = 0;
export const OVS_CT_ATTR_COMMIT = 1;
export const OVS_CT_ATTR_ZONE = 2;
export const OVS_CT_ATTR_MARK = 3;
export const OVS_CT_ATTR_LABELS = 4;
export const OVS_CT_ATTR_HELPER = 5;
export const OVS_CT_ATTR_NAT = 6;
export const OVS_CT_ATTR_FORCE_COMMIT = 7;
export const OVS_CT_ATTR_EVENTMASK = 8;
export const OVS_CT_ATTR_TIMEOUT = 9;
/** Highest valid value of the enum above. */
export const OVS_CT_ATTR_MAX = 9;

/** `enum ovs_nat_attr`: attributes nested in `OVS_CT_ATTR_NAT`. */
export const OVS_NAT_ATTR_UNSPEC = 0;
export const OVS_NAT_ATTR_SRC = 1;
export const OVS_NAT_ATTR_DST = 2;
export const OVS_NAT_ATTR_IP_MIN = 3;
export const OVS_NAT_ATTR_IP_MAX = 4;
export const OVS_NAT_ATTR_PROTO_MIN = 5;
export const OVS_NAT_ATTR_PROTO_MAX = 6;
export const OVS_NAT_ATTR_PERSISTENT = 7;
export const OVS_NAT_ATTR_PROTO_HASH = 8;
export const OVS_NAT_ATTR_PROTO_RANDOM = 9;
/** Highest valid value of the enum above. */
export const OVS_NAT_ATTR_MAX = 9;

/** `enum ovs_check_pkt_len_attr`: attributes nested in `OVS_ACTION_ATTR_CHECK_PKT_LEN`. */
export const OVS_CHECK_PKT_LEN_ATTR_UNSPEC = 0;
export const OVS_CHECK_PKT_LEN_ATTR_PKT_LEN = 1;
export const OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER = 2;
export const OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL = 3;
/** Highest valid value of the enum above. */
export const OVS_CHECK_PKT_LEN_ATTR_MAX = 3;

/** `enum ovs_action_attr`: datapath action types (`OVS_FLOW_ATTR_ACTIONS`, `OVS_PACKET_ATTR_ACTIONS`). */
export const OVS_ACTION_ATTR_UNSPEC = 0;
/** u32: odp port number. */
export const OVS_ACTION_ATTR_OUTPUT = 1;
/** Nested OVS_USERSPACE_ATTR_*. */
export const OVS_ACTION_ATTR_USERSPACE = 2;
/** One nested OVS_KEY_ATTR_*: value to write. */
export const OVS_ACTION_ATTR_SET = 3;
/** `struct ovs_action_push_vlan` (__be16 tpid, __be16 tci). */
export const OVS_ACTION_ATTR_PUSH_VLAN = 4;
/** No payload. */
export const OVS_ACTION_ATTR_POP_VLAN = 5;
/** Nested OVS_SAMPLE_ATTR_*. */
export const OVS_ACTION_ATTR_SAMPLE = 6;
/** u32: recirculation id. */
export const OVS_ACTION_ATTR_RECIRC = 7;
/** `struct ovs_action_hash` (u32 alg, u32 basis). */
export const OVS_ACTION_ATTR_HASH = 8;
/** `struct ovs_action_push_mpls`. */
export const OVS_ACTION_ATTR_PUSH_MPLS = 9;
/** __be16: ethertype after the pop. */
export const OVS_ACTION_ATTR_POP_MPLS = 10;
/** One nested OVS_KEY_ATTR_* whose payload is value then mask. */
export const OVS_ACTION_ATTR_SET_MASKED = 11;
/** Nested OVS_CT_ATTR_*. */
export const OVS_ACTION_ATTR_CT = 12;
/** `struct ovs_action_trunc` (u32 max_len). */
export const OVS_ACTION_ATTR_TRUNC = 13;
/** `struct ovs_action_push_eth`. */
export const OVS_ACTION_ATTR_PUSH_ETH = 14;
/** No payload. */
export const OVS_ACTION_ATTR_POP_ETH = 15;
/** No payload. */
export const OVS_ACTION_ATTR_CT_CLEAR = 16;
/** Nested OVS_NSH_KEY_ATTR_*. */
export const OVS_ACTION_ATTR_PUSH_NSH = 17;
/** No payload. */
export const OVS_ACTION_ATTR_POP_NSH = 18;
/** u32: meter id. */
export const OVS_ACTION_ATTR_METER = 19;
/** Nested actions run on a copy of the packet. */
export const OVS_ACTION_ATTR_CLONE = 20;
/** Nested OVS_CHECK_PKT_LEN_ATTR_*. */
export const OVS_ACTION_ATTR_CHECK_PKT_LEN = 21;
/** `struct ovs_action_add_mpls`. */
export const OVS_ACTION_ATTR_ADD_MPLS = 22;
/** Nested OVS_DEC_TTL_ATTR_*. */
export const OVS_ACTION_ATTR_DEC_TTL = 23;
/** Highest valid value of the enum above. */
export const OVS_ACTION_ATTR_MAX = 23;

/** `enum ovs_meter_cmd`: commands of the `ovs_meter` family. */
export const OVS_METER_CMD_UNSPEC = 0;
export const OVS_METER_CMD_FEATURES = 1;
export const OVS_METER_CMD_SET = 2;
export const OVS_METER_CMD_DEL = 3;
export const OVS_METER_CMD_GET = 4;

/** `enum ovs_meter_attr`: attributes after `struct ovs_header` in `OVS_METER_CMD_*` messages. */
export const OVS_METER_ATTR_UNSPEC = 0;
export const OVS_METER_ATTR_ID = 1;
export const OVS_METER_ATTR_KBPS = 2;
export const OVS_METER_ATTR_STATS = 3;
export const OVS_METER_ATTR_BANDS = 4;
export const OVS_METER_ATTR_USED = 5;
export const OVS_METER_ATTR_CLEAR = 6;
export const OVS_METER_ATTR_MAX_METERS = 7;
export const OVS_METER_ATTR_MAX_BANDS = 8;
export const OVS_METER_ATTR_PAD = 9;
/** Highest valid value of the enum above. */
export const OVS_METER_ATTR_MAX = 9;

/** `enum ovs_band_attr`: attributes nested in `OVS_METER_ATTR_BANDS`. */
export const OVS_BAND_ATTR_UNSPEC = 0;
export const OVS_BAND_ATTR_TYPE = 1;
export const OVS_BAND_ATTR_RATE = 2;
export const OVS_BAND_ATTR_BURST = 3;
export const OVS_BAND_ATTR_STATS = 4;
/** Highest valid value of the enum above. */
export const OVS_BAND_ATTR_MAX = 4;

/** `enum ovs_meter_band_type`: values of `OVS_BAND_ATTR_TYPE`. */
export const OVS_METER_BAND_TYPE_UNSPEC = 0;
export const OVS_METER_BAND_TYPE_DROP = 1;
/** Highest valid value of the enum above. */
export const OVS_METER_BAND_TYPE_MAX = 1;

/** `enum ovs_ct_limit_cmd`: commands of the `ovs_ct_limit` family. */
export const OVS_CT_LIMIT_CMD_UNSPEC = 0;
export const OVS_CT_LIMIT_CMD_SET = 1;
export const OVS_CT_LIMIT_CMD_DEL = 2;
export const OVS_CT_LIMIT_CMD_GET = 3;

/** `enum ovs_ct_limit_attr`: attributes of `OVS_CT_LIMIT_CMD_*` messages. */
export const OVS_CT_LIMIT_ATTR_UNSPEC = 0;
export const OVS_CT_LIMIT_ATTR_ZONE_LIMIT = 1;
/** Highest valid value of the enum above. */
export const OVS_CT_LIMIT_ATTR_MAX = 1;

/** `enum ovs_dec_ttl_attr`: attributes nested in `OVS_ACTION_ATTR_DEC_TTL`. */
export const OVS_DEC_TTL_ATTR_UNSPEC = 0;
export const OVS_DEC_TTL_ATTR_ACTION = 1;
/** Highest valid value of the enum above. */
export const OVS_DEC_TTL_ATTR_MAX = 1;
