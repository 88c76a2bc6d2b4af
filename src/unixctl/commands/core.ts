/**
 * The daemon-wide unixctl commands, with OVS 3.1's texts (`lib/vlog.c`, `lib/coverage.c`,
 * `lib/memory.c` and the counts `vswitchd/bridge.c` feeds it):
 *
 * - `vlog/set [SPEC]...`, `vlog/list`, `vlog/reopen`, `vlog/close`;
 * - `coverage/show`, `coverage/read-counter COUNTER`;
 * - `memory/show`.
 *
 * `list-commands` and `version` come with the server; `exit` with the daemon (vswitchd.ts).
 */
import { strerror, vlogClose, vlogList, vlogReopen, vlogSetSpec } from '../../util/vlog';
import type { Coverage } from '../coverage';
import { UnixctlError, UnixctlRegistry } from '../registry';
import { bridgesOf, PartsGetter } from './parts';

/** Registers `vlog/set`, `vlog/list`, `vlog/reopen` and `vlog/close`. */
export function registerVlogCommands(registry: UnixctlRegistry): void {
  registry.register('vlog/set', '{spec | PATTERN:destination:pattern}', 0, Infinity, (args) => {
    // No argument: every module and destination to dbg (the empty spec means exactly that).
    for (const spec of args.length ? args : ['']) {
      try {
        vlogSetSpec(spec);
      } catch (e) {
        throw new UnixctlError((e as Error).message);
      }
    }
    return '';
  });
  registry.register('vlog/list', '', 0, 0, () => vlogList());
  registry.register('vlog/reopen', '', 0, 0, () => {
    try {
      vlogReopen();
    } catch (e) {
      const err = e as Error;
      // OVS answers with the bare reason of the failed open.
      throw new UnixctlError(err.cause !== undefined ? strerror(err.cause) : err.message);
    }
    return '';
  });
  registry.register('vlog/close', '', 0, 0, () => {
    vlogClose();
    return '';
  });
}

/** Registers `coverage/show` and `coverage/read-counter`. */
export function registerCoverageCommands(registry: UnixctlRegistry, coverage: Coverage): void {
  registry.register('coverage/show', '', 0, 0, () => coverage.show());
  registry.register('coverage/read-counter', 'COUNTER', 1, 1, ([name]) => {
    const total = coverage.readCounter(name);
    if (total === undefined) throw new UnixctlError('No such counter');
    return `${total}\n`;
  });
}

/**
 * Registers `memory/show`: `name:count` pairs sorted by name, zero counts left out, e.g.
 * `handlers:4 idl-cells-Open_vSwitch:60 ports:3 revalidators:1 rules:5 udpif keys:4`.
 *
 * The counts are ts-vswitchd's own: handler and revalidator threads, ports and rules of every
 * bridge, the flows the revalidator tracks, and the database cells the client replicates
 * (rows × monitored columns; OVS's IDL replicates every column, so it counts more).
 * @param rulesOf rules a bridge holds, hidden ones included
 */
export function registerMemoryCommand(registry: UnixctlRegistry, parts: PartsGetter, rulesOf: (b: ReturnType<typeof bridgesOf>[number]) => number): void {
  registry.register('memory/show', '', 0, 0, () => {
    const p = parts();
    const usage = new Map<string, number>();
    const add = (name: string, n: number): void => {
      if (n) usage.set(name, (usage.get(name) ?? 0) + n);
    };
    if (p.udpif) {
      add('handlers', p.udpif.nHandlers);
      add('revalidators', p.udpif.nRevalidators);
      add('udpif keys', p.udpif.revalidatorStats().ukeys);
    }
    for (const b of bridgesOf(p)) {
      add('ports', b.ports.length);
      add('rules', rulesOf(b));
    }
    if (p.ovsdb) {
      let cells = 0;
      for (const rows of p.ovsdb.tables.values()) {
        for (const row of rows.values()) cells += Object.keys(row).filter((c) => c !== '_uuid').length;
      }
      add(`idl-cells-${p.ovsdb.database}`, cells);
    }
    const names = [...usage.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return names.map((n) => `${n}:${usage.get(n)}`).join(' ');
  });
}
