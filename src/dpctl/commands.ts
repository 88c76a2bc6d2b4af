/**
 * The `ovs-dpctl` commands (OVS 3.1 lib/dpctl.c) on the kernel datapath: the command table with
 * OVS's argument counts and read-only rules, and one handler per command producing the same
 * text, errors and exit status as `ovs-dpctl` for the same datapath state.
 *
 * Handlers take the command's words (`argv[0]` is the command name, as in dpctl.c) and return
 * an errno-style status (0 = success); {@link runDpctlCommand} turns that into an exit code and
 * collects what was printed. Port, flow and datapath operations go through
 * {@link DpctlDpif} (the dpif layer) and {@link NetdevRegistry} (the netdev layer).
 *
 * Left out (they print an error and exit 1): the conntrack commands that need the netfilter
 * conntrack netlink API or the `ovs_ct_limit` family (`dump-conntrack`, `flush-conntrack`,
 * `ct-stats-show`, `ct-bkts`, `ct-set-limits`, `ct-del-limits`, `ct-get-limits`) and the
 * undocumented test command `normalize-actions`.
 */
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import { parseOdpFlowKeyBytes, OdpParseError } from '../genl/odp-key-text';
import { attr, parseAttrs } from '../genl/nlattr';
import { OVS_KEY_ATTR_PACKET_TYPE } from '../genl/openvswitch';
import { OdpActionsParseError, parseOdpActions } from '../genl/odp-actions-text';
import type { OdpAction } from '../genl/actions';
import type { DpMessage, FlowMessage } from '../genl/messages';
import { encodeFlowKey } from '../genl/flow-key';
import type { DpifNetlink } from '../dpif-netlink/dpif';
import { NetlinkError } from '../genl/netlink';
import { DpctlDpif, ODPP_NONE, statsOf, type DpctlContext } from './dpif-handle';
import { parseFlowFilter, flowMatchesFilter } from './filter';
import { formatFlowStats, formatOdpActions, formatOdpFlow, formatUfidText, humanSize, parseUfidText, type PortNames } from './format';
import { ssetOrder, StringHmap } from './hash';
import { atoi, ERRNO, NetdevRegistry, strtok } from './netdev';
import { DpctlOutput, type VlogLevel, type VlogSettings } from './output';
import { RtnlSocket, type LinkOps } from './rtnl';
import { strerror } from './strerror';

/** `struct dpctl_params`: the options that change what commands do. */
export interface DpctlParams {
  /** `-s`/`--statistics`. */
  printStatistics: boolean;
  /** `--clear`: mod-flow zeroes the flow's statistics. */
  zeroStatistics: boolean;
  /** `--may-create`: mod-flow may create the flow. */
  mayCreate: boolean;
  /** `--read-only`: refuse commands that change the datapath. */
  readOnly: boolean;
  /** Number of `-m`/`--more`. */
  verbosity: number;
  /** `--names` / `--no-names`; defaults to `verbosity > 0`. */
  names: boolean;
  /** Running as `ovs-appctl dpctl/…` inside the daemon (`type=` allowed, one reply text). */
  isAppctl: boolean;
}

/** Default parameters: everything off, as `ovs-dpctl` without options. */
export function defaultDpctlParams(): DpctlParams {
  return { printStatistics: false, zeroStatistics: false, mayCreate: false, readOnly: false, verbosity: 0, names: false, isAppctl: false };
}

/** What a command run produced. */
export interface DpctlResult {
  stdout: string;
  stderr: string;
  /** 0 on success, 1 on failure (`EXIT_FAILURE`), as `ovs-dpctl` exits. */
  exitCode: number;
  /** Output and error messages in the order produced (set for appctl runs). */
  combined?: string;
}

/** Everything a handler needs. */
interface Run extends DpctlContext {
  params: DpctlParams;
  /** Reads a flows file (`-` = standard input); throws with an errno on failure. */
  readFile(name: string): string;
  /** `usage()`: the help text (`help` prints it and succeeds). */
  usage(): string;
}

type Handler = (run: Run, argv: string[]) => Promise<number>;

/** `struct dpctl_command`. */
interface CommandSpec {
  name: string;
  usage: string;
  minArgs: number;
  maxArgs: number;
  handler: Handler;
  mode: 'ro' | 'rw';
}

// ---------------------------------------------------------------------------------------------
// Datapath names

/** `dp_parse_name()`: `[type@]name`. (OVS takes the part after `@` through `dpif_normalize_type()`, so `system@` names the datapath `system`.) */
export function parseDpName(arg: string): { name: string; type: string } {
  const at = arg.indexOf('@');
  if (at < 0) return { name: arg, type: 'system' };
  const after = arg.slice(at + 1);
  return { name: after === '' ? 'system' : after, type: arg.slice(0, at) };
}

/** The datapath types ovs-dpctl registers: the kernel's and the userspace one (which has no datapaths outside ovs-vswitchd). */
const DP_TYPES = ssetOrder(['system', 'netdev']);

/** `dp_enumerate_names()`: the datapaths of `type`, in OVS's string-set order. */
async function enumerateNames(run: Run, type: string): Promise<string[] | number> {
  if (type !== 'system') return [];
  try {
    const dps = await run.nl.dpDump();
    return ssetOrder(dps.map((d) => d.name ?? ''));
  } catch (e) {
    const err = errnoOf(e);
    run.out.log('dpif', 'WARN', `failed to enumerate system datapaths: ${strerror(err)}`);
    return err;
  }
}

/** The positive errno of a netlink error or of a Node system error (whose `errno` is negative). */
function errnoOf(e: unknown): number {
  if (e && typeof e === 'object' && 'errno' in e && typeof (e as { errno: unknown }).errno === 'number') return Math.abs((e as { errno: number }).errno);
  throw e;
}

/** `get_one_dp()`: the only datapath's `type@name`, or an error printed and undefined. */
async function getOneDp(run: Run): Promise<string | undefined> {
  let count = 0;
  let first: string | undefined;
  for (const type of DP_TYPES) {
    const names = await enumerateNames(run, type);
    if (typeof names === 'number') continue;
    count += names.length;
    if (!first && count === 1) first = `${type}@${names[0]}`;
  }
  if (count === 0) run.out.error(0, 'no datapaths exist');
  else if (count > 1) {
    run.out.error(0, 'multiple datapaths, specify one');
    return undefined;
  }
  return first;
}

/** `dp_exists()`. */
async function dpExists(run: Run, arg: string): Promise<boolean> {
  const { name, type } = parseDpName(arg);
  if (!DP_TYPES.includes(type)) return false;
  const names = await enumerateNames(run, type);
  return typeof names !== 'number' && names.includes(name);
}

/**
 * `parsed_dpif_open()`: opens (or creates) `[type@]name`.
 * @returns the datapath or an errno (EAFNOSUPPORT for an unknown type, logged as OVS does)
 */
async function parsedDpifOpen(run: Run, arg: string, create: boolean): Promise<DpctlDpif | number> {
  const { name, type } = parseDpName(arg);
  if (!DP_TYPES.includes(type)) {
    run.out.log('dpif', 'WARN', `could not create datapath ${name} of unknown type ${type}`);
    return ERRNO.EAFNOSUPPORT;
  }
  if (type !== 'system') return create ? ERRNO.EOPNOTSUPP : ERRNO.ENODEV;
  return DpctlDpif.open(run, name, type, create);
}

/**
 * {@link parsedDpifOpen} that reports a failure as the commands do (OVS's `ovs_error(error, what)`
 * after `parsed_dpif_open()`), so the caller only has to pass the errno on.
 * @param what the message printed with the errno, e.g. `opening datapath`
 * @returns the datapath, or the errno already reported
 */
async function openDpifOrReport(run: Run, arg: string, create: boolean, what: string): Promise<DpctlDpif | number> {
  const dpif = await parsedDpifOpen(run, arg, create);
  if (typeof dpif === 'number') run.out.error(dpif, what);
  return dpif;
}

/** `opt_dpif_open()`: the datapath named by argv[1] when it exists, else the only one. */
async function optDpifOpen(run: Run, argv: string[], maxArgs: number): Promise<DpctlDpif | number> {
  let dpname: string | undefined;
  if (argv.length > 1 && (await dpExists(run, argv[1]))) dpname = argv[1];
  else if (argv.length !== maxArgs) dpname = await getOneDp(run);
  if (!dpname) {
    run.out.error(ERRNO.EINVAL, 'datapath not found');
    return ERRNO.EINVAL;
  }
  return openDpifOrReport(run, dpname, false, 'opening datapath');
}

/** `dps_for_each()`: runs `cb` on every datapath; errors as OVS reports them. */
async function dpsForEach(run: Run, cb: (dpif: DpctlDpif) => Promise<void>): Promise<number> {
  let openError = 0;
  let enumError = 0;
  let atLeastOne = false;
  for (const type of DP_TYPES) {
    const names = await enumerateNames(run, type);
    if (typeof names === 'number') {
      enumError = names;
      continue;
    }
    for (const name of names) {
      atLeastOne = true;
      const dpif = type === 'system' ? await DpctlDpif.open(run, name, type, false) : ERRNO.ENODEV;
      if (typeof dpif === 'number') {
        openError = dpif;
        run.out.error(dpif, `opening datapath ${name} failed`);
      } else await cb(dpif);
    }
  }
  if (openError) return openError;
  return atLeastOne ? 0 : enumError;
}

/** Port name → number (`simap` of the port dump), for `in_port(NAME)`. */
async function portNumbersByName(dpif: DpctlDpif): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  for (const p of await dpif.portDump()) m.set(p.name, p.portNo);
  return m;
}

/** `dpctl_get_portno_names()`: number → name when `--names` is in effect. */
async function portNamesIfWanted(run: Run, dpif: DpctlDpif): Promise<PortNames | undefined> {
  if (!run.params.names) return undefined;
  const m = new Map<number, string>();
  for (const p of await dpif.portDump()) if (!m.has(p.portNo)) m.set(p.portNo, p.name);
  return m;
}

// ---------------------------------------------------------------------------------------------
// Ports

/** Splits `IFACE[,key=value…]` like dpctl.c (strtok on ",", then on "=" ). */
function parseIfaceArg(arg: string): { name?: string; options: [string, string][] } {
  const first = strtok(arg, ',');
  if (!first) return { options: [] };
  const options: [string, string][] = [];
  let rest = first.rest;
  for (let t = strtok(rest, ','); t; t = strtok(rest, ',')) {
    rest = t.rest;
    const k = strtok(t.token, '=') as { token: string; rest: string };
    options.push([k.token, k.rest]);
  }
  return { name: first.token, options };
}

const addIf: Handler = async (run, argv) => {
  const dpif = await openDpifOrReport(run, argv[1], false, 'opening datapath');
  if (typeof dpif === 'number') return dpif;
  let lastError = 0;
  for (const arg of argv.slice(2)) {
    let error = 0;
    const { name, options } = parseIfaceArg(arg);
    if (name === undefined) {
      run.out.error(0, `${arg} is not a valid network device name`);
      lastError = ERRNO.EINVAL;
      continue;
    }
    let type = 'system';
    let portNo = ODPP_NONE;
    const args = new StringHmap<string>();
    for (const [key, value] of options) {
      if (key === 'type') type = value;
      else if (key === 'port_no') portNo = atoi(value) >>> 0;
      else if (args.get(key) === undefined) args.insert(key, value);
      else run.out.error(0, `duplicate "${key}" option`);
    }
    const dev = await run.netdevs.open(name, type);
    if (typeof dev === 'number') {
      run.out.error(dev, `${name}: failed to open network device`);
      lastError = dev;
      continue;
    }
    error = run.netdevs.setConfig(dev, args, false).error;
    if (!error) {
      const r = await dpif.portAdd(dev, portNo);
      error = r.error;
      if (error) run.out.error(error, `adding ${name} to ${argv[1]} failed`);
      else {
        error = await run.netdevs.turnUp(dev);
        if (error) run.out.error(error, `${name}: failed bringing interface up`);
      }
    }
    if (error) lastError = error;
  }
  return lastError;
};

const addDp: Handler = async (run, argv) => {
  const dpif = await openDpifOrReport(run, argv[1], true, 'add_dp');
  if (typeof dpif === 'number') return dpif;
  return argv.length > 2 ? addIf(run, argv) : 0;
};

const delDp: Handler = async (run, argv) => {
  const dpif = await openDpifOrReport(run, argv[1], false, 'opening datapath');
  if (typeof dpif === 'number') return dpif;
  const error = await dpif.delete();
  if (error) run.out.error(error, 'del_dp');
  return error;
};

const setIf: Handler = async (run, argv) => {
  const dpif = await openDpifOrReport(run, argv[1], false, 'opening datapath');
  if (typeof dpif === 'number') return dpif;
  let lastError = 0;
  for (const arg of argv.slice(2)) {
    const error = await setIfOne(run, dpif, argv[1], arg);
    if (error) lastError = error;
  }
  return lastError;
};

async function setIfOne(run: Run, dpif: DpctlDpif, dpArg: string, arg: string): Promise<number> {
  const { name, options } = parseIfaceArg(arg);
  if (name === undefined) {
    run.out.error(0, `${arg} is not a valid network device name`);
    return 0;
  }
  const port = await dpif.portQuery({ name });
  if (typeof port === 'number') {
    run.out.error(port, `${name}: failed to query port in ${dpArg}`);
    return port;
  }
  const dev = await run.netdevs.open(name, port.type);
  if (typeof dev === 'number') {
    run.out.error(dev, `${name}: failed to open network device`);
    return dev;
  }
  const args = run.netdevs.getConfig(dev);
  for (const [key, value] of options) {
    if (key === 'type') {
      if (value !== port.type) {
        run.out.error(0, `${name}: can't change type from ${port.type} to ${value}`);
        return ERRNO.EINVAL;
      }
    } else if (key === 'port_no') {
      if (port.portNo !== atoi(value) >>> 0) {
        run.out.error(0, `${name}: can't change port number from ${port.portNo} to ${atoi(value)}`);
        return ERRNO.EINVAL;
      }
    } else if (value === '') args.delete(key);
    else args.set(key, value);
  }
  const r = run.netdevs.setConfig(dev, args, true);
  if (r.message !== undefined || r.error) run.out.error(r.error, r.message ?? 'Error updating configuration');
  return r.error;
}

const delIf: Handler = async (run, argv) => {
  const dpif = await openDpifOrReport(run, argv[1], false, 'opening datapath');
  if (typeof dpif === 'number') return dpif;
  let lastError = 0;
  for (const name of argv.slice(2)) {
    let portNo: number;
    if (/^[0-9]*$/.test(name)) portNo = atoi(name) >>> 0;
    else {
      const q = await dpif.portQuery({ name });
      if (typeof q === 'number') {
        run.out.error(0, `no port named ${name}`);
        lastError = ERRNO.ENOENT;
        continue;
      }
      portNo = q.portNo;
    }
    const error = await dpif.portDel(portNo);
    if (error) {
      run.out.error(error, `deleting port ${name} from ${argv[1]} failed`);
      lastError = error;
    }
  }
  return lastError;
};

// ---------------------------------------------------------------------------------------------
// show, dump-dps, caches

function stat(v: bigint | undefined): string {
  return v === undefined ? '?' : v.toString();
}

/** `show_dpif_cache__()`: `  caches:` and one line per cache level the kernel reports. */
function cacheLines(dp: DpMessage | number): string {
  if (typeof dp === 'number' || dp.masksCacheSize === undefined) return '';
  return `  caches:\n    masks-cache: size:${dp.masksCacheSize}\n`;
}

async function showDpif(run: Run, dpif: DpctlDpif): Promise<void> {
  const out = run.out;
  out.print(`${dpif.fullName}:\n`);
  const dp = await dpif.get();
  if (typeof dp === 'number') out.log('dpif', 'WARN', `${dpif.fullName}: get_stats failed (${strerror(dp)})`);
  else {
    const s = dp.stats ?? { hit: 0n, missed: 0n, lost: 0n, flows: 0n };
    out.print(`  lookups: hit:${s.hit} missed:${s.missed} lost:${s.lost}\n  flows: ${s.flows}\n`);
    if (dp.megaflowStats) {
      const nPkts = s.hit + s.missed;
      const m = dp.megaflowStats;
      const avg = nPkts ? Number(m.maskHit) / Number(nPkts) : 0;
      out.print(`  masks: hit:${m.maskHit} total:${m.masks} hit/pkt:${avg.toFixed(2)}\n`);
      if (m.cacheHit) {
        const rate = nPkts ? (Number(m.cacheHit) / Number(nPkts)) * 100 : 0;
        out.print(`  cache: hit:${m.cacheHit} hit-rate:${rate.toFixed(2)}%\n`);
      }
    }
  }
  out.print(cacheLines(await dpif.get()));

  const portNos = (await dpif.portDump()).map((p) => p.portNo).sort((a, b) => a - b);
  for (const portNo of portNos) {
    const port = await dpif.portQuery({ portNo });
    if (typeof port === 'number') continue;
    out.print(`  port ${port.portNo}: ${port.name}`);
    if (port.type !== 'system') {
      out.print(` (${port.type}`);
      const dev = await run.netdevs.open(port.name, port.type);
      if (typeof dev === 'number') out.print(`: open failed (${strerror(dev)})`);
      else {
        const config = run.netdevs.getConfig(dev).entries().sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        config.forEach(([k, v], j) => out.print(`${j ? ',' : ':'} ${k}=${v}`));
      }
      out.print(')');
    }
    out.print('\n');
    if (run.params.printStatistics) {
      const dev = await run.netdevs.open(port.name, port.type);
      if (typeof dev === 'number') {
        out.print(`, open failed (${strerror(dev)})`);
        continue;
      }
      const s = await run.netdevs.stats(dev, port.vport.stats);
      out.print(`    RX packets:${stat(s.rxPackets)} errors:${stat(s.rxErrors)} dropped:${stat(s.rxDropped)} overruns:${stat(s.rxOverErrors)} frame:${stat(s.rxFrameErrors)}\n`);
      out.print(`    TX packets:${stat(s.txPackets)} errors:${stat(s.txErrors)} dropped:${stat(s.txDropped)} aborted:${stat(s.txAbortedErrors)} carrier:${stat(s.txCarrierErrors)}\n`);
      out.print(`    collisions:${stat(s.collisions)}\n`);
      out.print(`    RX bytes:${stat(s.rxBytes)}${humanSize(s.rxBytes)}  TX bytes:${stat(s.txBytes)}${humanSize(s.txBytes)}\n`);
    }
  }
}

const show: Handler = async (run, argv) => {
  if (argv.length > 1) {
    let lastError = 0;
    for (const name of argv.slice(1)) {
      const dpif = await openDpifOrReport(run, name, false, `opening datapath ${name} failed`);
      if (typeof dpif === 'number') lastError = dpif;
      else await showDpif(run, dpif);
    }
    return lastError;
  }
  return dpsForEach(run, (dpif) => showDpif(run, dpif));
};

const dumpDps: Handler = async (run) => dpsForEach(run, async (dpif) => run.out.print(`${dpif.fullName}\n`));

async function showDpifCache(run: Run, dpif: DpctlDpif): Promise<void> {
  run.out.print(`${dpif.fullName}:\n`);
  run.out.print(cacheLines(await dpif.get()));
}

const cacheGetSize: Handler = async (run, argv) => {
  if (argv.length > 1) {
    const dpif = await openDpifOrReport(run, argv[1], false, `Opening datapath ${argv[1]} failed`);
    if (typeof dpif === 'number') return dpif;
    await showDpifCache(run, dpif);
    return 0;
  }
  return dpsForEach(run, (dpif) => showDpifCache(run, dpif));
};

/** `ovs_scan(s, "%"SCNu32)`: leading spaces, optional sign, decimal digits; trailing text ignored. */
function scanU32(s: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  return m ? Number(BigInt.asUintN(32, BigInt(m[1]))) : undefined;
}

const cacheSetSize: Handler = async (run, argv) => {
  const size = scanU32(argv[3]);
  if (size === undefined) {
    run.out.error(ERRNO.EINVAL, 'size is malformed');
    return ERRNO.EINVAL;
  }
  const dpif = await openDpifOrReport(run, argv[1], false, `Opening datapath ${argv[1]} failed`);
  if (typeof dpif === 'number') return dpif;
  const dp = await dpif.get();
  if (typeof dp === 'number' || dp.masksCacheSize === undefined) {
    const err = typeof dp === 'number' ? dp : 0;
    run.out.error(err, 'Setting caches not supported');
    return err;
  }
  if (argv[2] !== 'masks-cache') {
    run.out.error(ERRNO.EINVAL, `Cache name "${argv[2]}" not found on dpif`);
    return ERRNO.EINVAL;
  }
  const error = await dpif.setCacheSize(size);
  if (error) {
    run.out.error(error, 'Setting cache size failed');
    return error;
  }
  const after = await dpif.get();
  run.out.print(`Setting cache size successful, new size ${typeof after === 'number' ? size : after.masksCacheSize}\n`);
  return 0;
};

// ---------------------------------------------------------------------------------------------
// Flows

/** `format_dpif_flow()`. */
function formatDpifFlow(run: Run, f: FlowMessage, names: PortNames | undefined): string {
  const verbose = run.params.verbosity > 0;
  let s = '';
  if (verbose && f.ufid) s += `${formatUfidText(f.ufid)}, `;
  const key = f.keyRaw ?? (f.key ? encodeFlowKey(f.key) : Buffer.alloc(0));
  const mask = f.mask ? encodeFlowKey(f.mask) : undefined;
  s += formatOdpFlow(key, mask, names, verbose);
  s += `, ${formatFlowStats(statsOf(f))}`;
  if (verbose) s += ', dp:ovs';
  s += `, actions:${formatOdpActions(f.actions ?? [], names)}`;
  return s;
}

const dumpFlows: Handler = async (run, argvIn) => {
  const argv = [...argvIn];
  let filter: string | undefined;
  let types: string | undefined;
  let pmdFilter = false;
  let lastLen = 0;
  while (argv.length > 1 && lastLen !== argv.length) {
    lastLen = argv.length;
    const last = argv[argv.length - 1];
    if (last.startsWith('filter=') && filter === undefined) {
      filter = (argv.pop() as string).slice(7);
    } else if (last.startsWith('type=') && types === undefined) {
      if (!run.params.isAppctl) {
        run.out.error(0, "Invalid argument 'type'. Use 'ovs-appctl dpctl/dump-flows' instead.");
        return ERRNO.EINVAL;
      }
      types = (argv.pop() as string).slice(5);
    } else if (last.startsWith('pmd=')) {
      const m = /^pmd=[ \t\n\v\f\r]*[+-]?\d+/.exec(argv.pop() as string);
      if (!m) return ERRNO.EINVAL;
      pmdFilter = true;
    }
  }
  const dpif = await optDpifOpen(run, argv, 2);
  if (typeof dpif === 'number') return dpif;
  const names = await portNamesIfWanted(run, dpif);
  let parsedFilter;
  if (filter !== undefined) {
    const ports = await dpif.portDump();
    const r = parseFlowFilter(filter, ports);
    if (typeof r === 'string') {
      run.out.error(0, `Failed to parse filter (${r})`);
      return ERRNO.EINVAL;
    }
    parsedFilter = r;
  }
  if (types !== undefined) {
    for (const t of types.split(',').filter((x) => x !== '')) {
      if (!['ovs', 'tc', 'dpdk', 'offloaded', 'non-offloaded', 'partially-offloaded', 'all'].includes(t)) {
        run.out.error(ERRNO.EINVAL, `Failed to parse type (${t})`);
        return ERRNO.EINVAL;
      }
    }
  }
  const flows = await dpif.flowDump();
  if (typeof flows === 'number') {
    run.out.error(flows, 'Failed to dump flows from datapath');
    return flows;
  }
  // Kernel flows have no PMD: a pmd= filter selects none of them.
  if (pmdFilter) return 0;
  const typeList = types?.split(',') ?? ['all'];
  const showKernelFlows = typeList.some((t) => ['ovs', 'non-offloaded', 'all'].includes(t));
  for (const f of flows) {
    if (parsedFilter && !flowMatchesFilter(f, parsedFilter)) continue;
    if (!showKernelFlows) continue;
    run.out.print(`${formatDpifFlow(run, f, names)}\n`);
  }
  return 0;
};

/** Parses key text into the bytes OVS sends, or prints OVS's error; `prefix` wraps the message. */
function parseKeyText(run: Run, text: string, ports: Map<string, number>, wrap: (msg: string) => string):
  { key: Buffer; mask: Buffer } | number {
  try {
    const r = parseOdpFlowKeyBytes(text, { portNames: ports });
    // OVS's dpif-netlink leaves packet_type out of what it sends (the kernel has no such key).
    return { key: withoutAttr(r.key, OVS_KEY_ATTR_PACKET_TYPE), mask: withoutAttr(r.mask, OVS_KEY_ATTR_PACKET_TYPE) };
  } catch (e) {
    if (!(e instanceof OdpParseError)) throw e;
    const errno = e.errno === 'E2BIG' ? 7 : ERRNO.EINVAL;
    run.out.error(errno, wrap(e.message));
    return errno;
  }
}

/** `attrs` without the top-level attributes of `type`. */
function withoutAttr(attrs: Buffer, type: number): Buffer {
  const all = parseAttrs(attrs);
  return all.some((a) => a.type === type) ? Buffer.concat(all.filter((a) => a.type !== type).map((a) => attr(a.type, a.data))) : attrs;
}

/** Per-process secret of {@link keyUfid} (OVS's `odp_flow_key_hash()` also hashes with a random basis). */
const UFID_SECRET = randomBytes(16);

/**
 * A UFID for a flow added or deleted through `ovs-appctl dpctl/…` without one, as OVS generates
 * it there (`odp_flow_key_hash()`): a 128-bit hash of the key bytes, stable within the process.
 */
function keyUfid(key: Buffer): Buffer {
  return createHash('md5').update(UFID_SECRET).update(key).digest();
}

/** `dpctl_put_flow_dpif()`. */
async function putFlow(run: Run, dpif: DpctlDpif, keyText: string, actionsText: string,
  flags: { create: boolean; modify: boolean; zeroStats: boolean }): Promise<number> {
  const u = parseUfidText(keyText);
  if (u.n < 0) {
    run.out.error(ERRNO.EINVAL, 'parsing flow ufid');
    return ERRNO.EINVAL;
  }
  const rest = keyText.slice(u.n);
  const ports = await portNumbersByName(dpif);
  const parsed = parseKeyText(run, rest, ports, (m) => `parsing flow key (${m})`);
  if (typeof parsed === 'number') return parsed;
  let actions: OdpAction[];
  try {
    actions = parseOdpActions(actionsText);
  } catch (e) {
    if (!(e instanceof OdpActionsParseError)) throw e;
    run.out.error(e.errno, 'parsing actions');
    return e.errno;
  }
  const ufid = u.ufid ?? (run.params.isAppctl ? keyUfid(parsed.key) : undefined);
  const r = await dpif.flowPut({ keyRaw: parsed.key, maskRaw: parsed.mask, actions, ufid }, flags, run.params.printStatistics);
  if (r.error) {
    run.out.error(r.error, 'updating flow table');
    return r.error;
  }
  if (run.params.printStatistics && r.stats) run.out.print(`${formatFlowStats(r.stats)}\n`);
  return 0;
}

/** `dpctl_del_flow_dpif()`. */
async function delFlow(run: Run, dpif: DpctlDpif, keyText: string): Promise<number> {
  const u = parseUfidText(keyText);
  if (u.n < 0) {
    run.out.error(ERRNO.EINVAL, 'parsing flow ufid');
    return ERRNO.EINVAL;
  }
  const ports = await portNumbersByName(dpif);
  const parsed = parseKeyText(run, keyText.slice(u.n), ports, (m) => m);
  if (typeof parsed === 'number') return parsed;
  const ufid = u.ufid ?? (run.params.isAppctl ? keyUfid(parsed.key) : undefined);
  const r = await dpif.flowDel({ keyRaw: parsed.key, ufid }, run.params.printStatistics);
  if (r.error) {
    run.out.error(r.error, 'deleting flow');
    // OVS tests an uninitialised flag here; in practice the hint always follows ENOENT.
    if (r.error === ERRNO.ENOENT) run.out.print('Perhaps you need to specify a UFID?\n');
    return r.error;
  }
  if (run.params.printStatistics && r.stats) run.out.print(`${formatFlowStats(r.stats)}\n`);
  return 0;
}

async function putFlowCommand(run: Run, argv: string[], flags: { create: boolean; modify: boolean; zeroStats: boolean }): Promise<number> {
  const dpif = await optDpifOpen(run, argv, 4);
  if (typeof dpif === 'number') return dpif;
  return putFlow(run, dpif, argv[argv.length - 2], argv[argv.length - 1], flags);
}

const addFlow: Handler = (run, argv) => putFlowCommand(run, argv, { create: true, modify: false, zeroStats: false });

const modFlow: Handler = (run, argv) => putFlowCommand(run, argv, { create: run.params.mayCreate, modify: true, zeroStats: run.params.zeroStatistics });

const getFlow: Handler = async (run, argv) => {
  const keyText = argv[argv.length - 1];
  const dpif = await optDpifOpen(run, argv, 3);
  if (typeof dpif === 'number') return dpif;
  const names = await portNamesIfWanted(run, dpif);
  const u = parseUfidText(keyText);
  if (u.n <= 0 || !u.ufid) {
    // OVS reports the parse failure but returns success here.
    run.out.error(u.n < 0 ? ERRNO.EINVAL : 0, 'parsing flow ufid');
    return 0;
  }
  const r = await dpif.flowGet({ ufid: u.ufid });
  if (r.error || !r.flow) {
    run.out.error(r.error, 'getting flow');
    return r.error;
  }
  run.out.print(`${formatDpifFlow(run, r.flow, names)}\n`);
  return 0;
};

const delFlowCommand: Handler = async (run, argv) => {
  const dpif = await optDpifOpen(run, argv, 3);
  if (typeof dpif === 'number') return dpif;
  return delFlow(run, dpif, argv[argv.length - 1]);
};

type FlowsCmd = 'add' | 'del' | 'mod';

/** `dpctl_parse_flow_line()`: an optional add/delete/modify word (any prefix), the flow, the actions. */
export function parseFlowLine(defaultCmd: FlowsCmd, line: string): { cmd: FlowsCmd; flow?: string; actions?: string } {
  const WS = ' \t\r\n';
  let p = 0;
  while (p < line.length && WS.includes(line[p])) p++;
  let len = 0;
  while (p + len < line.length && !(', ' + '\t\r\n').includes(line[p + len])) len++;
  const word = line.slice(p, p + len);
  let cmd = defaultCmd;
  // strncmp(line, "add", len) == 0: the word is a prefix of the keyword (possibly empty).
  if ('add'.startsWith(word)) cmd = 'add';
  else if ('delete'.startsWith(word)) cmd = 'del';
  else if ('modify'.startsWith(word)) cmd = 'mod';
  else len = 0;
  p += len;
  while (p < line.length && WS.includes(line[p])) p++;
  let flowLen = 0;
  while (p + flowLen < line.length && !WS.includes(line[p + flowLen])) flowLen++;
  if (flowLen === 0) return { cmd };
  const flow = line.slice(p, p + flowLen);
  p += flowLen;
  while (p < line.length && WS.includes(line[p])) p++;
  const actions = p < line.length ? line.slice(p) : undefined;
  return actions === undefined ? { cmd, flow } : { cmd, flow, actions };
}

/** `ds_get_preprocessed_line()` over a whole file: non-blank lines after removing `#` comments, with their numbers. */
export function preprocessedLines(text: string): { line: string; number: number }[] {
  const out: { line: string; number: number }[] = [];
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const hash = raw.indexOf('#');
    const line = hash >= 0 ? raw.slice(0, hash) : raw;
    if (/[^ \t\n]/.test(line)) out.push({ line, number: i + 1 });
  });
  return out;
}

const processFlows: Handler = async (run, argv) => {
  const fileName = argv[argv.length - 1];
  const defaultCmd: FlowsCmd = argv[0].includes('mod-flows') ? 'mod' : argv[0].includes('del-flows') ? 'del' : 'add';
  const dpif = await optDpifOpen(run, argv, 4);
  if (typeof dpif === 'number') return dpif;
  let text: string;
  try {
    text = run.readFile(fileName);
  } catch (e) {
    run.out.error(errnoOf(e), `Opening file "${fileName}" failed`);
    return 0;
  }
  for (const { line, number } of preprocessedLines(text)) {
    const { cmd, flow, actions } = parseFlowLine(defaultCmd, line);
    if ((!flow && !actions) || ((cmd === 'add' || cmd === 'mod') && !actions) || (cmd === 'del' && actions)) {
      run.out.error(0, `Failed parsing line number ${number}, skipped!`);
      continue;
    }
    if (cmd === 'add') await putFlow(run, dpif, flow as string, actions as string, { create: true, modify: false, zeroStats: false });
    else if (cmd === 'mod') await putFlow(run, dpif, flow as string, actions as string, { create: false, modify: true, zeroStats: false });
    else await delFlow(run, dpif, flow as string);
  }
  return 0;
};

const delFlows: Handler = async (run, argv) => {
  if ((argv.length === 2 && !(await dpExists(run, argv[1]))) || argv.length > 2) return processFlows(run, argv);
  const dpif = await optDpifOpen(run, argv, 2);
  if (typeof dpif === 'number') return dpif;
  const error = await dpif.flowFlush();
  if (error) run.out.error(error, 'deleting all flows');
  return error;
};

// ---------------------------------------------------------------------------------------------
// What the kernel datapath does not offer

const offloadStatsShow: Handler = async (run, argv) => {
  const dpif = await optDpifOpen(run, argv, 2);
  if (typeof dpif === 'number') return dpif;
  run.out.error(ERRNO.EOPNOTSUPP, 'retrieving offload statistics');
  return ERRNO.EOPNOTSUPP;
};

/** A conntrack setting the kernel datapath's dpif has no hook for: opens the datapath, validates like OVS, fails with EOPNOTSUPP. */
function notInKernel(maxArgs: number, check: (run: Run, argv: string[]) => string | undefined, failure: string): Handler {
  return async (run, argv) => {
    const dpif = await optDpifOpen(run, argv, maxArgs);
    if (typeof dpif === 'number') return dpif;
    const bad = check(run, argv);
    if (bad !== undefined) {
      run.out.error(ERRNO.EINVAL, bad);
      return ERRNO.EINVAL;
    }
    run.out.error(ERRNO.EOPNOTSUPP, failure);
    return ERRNO.EOPNOTSUPP;
  };
}

/** `ovs_scan(s, "%2s")` then "v4"/"v6". */
function isV4V6(s: string | undefined): boolean {
  const m = /^[ \t\n\v\f\r]*(\S{1,2})/.exec(s ?? '');
  return !!m && (m[1] === 'v4' || m[1] === 'v6');
}

const notImplemented: Handler = async (run, argv) => {
  run.out.error(ERRNO.EOPNOTSUPP, `'${argv[0]}' is not implemented by this ovs-dpctl`);
  return ERRNO.EOPNOTSUPP;
};

const parseActionsCmd: Handler = async (run, argv) => {
  for (const text of argv.slice(1)) {
    let actions: OdpAction[];
    try {
      actions = parseOdpActions(text);
    } catch (e) {
      if (!(e instanceof OdpActionsParseError)) throw e;
      run.out.error(e.errno, 'odp_actions_from_string');
      return e.errno;
    }
    run.out.print(`${formatOdpActions(actions, undefined)}\n`);
  }
  return 0;
};

const help: Handler = async (run) => {
  run.out.print(run.usage());
  return 0;
};

// ---------------------------------------------------------------------------------------------
// The table

const COMMANDS: CommandSpec[] = [
  { name: 'add-dp', usage: 'dp [iface...]', minArgs: 1, maxArgs: Infinity, handler: addDp, mode: 'rw' },
  { name: 'del-dp', usage: 'dp', minArgs: 1, maxArgs: 1, handler: delDp, mode: 'rw' },
  { name: 'add-if', usage: 'dp iface...', minArgs: 2, maxArgs: Infinity, handler: addIf, mode: 'rw' },
  { name: 'del-if', usage: 'dp iface...', minArgs: 2, maxArgs: Infinity, handler: delIf, mode: 'rw' },
  { name: 'set-if', usage: 'dp iface...', minArgs: 2, maxArgs: Infinity, handler: setIf, mode: 'rw' },
  { name: 'dump-dps', usage: '', minArgs: 0, maxArgs: 0, handler: dumpDps, mode: 'ro' },
  { name: 'show', usage: '[-s] [dp...]', minArgs: 0, maxArgs: Infinity, handler: show, mode: 'ro' },
  { name: 'dump-flows', usage: '[-m] [--names] [dp] [filter=..] [type=..] [pmd=..]', minArgs: 0, maxArgs: 6, handler: dumpFlows, mode: 'ro' },
  { name: 'add-flow', usage: '[dp] flow actions', minArgs: 2, maxArgs: 3, handler: addFlow, mode: 'rw' },
  { name: 'mod-flow', usage: '[dp] flow actions', minArgs: 2, maxArgs: 3, handler: modFlow, mode: 'rw' },
  { name: 'get-flow', usage: '[dp] ufid', minArgs: 1, maxArgs: 2, handler: getFlow, mode: 'ro' },
  { name: 'del-flow', usage: '[dp] flow', minArgs: 1, maxArgs: 2, handler: delFlowCommand, mode: 'rw' },
  { name: 'add-flows', usage: '[dp] file', minArgs: 1, maxArgs: 2, handler: processFlows, mode: 'rw' },
  { name: 'mod-flows', usage: '[dp] file', minArgs: 1, maxArgs: 2, handler: processFlows, mode: 'rw' },
  { name: 'del-flows', usage: '[dp] [file]', minArgs: 0, maxArgs: 2, handler: delFlows, mode: 'rw' },
  { name: 'offload-stats-show', usage: '[dp]', minArgs: 0, maxArgs: 1, handler: offloadStatsShow, mode: 'ro' },
  { name: 'dump-conntrack', usage: '[-m] [-s] [dp] [zone=N]', minArgs: 0, maxArgs: 4, handler: notImplemented, mode: 'ro' },
  { name: 'flush-conntrack', usage: '[dp] [zone=N] [ct-orig-tuple] [ct-reply-tuple]', minArgs: 0, maxArgs: 4, handler: notImplemented, mode: 'rw' },
  { name: 'cache-get-size', usage: '[dp]', minArgs: 0, maxArgs: 1, handler: cacheGetSize, mode: 'ro' },
  { name: 'cache-set-size', usage: 'dp cache <size>', minArgs: 3, maxArgs: 3, handler: cacheSetSize, mode: 'rw' },
  { name: 'ct-stats-show', usage: '[dp] [zone=N]', minArgs: 0, maxArgs: 3, handler: notImplemented, mode: 'ro' },
  { name: 'ct-bkts', usage: '[dp] [gt=N]', minArgs: 0, maxArgs: 2, handler: notImplemented, mode: 'ro' },
  {
    name: 'ct-set-maxconns', usage: '[dp] maxconns', minArgs: 1, maxArgs: 2, mode: 'rw',
    handler: notInKernel(3, (_r, a) => (scanU32(a[a.length - 1]) === undefined ? 'maxconns missing or malformed' : undefined), 'ct set maxconns failed'),
  },
  { name: 'ct-get-maxconns', usage: '[dp]', minArgs: 0, maxArgs: 1, mode: 'ro', handler: notInKernel(2, () => undefined, 'maxconns could not be retrieved') },
  { name: 'ct-get-nconns', usage: '[dp]', minArgs: 0, maxArgs: 1, mode: 'ro', handler: notInKernel(2, () => undefined, 'nconns could not be retrieved') },
  { name: 'ct-enable-tcp-seq-chk', usage: '[dp]', minArgs: 0, maxArgs: 1, mode: 'rw', handler: notInKernel(3, () => undefined, 'enabling TCP sequence checking failed') },
  { name: 'ct-disable-tcp-seq-chk', usage: '[dp]', minArgs: 0, maxArgs: 1, mode: 'rw', handler: notInKernel(3, () => undefined, 'disabling TCP sequence checking failed') },
  { name: 'ct-get-tcp-seq-chk', usage: '[dp]', minArgs: 0, maxArgs: 1, mode: 'ro', handler: notInKernel(2, () => undefined, 'TCP sequence checking query failed') },
  { name: 'ct-set-limits', usage: '[dp] [default=L] [zone=N,limit=L]...', minArgs: 1, maxArgs: Infinity, handler: notImplemented, mode: 'ro' },
  { name: 'ct-del-limits', usage: '[dp] zone=N1[,N2]...', minArgs: 1, maxArgs: 2, handler: notImplemented, mode: 'ro' },
  { name: 'ct-get-limits', usage: '[dp] [zone=N1[,N2]...]', minArgs: 0, maxArgs: 2, handler: notImplemented, mode: 'ro' },
  {
    name: 'ipf-set-enabled', usage: '[dp] v4|v6', minArgs: 1, maxArgs: 2, mode: 'rw',
    handler: notInKernel(4, (_r, a) => (isV4V6(a[a.length - 1]) ? undefined : "parameter missing: 'v4' for IPv4 or 'v6' for IPv6"), 'enabling fragmentation reassembly failed'),
  },
  {
    name: 'ipf-set-disabled', usage: '[dp] v4|v6', minArgs: 1, maxArgs: 2, mode: 'rw',
    handler: notInKernel(4, (_r, a) => (isV4V6(a[a.length - 1]) ? undefined : "parameter missing: 'v4' for IPv4 or 'v6' for IPv6"), 'disabling fragmentation reassembly failed'),
  },
  {
    name: 'ipf-set-min-frag', usage: '[dp] v4|v6 minfragment', minArgs: 2, maxArgs: 3, mode: 'rw',
    handler: notInKernel(4, (_r, a) => (!isV4V6(a[a.length - 2]) ? 'parameter missing: v4 for IPv4 or v6 for IPv6'
      : scanU32(a[a.length - 1]) === undefined ? 'parameter missing for minimum fragment size' : undefined),
    'requested minimum fragment size too small; see documentation'),
  },
  {
    name: 'ipf-set-max-nfrags', usage: '[dp] maxfrags', minArgs: 1, maxArgs: 2, mode: 'rw',
    handler: notInKernel(3, (_r, a) => (scanU32(a[a.length - 1]) === undefined ? 'parameter missing for maximum fragments' : undefined), 'setting maximum fragments failed'),
  },
  { name: 'ipf-get-status', usage: '[dp]', minArgs: 0, maxArgs: 1, mode: 'ro', handler: notInKernel(2, () => undefined, 'ipf status could not be retrieved') },
  { name: 'help', usage: '', minArgs: 0, maxArgs: Infinity, handler: help, mode: 'ro' },
  { name: 'list-commands', usage: '', minArgs: 0, maxArgs: Infinity, handler: async (run) => listCommands(run), mode: 'ro' },
  { name: 'parse-actions', usage: 'actions', minArgs: 1, maxArgs: Infinity, handler: parseActionsCmd, mode: 'ro' },
  { name: 'normalize-actions', usage: 'actions', minArgs: 2, maxArgs: Infinity, handler: notImplemented, mode: 'ro' },
];

async function listCommands(run: Run): Promise<number> {
  let s = 'The available commands are:\n';
  for (const c of COMMANDS) {
    if (run.params.isAppctl && c.name === 'help') continue;
    s += `  ${run.params.isAppctl ? 'dpctl/' : ''}${c.name.padEnd(23)} ${c.usage}\n`;
  }
  run.out.print(s);
  return 0;
}

/** Names of the commands, in OVS's table order. */
export const DPCTL_COMMAND_NAMES: readonly string[] = COMMANDS.map((c) => c.name);

/** Name, usage text and argument bounds of each command (`Infinity` = no upper bound), for unixctl registration. */
export const DPCTL_COMMAND_SPECS: readonly { name: string; usage: string; minArgs: number; maxArgs: number }[] =
  COMMANDS.map(({ name, usage, minArgs, maxArgs }) => ({ name, usage, minArgs, maxArgs }));

/** Names of the commands this implementation leaves out (they fail with an explanation). */
export const DPCTL_UNIMPLEMENTED: readonly string[] = COMMANDS.filter((c) => c.handler === notImplemented).map((c) => c.name);

/** Where a command run takes its input and how it talks. */
export interface DpctlRunOptions {
  /** Program name errors start with (`ovs-dpctl` when invoked under that name). */
  program: string;
  params: DpctlParams;
  /** The `help` text. */
  usage: string;
  /** Log destinations and levels (`-v`, `--log-file`). */
  vlog?: VlogSettings;
  /** Standard input, for `add-flows … -`. */
  stdin?: () => string;
  /** Clock for log timestamps. */
  now?: () => Date;
  /** Opens the rtnetlink client (default: a real {@link RtnlSocket}); tests pass fakes. */
  rtnl?: () => LinkOps;
  /**
   * Log messages go here instead of stderr (the daemon's vlog). Set for `ovs-appctl dpctl/…`,
   * whose argument counts the unixctl server checks, so {@link runDpctlCommand} then skips its
   * own checks, as `dpctl_unixctl_handler()` calls the handler directly.
   */
  logSink?: (module: string, level: VlogLevel, text: string) => void;
}

/**
 * Runs one dpctl command line (`dpctl_run_command()`): checks the command name, argument
 * count and `--read-only`, runs the handler and collects the output.
 * @param dpif the datapath interface (control socket), or the errno that opening it failed with
 *   (then every command that needs the kernel fails as OVS does without the module)
 * @param argv command name and its arguments (options already removed)
 * @returns output text and exit code (0 or 1)
 */
export async function runDpctlCommand(dpif: DpifNetlink | number, argv: string[], options: DpctlRunOptions): Promise<DpctlResult> {
  const out = new DpctlOutput(options.program, options.vlog, options.now, options.logSink);
  let rtnl: LinkOps | undefined;
  const getRtnl = (): LinkOps => (rtnl ??= (options.rtnl ?? RtnlSocket.open)());
  const nl = typeof dpif === 'number' ? unavailableDpif(dpif, out) : dpif;
  const run: Run = {
    nl, out, params: options.params, rtnl: getRtnl,
    netdevs: new NetdevRegistry(out, getRtnl),
    usage: () => options.usage,
    readFile: (name) => (name === '-' ? (options.stdin ?? (() => fs.readFileSync(0, 'utf8')))() : fs.readFileSync(name, 'utf8')),
  };
  try {
    const status = options.logSink ? await dispatchDirect(run, argv) : await dispatch(run, argv);
    const r: DpctlResult = { stdout: out.stdout, stderr: out.stderr, exitCode: status ? 1 : 0 };
    if (options.logSink) r.combined = out.combined;
    return r;
  } finally {
    rtnl?.close();
  }
}

/** Runs the handler of `argv[0]` without dpctl's own checks (the appctl path). */
async function dispatchDirect(run: Run, argv: string[]): Promise<number> {
  const c = COMMANDS.find((x) => x.name === argv[0]);
  if (!c) {
    run.out.error(0, `unknown command '${argv[0]}'`);
    return ERRNO.EINVAL;
  }
  return c.handler(run, argv);
}

async function dispatch(run: Run, argv: string[]): Promise<number> {
  if (argv.length < 1) {
    run.out.error(0, 'missing command name; use --help for help');
    return ERRNO.EINVAL;
  }
  const c = COMMANDS.find((x) => x.name === argv[0]);
  if (!c) {
    run.out.error(0, `unknown command '${argv[0]}'; use --help for help`);
    return ERRNO.EINVAL;
  }
  const n = argv.length - 1;
  if (n < c.minArgs) {
    run.out.error(0, `'${c.name}' command requires at least ${c.minArgs} arguments`);
    return ERRNO.EINVAL;
  }
  if (n > c.maxArgs) {
    run.out.error(0, `'${c.name}' command takes at most ${c.maxArgs} arguments`);
    return ERRNO.EINVAL;
  }
  if (c.mode === 'rw' && run.params.readOnly) {
    run.out.error(0, `'${c.name}' command does not work in read only mode`);
    return ERRNO.EINVAL;
  }
  return c.handler(run, argv);
}

/**
 * A stand-in whose every kernel request fails with `errno` (no openvswitch module), logging
 * once, at the first request, what OVS's `dpif_netlink_init()` logs.
 */
function unavailableDpif(errno: number, out: DpctlOutput): DpifNetlink {
  let logged = false;
  const fail = async (): Promise<never> => {
    if (!logged) {
      logged = true;
      out.log('dpif_netlink', 'INFO', "Generic Netlink family 'ovs_datapath' does not exist. The Open vSwitch kernel module is probably not loaded.");
    }
    throw new NetlinkError(errno, 'openvswitch kernel module');
  };
  return new Proxy({} as DpifNetlink, { get: () => fail });
}

