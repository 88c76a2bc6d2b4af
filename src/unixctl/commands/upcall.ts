/**
 * unixctl commands about the upcall machinery and the datapath interface, with OVS 3.1's texts
 * (`ofproto/ofproto-dpif-upcall.c`, `lib/dpif-netlink.c`):
 *
 * - `upcall/show`: per datapath, flow counts, last dump duration, UFID use and the flows each
 *   revalidator tracks;
 * - `revalidator/wait`: answers once the revalidator has finished a dump pass;
 * - `revalidator/purge`: deletes every datapath flow, answering once it is done;
 * - `dpif-netlink/dispatch-mode`: the upcall dispatch mode of every kernel datapath.
 *
 * Where ts-vswitchd differs (each also listed in test/kernel/appctl.test.ts): it runs one
 * revalidator (OVS runs one per four CPUs, plus one), numbered after the handlers; and the flow
 * limit shown is the one OVS starts with for the default `flow-limit` (10000), which the
 * revalidator does not enforce yet.
 */
import { OVS_DP_F_DISPATCH_UPCALL_PER_CPU } from '../../genl/openvswitch';
import { UnixctlError, UnixctlRegistry } from '../registry';
import type { PartsGetter } from './parts';

/** OVS's initial dynamic flow limit: `MIN(flow-limit, 10000)` with the default flow-limit. */
const INITIAL_FLOW_LIMIT = 10000;

/** Registers the upcall and dispatch commands. */
export function registerUpcallCommands(registry: UnixctlRegistry, parts: PartsGetter): void {
  registry.register('upcall/show', '', 0, 0, async () => {
    const { dpif, dp, udpif } = parts();
    if (!dpif || !dp || !udpif) return '';
    const nFlows = (await dpif.getDatapath(dp.name)).stats?.flows ?? 0n;
    const s = udpif.revalidatorStats();
    let out = `system@${dp.name}:\n`
      + `  flows         : (current ${nFlows}) (avg ${s.avgFlows}) (max ${s.maxFlows}) (limit ${INITIAL_FLOW_LIMIT})\n`
      + `  dump duration : ${s.durationMs}ms\n`
      + '  ufid enabled : true\n'
      + '\n';
    // Thread numbers as in our logs: handlers are 1..n, the revalidator follows them.
    if (udpif.nRevalidators) out += `  ${udpif.nHandlers + 1}: (keys ${s.ukeys})\n`;
    return out;
  });

  registry.register('revalidator/wait', '', 0, 0, async () => {
    const { udpif } = parts();
    if (!udpif) throw new UnixctlError("can't wait on multiple udpifs.");
    await udpif.dumpsCompleted(1);
    return '';
  });

  registry.register('revalidator/purge', '', 0, 0, async () => {
    const { udpif } = parts();
    if (!udpif) return '';
    udpif.purge();
    // A pass already under way may end before it saw the request; the one after it purged.
    await udpif.dumpsCompleted(2);
    return '';
  });

  registry.register('dpif-netlink/dispatch-mode', '', 0, 0, async () => {
    const { dpif } = parts();
    if (!dpif) return '';
    let out = '';
    for (const dp of await dpif.dpDump()) {
      const perCpu = ((dp.userFeatures ?? 0) & OVS_DP_F_DISPATCH_UPCALL_PER_CPU) !== 0;
      out += `${dp.name}: ${perCpu ? 'per-cpu' : 'per-vport'} dispatch mode\n`;
    }
    return out;
  });
}
