/**
 * Command-line runner of the ofproto/trace corpus against a vswitchd that is already running,
 * for the host dev loop (scripts/trace-diff-host.sh starts Debian's ovs-vswitchd on the dummy
 * datapath and calls this). Prints, per scenario, the compared lines of every probe, and the
 * full trace of any probe that failed or printed no `Datapath actions:` line.
 *
 * Usage: node dist/test/kernel/lib/trace-corpus-cli.js RUNDIR [--dummy] [--topology]
 *   [--filter REGEX] [--full] [--corpus FILE]
 * - RUNDIR: the daemons' OVS_RUNDIR (holds db.sock and ovs-vswitchd.pid); the environment must
 *   point ovs-vsctl/ovs-ofctl at the same daemons.
 * - --topology: create the base topology first ({@link baseTopology}); --dummy makes its
 *   bridges `datapath_type=dummy`.
 * - --filter: only scenarios whose id matches (groups' setup/teardown still run).
 * - --full: print every probe's full trace.
 * Exit status 1 when any scenario failed to load or any probe produced no `Datapath actions:`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { baseTopology, controlSocket, parseTraceCorpus, PersistentShell, playTraceCorpus, renderResult, UnixctlClient } from './trace-corpus';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const rundir = argv.find((a, i) => !a.startsWith('--') && !['--filter', '--corpus'].includes(argv[i - 1]));
  if (!rundir) throw new Error('usage: trace-corpus-cli RUNDIR [--dummy] [--topology] [--filter REGEX] [--full] [--corpus FILE]');
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const corpusFile = opt('--corpus') ?? path.join(__dirname, '../../../../test/kernel/corpus/trace.txt');
  const corpus = parseTraceCorpus(fs.readFileSync(corpusFile, 'utf8'));
  const filter = opt('--filter');
  if (filter) {
    const re = new RegExp(filter);
    corpus.scenarios = corpus.scenarios.filter((s) => re.test(s.id));
  }
  const shell = new PersistentShell(process.env, path.join(rundir, 'trace-scratch'));
  if (argv.includes('--topology')) {
    for (const args of baseTopology(argv.includes('--dummy') ? 'dummy' : undefined)) {
      const r = await shell.run(['ovs-vsctl', ...args]);
      if (r.code !== 0) throw new Error(`ovs-vsctl ${args.join(' ')}: ${r.stderr}`);
    }
  }
  const unixctl = await UnixctlClient.connect(controlSocket(rundir));
  let bad = 0;
  const started = Date.now();
  const results = await playTraceCorpus(corpus, {
    shell,
    unixctl,
    fileDir: path.join(rundir, 'trace-scratch'),
    onScenario: (r) => {
      const broken = r.loadErrors.length > 0 || r.probes.some((p) => !p.ok || !p.lines.some((l) => l.startsWith('Datapath actions:')));
      if (broken) bad++;
      console.log(`### ${r.id}${broken ? '   <<<<<< BROKEN' : ''}\n${renderResult(r)}`);
      if (broken || argv.includes('--full')) for (const p of r.probes) console.log(`--- full trace ${p.args.join(' ')}\n${p.output}`);
    },
  });
  unixctl.close();
  shell.close();
  console.log(`trace corpus: ${results.length} scenarios, ${results.reduce((n, r) => n + r.probes.length, 0)} probes, ${bad} broken, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return bad ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(e.stack ?? e.message);
    process.exit(2);
  },
);
