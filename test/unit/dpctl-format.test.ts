/**
 * Text formats of ts-dpctl that come from lib/dpctl.c and lib/dpif.c rather than from the ODP
 * codecs: UFIDs, flow statistics, sizes, flow files, datapath names, log and error lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFlowStats, formatTcpFlags, formatUfidText, humanSize, parseUfidText } from '../../src/dpctl/format';
import { parseDpName, parseFlowLine, preprocessedLines } from '../../src/dpctl/commands';
import { applyVlogSpec, defaultVlogSettings, DpctlOutput } from '../../src/dpctl/output';
import { retvalToString, strerror } from '../../src/dpctl/strerror';

test('a UFID prints as OVS prints its four host-order words', () => {
  // The bytes the kernel stores for ufid:11223344-5566-7788-99aa-bbccddeeff00 (OVS sends raw host-order u32s).
  assert.equal(formatUfidText(Buffer.from('4433221188776655ccbbaa9900ffeedd', 'hex')), 'ufid:11223344-5566-7788-99aa-bbccddeeff00');
});

test('UFID text parses back to the kernel bytes, and malformed text is refused', () => {
  const text = 'ufid:11223344-5566-7788-99aa-bbccddeeff00';
  const r = parseUfidText(`${text},in_port(1)`);
  assert.equal(r.n, text.length);
  assert.equal(r.ufid?.toString('hex'), '4433221188776655ccbbaa9900ffeedd');
  assert.equal(formatUfidText(r.ufid as Buffer), text);
  assert.deepEqual(parseUfidText('in_port(1)'), { n: 0 });
  assert.deepEqual(parseUfidText('ufid:zz'), { n: -1 });
  assert.deepEqual(parseUfidText('ufid:11223344-5566-7788-99aa-bbccddeeff0'), { n: -1 }, 'one hex digit short');
  assert.equal(parseUfidText('ufid:ABCDEF01-5566-7788-99aa-bbccddeeff00').ufid?.readUInt32LE(0), 0xabcdef01);
});

test('flow statistics: never used, seconds since last use from the monotonic clock, TCP flags', () => {
  assert.equal(formatFlowStats({ packets: 0n, bytes: 0n }), 'packets:0, bytes:0, used:never');
  assert.equal(formatFlowStats({ packets: 3n, bytes: 294n, used: 10_000n }, 12_345n), 'packets:3, bytes:294, used:2.345s');
  assert.equal(formatFlowStats({ packets: 1n, bytes: 60n, used: 5n, tcpFlags: 0x12 }, 5n), 'packets:1, bytes:60, used:0.000s, flags:S.');
  assert.equal(formatTcpFlags(0), 'none');
  assert.equal(formatTcpFlags(0x1ff), 'SFPRU.ECN');
  assert.equal(formatTcpFlags(0xe00), '[200][400][800]');
});

test('byte counts get a binary-unit size from 1 KiB on', () => {
  assert.equal(humanSize(1023n), '');
  assert.equal(humanSize(1024n), ' (1.0 KiB)');
  assert.equal(humanSize(1536n), ' (1.5 KiB)');
  assert.equal(humanSize(5n * 1024n * 1024n), ' (5.0 MiB)');
  assert.equal(humanSize(3n * 1024n ** 3n), ' (3.0 GiB)');
  assert.equal(humanSize(2n * 1024n ** 4n), ' (2.0 TiB)');
  assert.equal(humanSize(undefined), '');
});

test('datapath names are [type@]name, with OVS quirk that "system@" names "system"', () => {
  assert.deepEqual(parseDpName('dp0'), { name: 'dp0', type: 'system' });
  assert.deepEqual(parseDpName('system@ovs-system'), { name: 'ovs-system', type: 'system' });
  assert.deepEqual(parseDpName('netdev@x'), { name: 'x', type: 'netdev' });
  assert.deepEqual(parseDpName('system@'), { name: 'system', type: 'system' });
  assert.deepEqual(parseDpName('@dp0'), { name: 'dp0', type: '' });
});

test('flow file lines: an optional add/delete/modify word (any prefix of it), the flow, the actions', () => {
  assert.deepEqual(parseFlowLine('add', 'in_port(1) 2'), { cmd: 'add', flow: 'in_port(1)', actions: '2' });
  assert.deepEqual(parseFlowLine('del', 'modify in_port(1) 2,3'), { cmd: 'mod', flow: 'in_port(1)', actions: '2,3' });
  assert.deepEqual(parseFlowLine('add', '  d in_port(1)'), { cmd: 'del', flow: 'in_port(1)' });
  assert.deepEqual(parseFlowLine('add', 'delete'), { cmd: 'del' });
  assert.deepEqual(parseFlowLine('mod', 'in_port(1)'), { cmd: 'mod', flow: 'in_port(1)' });
  assert.deepEqual(parseFlowLine('add', 'a in_port(1)\t 2  '), { cmd: 'add', flow: 'in_port(1)', actions: '2  ' });
  assert.deepEqual(parseFlowLine('add', ',in_port(1) 2'), { cmd: 'add', flow: ',in_port(1)', actions: '2' }, 'an empty word is a prefix of "add"');
});

test('flow files lose # comments and blank lines but keep line numbers', () => {
  assert.deepEqual(preprocessedLines('# c\nin_port(1) 2\n  \n\nx # y\n'), [
    { line: 'in_port(1) 2', number: 2 },
    { line: 'x ', number: 5 },
  ]);
  assert.deepEqual(preprocessedLines('last line without newline'), [{ line: 'last line without newline', number: 1 }]);
});

test('errors carry the program name and glibc strerror text; logs the console pattern with serial numbers', () => {
  const out = new DpctlOutput('ovs-dpctl', undefined, () => new Date('2026-11-21T22:44:39.123Z'));
  out.error(22, 'datapath not found');
  out.error(0, 'no datapaths exist');
  out.log('dpif_netlink', 'INFO', 'Datapath dispatch mode: per-cpu');
  out.log('dpif', 'DBG', 'not shown at the default level');
  out.log('dpif', 'WARN', 'system@dp0: failed to add va as port: File exists');
  assert.equal(out.stderr, [
    'ovs-dpctl: datapath not found (Invalid argument)',
    'ovs-dpctl: no datapaths exist',
    '2026-11-21T22:44:39Z|00001|dpif_netlink|INFO|Datapath dispatch mode: per-cpu',
    '2026-11-21T22:44:39Z|00002|dpif|WARN|system@dp0: failed to add va as port: File exists',
    '',
  ].join('\n'));
  assert.equal(out.stdout, '');
});

test('-v specs change what the console shows', () => {
  const v = defaultVlogSettings();
  assert.equal(applyVlogSpec(v, 'dpif:console:off'), undefined);
  const out = new DpctlOutput('p', v, () => new Date(0));
  out.log('dpif', 'WARN', 'hidden');
  out.log('netdev', 'WARN', 'shown');
  assert.match(out.stderr, /\|00001\|netdev\|WARN\|shown\n$/);
  assert.equal(applyVlogSpec(v, 'console:file'), 'cannot specify multiple destinations');
});

test('strerror words errors as glibc does, not as libuv does', () => {
  assert.equal(strerror(17), 'File exists');
  assert.equal(strerror(19), 'No such device');
  assert.equal(strerror(95), 'Operation not supported');
  assert.equal(strerror(97), 'Address family not supported by protocol');
  assert.equal(strerror(16), 'Device or resource busy');
  assert.equal(strerror(9999), 'Unknown error 9999');
  assert.equal(retvalToString(0), 'Success');
  assert.equal(retvalToString(-1), 'End of file');
});
