import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BridgeLayer } from '../../src/bridge/bridge';

/**
 * `Flow_Table.prefixes` as bridge.c reads it (OVS 3.1 bridge_configure_tables): the fields
 * tracked and the log lines, warning and info texts as OVS prints them.
 */
function prefixFields(names: string[]): { fields: string[] | undefined; logs: string[] } {
  const logs: string[] = [];
  const layer = Object.create(BridgeLayer.prototype) as { log: unknown; prefixFields(b: string, t: number, n: string[]): string[] | undefined };
  layer.log = { warn: (s: string) => logs.push(`WARN ${s}`), info: (s: string) => logs.push(`INFO ${s}`) };
  return { fields: layer.prefixFields('br0', 0, names), logs };
}

test('Flow_Table.prefixes: fields, aliases, none, and what bridge.c warns about', () => {
  assert.deepEqual(prefixFields(['nw_dst', 'ipv6_src']), {
    fields: ['ip_dst', 'ipv6_src'], logs: ['INFO bridge br0 table 0: Prefix lookup with: ip_dst,ipv6_src.'],
  });
  assert.deepEqual(prefixFields(['none', 'ip_src']), { fields: [], logs: ['INFO bridge br0 table 0: Prefix lookup with: none.'] });
  // Nothing usable: warnings, and the default (ip_dst, ip_src) stays.
  assert.deepEqual(prefixFields(['foo', 'tcp_dst']), {
    fields: undefined,
    logs: ["WARN bridge br0: 'prefixes' with unknown field: foo", "WARN bridge br0: 'prefixes' with incompatible field: tcp_dst"],
  });
  assert.deepEqual(prefixFields(['ip_dst', 'ip_src', 'ipv6_dst', 'ipv6_src']), {
    fields: ['ip_dst', 'ip_src', 'ipv6_dst'],
    logs: ["WARN bridge br0: 'prefixes' with too many fields, field not used: ipv6_src",
      'INFO bridge br0 table 0: Prefix lookup with: ip_dst,ip_src,ipv6_dst.'],
  });
});
