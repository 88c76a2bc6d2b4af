/**
 * ovs_vport multicast notifications from the real kernel, decoded: a vport added and removed by the
 * real ovs-dpctl is announced as OVS_VPORT_CMD_NEW and OVS_VPORT_CMD_DEL with its name and number.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GenlSocket } from '../../src/genl/socket';
import { VportNotifier, VportNotification } from '../../src/dpif-netlink/vport-notifier';
import { OVS_VPORT_CMD_DEL, OVS_VPORT_CMD_NEW, OVS_VPORT_TYPE_INTERNAL } from '../../src/genl/openvswitch';
import { cleanupDatapath, requireKernel, run, waitFor } from './lib/env';

requireKernel();

test('vport add and delete by ovs-dpctl arrive as decoded notifications', async () => {
  const dp = 'tsvnotify0';
  await cleanupDatapath(dp);
  const ctl = GenlSocket.open();
  const notifier = await VportNotifier.open(ctl);
  const seen: VportNotification[] = [];
  notifier.on('notification', (n: VportNotification) => seen.push(n));
  try {
    await run(['ovs-dpctl', 'add-dp', dp]);
    await run(['ovs-dpctl', 'add-if', dp, 'tsvn1,type=internal']);
    const added = await waitFor(() => seen.find((n) => n.cmd === OVS_VPORT_CMD_NEW && n.vport.name === 'tsvn1'), 10_000, { what: 'NEW tsvn1' });
    assert.equal(added.vport.type, OVS_VPORT_TYPE_INTERNAL);
    assert.ok((added.vport.portNo ?? 0) > 0);
    await run(['ovs-dpctl', 'del-if', dp, 'tsvn1']);
    const removed = await waitFor(() => seen.find((n) => n.cmd === OVS_VPORT_CMD_DEL && n.vport.name === 'tsvn1'), 10_000, { what: 'DEL tsvn1' });
    assert.equal(removed.vport.portNo, added.vport.portNo);
  } finally {
    notifier.close();
    ctl.close();
    await cleanupDatapath(dp);
  }
});
