/**
 * The ovs-dpctl command line: getopt_long() rules, OVS's option semantics and its messages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DpctlExit, parseDpctlArgs, runDpctl, usageText } from '../../src/dpctl/cli';

const P = 'ovs-dpctl';

function exitOf(argv: string[]): DpctlExit {
  try {
    parseDpctlArgs(argv, P);
  } catch (e) {
    if (e instanceof DpctlExit) return e;
    throw e;
  }
  throw new Error(`${argv.join(' ')} did not stop`);
}

test('options may follow the command, as getopt_long permutes them', () => {
  const cl = parseDpctlArgs(['dump-flows', 'dp0', '-m', '--names'], P);
  assert.deepEqual(cl.command, ['dump-flows', 'dp0']);
  assert.equal(cl.params.verbosity, 1);
  assert.equal(cl.params.names, true);
});

test('--names follows -m unless given; the last of --names/--no-names wins', () => {
  assert.equal(parseDpctlArgs(['-m', 'dump-flows'], P).params.names, true);
  assert.equal(parseDpctlArgs(['dump-flows'], P).params.names, false);
  assert.equal(parseDpctlArgs(['-m', '--no-names', 'dump-flows'], P).params.names, false);
  assert.equal(parseDpctlArgs(['--no-names', '--names', 'dump-flows'], P).params.names, true);
  assert.equal(parseDpctlArgs(['-mm', 'dump-flows'], P).params.verbosity, 2);
});

test('short options cluster and long options abbreviate to a unique prefix', () => {
  const cl = parseDpctlArgs(['-sm', '--stat', '--may', '--cl', '--read', 'mod-flow', 'f', 'a'], P);
  assert.equal(cl.params.printStatistics, true);
  assert.equal(cl.params.verbosity, 1);
  assert.equal(cl.params.mayCreate, true);
  assert.equal(cl.params.zeroStatistics, true);
  assert.equal(cl.params.readOnly, true);
});

test('-- ends the options and "-" is an operand', () => {
  assert.deepEqual(parseDpctlArgs(['add-flows', 'dp0', '-'], P).command, ['add-flows', 'dp0', '-']);
  assert.deepEqual(parseDpctlArgs(['--', 'show', '-x'], P).command, ['show', '-x']);
});

test('usage errors are worded as glibc getopt words them and exit 1', () => {
  const cases: [string[], string][] = [
    [['--bogus', 'show'], "ovs-dpctl: unrecognized option '--bogus'\n"],
    [['--bogus=1'], "ovs-dpctl: unrecognized option '--bogus=1'\n"],
    [['-x'], "ovs-dpctl: invalid option -- 'x'\n"],
    [['--n'], "ovs-dpctl: option '--n' is ambiguous; possibilities: '--names' '--no-names'\n"],
    // glibc names what was typed, value included (recorded from ovs-dpctl 3.1).
    [['--n=x'], "ovs-dpctl: option '--n=x' is ambiguous; possibilities: '--names' '--no-names'\n"],
    [['--timeout'], "ovs-dpctl: option '--timeout' requires an argument\n"],
    [['-t'], "ovs-dpctl: option requires an argument -- 't'\n"],
    [['--more=1'], "ovs-dpctl: option '--more' doesn't allow an argument\n"],
  ];
  for (const [argv, text] of cases) {
    const e = exitOf(argv);
    assert.equal(e.exitCode, 1, argv.join(' '));
    assert.equal(e.stderr, text);
  }
});

test('-t takes a positive decimal number of seconds', () => {
  assert.equal(parseDpctlArgs(['-t', '5', 'show'], P).timeoutSecs, 5);
  assert.equal(parseDpctlArgs(['-t7', 'show'], P).timeoutSecs, 7);
  assert.equal(parseDpctlArgs(['--timeout=9', 'show'], P).timeoutSecs, 9);
  for (const bad of ['0', 'x', '-1', '1.5']) {
    assert.equal(exitOf(['-t', bad, 'show']).stderr, `ovs-dpctl: value ${bad} on -t or --timeout is invalid\n`);
  }
});

test('--help and --version print and stop where they appear', () => {
  const h = exitOf(['--help', '--bogus']);
  assert.equal(h.exitCode, 0);
  assert.equal(h.stdout, usageText(P));
  assert.match(h.stdout, /^ovs-dpctl: Open vSwitch datapath management utility\nusage: ovs-dpctl \[OPTIONS\] COMMAND \[ARG\.\.\.\]\n/);
  const v = exitOf(['-V']);
  assert.equal(v.stdout, 'ovs-dpctl (Open vSwitch) 3.1.0\n');
  assert.equal(exitOf(['--bogus', '--help']).exitCode, 1);
});

test('-o lists the options as ovs_cmdl_print_options() does', () => {
  const o = exitOf(['-o']).stdout.split('\n');
  assert.deepEqual(o.slice(0, 3), ['--statistics', '-s ', '--clear']);
  assert.ok(o.includes('--timeout=ARG') && o.includes('-t ARG') && o.includes('--verbose=[ARG]') && o.includes('-v [ARG]'));
});

test('the help text names the log file after the program and OVS_LOGDIR', () => {
  const saved = process.env.OVS_LOGDIR;
  process.env.OVS_LOGDIR = '/x/log';
  try {
    assert.match(usageText('ts-dpctl'), /\(default: \/x\/log\/ts-dpctl\.log\)/);
  } finally {
    if (saved === undefined) delete process.env.OVS_LOGDIR;
    else process.env.OVS_LOGDIR = saved;
  }
});

test('-v specs set console levels; a malformed one is fatal', () => {
  assert.equal(parseDpctlArgs(['-vconsole:off', 'show'], P).vlog.console.get('*'), 'OFF');
  assert.equal(parseDpctlArgs(['-v', 'show'], P).vlog.console.get('*'), 'DBG');
  assert.equal(exitOf(['--verbose=info:warn']).stderr, 'ovs-dpctl: processing "info:warn": cannot specify multiple levels\n');
});

test('commands that need no kernel run without one: missing and unknown commands, list-commands', async () => {
  assert.deepEqual(await runDpctl([], P), { stdout: '', stderr: 'ovs-dpctl: missing command name; use --help for help\n', exitCode: 1 });
  const lc = await runDpctl(['list-commands'], P);
  assert.equal(lc.exitCode, 0);
  assert.match(lc.stdout, /^The available commands are:\n  add-dp                  dp \[iface\.\.\.\]\n/);
  assert.match(lc.stdout, /\n  dump-dps                \n/);
  const help = await runDpctl(['help'], P);
  assert.equal(help.stdout, usageText(P));
});

test('argument counts and --read-only are checked before anything runs', async () => {
  assert.equal((await runDpctl(['add-dp'], P)).stderr, "ovs-dpctl: 'add-dp' command requires at least 1 arguments\n");
  assert.equal((await runDpctl(['del-dp', 'a', 'b'], P)).stderr, "ovs-dpctl: 'del-dp' command takes at most 1 arguments\n");
  assert.equal((await runDpctl(['--read-only', 'add-flow', 'x', 'y'], P)).stderr, "ovs-dpctl: 'add-flow' command does not work in read only mode\n");
  assert.equal((await runDpctl(['bogus'], P)).stderr, "ovs-dpctl: unknown command 'bogus'; use --help for help\n");
});
