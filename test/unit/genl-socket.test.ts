/**
 * The control socket against this host's kernel: the Generic Netlink controller ("nlctrl") is
 * always registered; the Open vSwitch families are not (no openvswitch.ko here).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'child_process';
import * as path from 'path';
import { constants as osConstants } from 'os';
import { GenlSocket } from '../../src/genl/socket';
import {
  CTRL_ATTR_FAMILY_NAME,
  CTRL_CMD_GETFAMILY,
  CTRL_VERSION,
  decodeCtrlFamily,
  GENL_ID_CTRL,
  NetlinkError,
  NLMSG_NOOP,
} from '../../src/genl/netlink';
import { attrString } from '../../src/genl/nlattr';

async function withSocket<T>(body: (s: GenlSocket) => Promise<T>): Promise<T> {
  const s = GenlSocket.open();
  try {
    return await body(s);
  } finally {
    s.close();
  }
}

const dumpFamilies = (s: GenlSocket): Promise<Buffer[]> =>
  s.dump(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_VERSION, Buffer.alloc(0), 'CTRL_CMD_GETFAMILY dump');

test('resolveFamily finds the Generic Netlink controller', async () => {
  await withSocket(async (s) => {
    assert.ok(s.portId !== 0);
    const f = await s.resolveFamily('nlctrl');
    assert.equal(f.id, GENL_ID_CTRL);
    assert.ok(f.version >= 1);
    // nlctrl declares its policies per operation, so recent kernels report CTRL_ATTR_MAXATTR 0.
    assert.ok(Number.isInteger(f.maxAttr) && f.maxAttr >= 0);
    assert.ok(f.mcastGroups.has('notify'), `groups: ${[...f.mcastGroups.keys()]}`);
  });
});

test('resolving an absent family rejects with NetlinkError ENOENT and says what was asked', async () => {
  await withSocket(async (s) => {
    await assert.rejects(s.resolveFamily('ovs_datapath'), (e: unknown) => {
      assert.ok(e instanceof NetlinkError);
      assert.equal(e.errno, osConstants.errno.ENOENT);
      assert.equal(e.code, 'ENOENT');
      assert.equal(e.context, 'CTRL_CMD_GETFAMILY ovs_datapath');
      assert.match(e.message, /^CTRL_CMD_GETFAMILY ovs_datapath: .*\(ENOENT\)/);
      return true;
    });
  });
});

test("the kernel's extended-ACK text and offset reach the NetlinkError", async () => {
  await withSocket(async (s) => {
    const payload = attrString(CTRL_ATTR_FAMILY_NAME, 'a-family-name-longer-than-GENL_NAMSIZ');
    await assert.rejects(s.transact(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_VERSION, 0, payload, 'bad lookup'), (e: unknown) => {
      assert.ok(e instanceof NetlinkError);
      assert.equal(e.code, 'EINVAL');
      assert.match(e.extack ?? '', /policy/);
      assert.equal(e.extackOffset, 20, 'the name attribute follows nlmsghdr and genlmsghdr');
      assert.match(e.message, /kernel says: ".*policy.*"/);
      return true;
    });
  });
});

test('a request answered by a bare ACK resolves to no bodies', async () => {
  // The kernel acknowledges control-range message types (below NLMSG_MIN_TYPE) without a reply.
  await withSocket(async (s) => {
    assert.deepEqual(await s.transact(NLMSG_NOOP, 0, 0, 0, Buffer.alloc(0), 'NLMSG_NOOP'), []);
  });
});

test('concurrent requests on one socket each get their own reply', async () => {
  await withSocket(async (s) => {
    const names = ['nlctrl', 'nlctrl', 'ovs_vport', 'nlctrl'];
    const results = await Promise.allSettled(names.map((n) => s.resolveFamily(n)));
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'fulfilled', 'rejected', 'fulfilled'],
    );
  });
});

test('a dump collects every family up to NLMSG_DONE', async () => {
  await withSocket(async (s) => {
    const bodies = await dumpFamilies(s);
    const families = bodies.map(decodeCtrlFamily);
    assert.ok(families.length > 1, `${families.length} families`);
    const ctrl = families.find((f) => f.name === 'nlctrl');
    assert.equal(ctrl?.id, GENL_ID_CTRL);
    assert.equal(new Set(families.map((f) => f.id)).size, families.length);
  });
});

test('two dumps started together on one socket are serialised and both complete', async () => {
  // Sent back to back, the second would meet EBUSY (see native-socket.test.ts).
  await withSocket(async (s) => {
    const [a, b] = await Promise.all([dumpFamilies(s), dumpFamilies(s)]);
    const names = (bodies: Buffer[]): string[] => bodies.map((x) => decodeCtrlFamily(x).name).sort();
    assert.ok(a.length > 1);
    assert.deepEqual(names(a), names(b));
  });
});

test('a failed dump does not block the dumps queued after it', async () => {
  await withSocket(async (s) => {
    const bad = s.dump(0x7fff, 0, 0, Buffer.alloc(0), 'dump of a family that does not exist');
    const good = dumpFamilies(s);
    await assert.rejects(bad, (e: unknown) => e instanceof NetlinkError && e.context.startsWith('dump of a family'));
    assert.ok((await good).length > 1);
  });
});

test('closing the socket rejects waiting requests and later ones', async () => {
  const s = GenlSocket.open();
  const waiting = s.resolveFamily('nlctrl');
  s.close();
  await assert.rejects(waiting, (e: unknown) => e instanceof NetlinkError && e.code === 'ECANCELED');
  await assert.rejects(s.resolveFamily('nlctrl'), (e: unknown) => e instanceof NetlinkError && e.code === 'EBADF');
  s.close();
});

test('an idle open control socket does not keep the process alive', async () => {
  const socketModule = path.join(__dirname, '..', '..', 'src', 'genl', 'socket.js');
  const script = `
    const { GenlSocket } = require(${JSON.stringify(socketModule)});
    const s = GenlSocket.open();
    s.resolveFamily('nlctrl').then((f) => console.log('resolved', f.id));
  `;
  const t0 = Date.now();
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['-e', script], { timeout: 10_000 }, (err, out) => (err ? reject(err) : resolve(out)));
  });
  assert.equal(stdout.trim(), `resolved ${GENL_ID_CTRL}`, 'the request kept the process alive until answered');
  assert.ok(Date.now() - t0 < 10_000);
});
