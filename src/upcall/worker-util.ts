/**
 * Small pieces every upcall worker uses: logging through the main thread's vlog, the monotonic
 * clock, draining control messages between batches and applying them to the replica.
 */
import { parentPort, receiveMessageOnPort } from 'node:worker_threads';
import type { OfprotoReplica } from '../ofproto-dpif/ofproto';
import { setThreadUpcallPid } from '../ofproto-dpif/xlate-controller';
import type { FromWorker, ToWorker, WorkerLogLevel } from './messages';

/** Posts a message to the main thread. @throws Error when not running in a worker */
export function post(msg: FromWorker): void {
  if (!parentPort) throw new Error('upcall worker code must run in a worker_thread');
  parentPort.postMessage(msg);
}

/** A vlog-style logger whose lines are written by the main thread (one log file, one sequence). */
export function workerLog(module: string): Record<WorkerLogLevel, (text: string) => void> {
  const at = (level: WorkerLogLevel) => (text: string) => post({ type: 'log', module, level, text });
  return { emer: at('emer'), err: at('err'), warn: at('warn'), info: at('info'), dbg: at('dbg') };
}

/** CLOCK_MONOTONIC in milliseconds: the clock of the kernel's `OVS_FLOW_ATTR_USED`. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1000000n);
}

/** Takes every control message queued for this worker, without waiting. */
export function drainMessages(): ToWorker[] {
  const out: ToWorker[] = [];
  if (!parentPort) return out;
  for (let m = receiveMessageOnPort(parentPort); m; m = receiveMessageOnPort(parentPort)) out.push(m.message as ToWorker);
  return out;
}

/** Lets the worker's event loop run once (stream writes, timers) between batches. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Applies a configuration or flow table message to a worker's replica, or the userspace action
 * pid to the worker's translations (other messages are the
 * worker's own business). A delta for a bridge the worker does not know yet is kept by the
 * replica until the configuration creating the bridge arrives.
 */
export function applyToReplica(replica: OfprotoReplica, m: ToWorker): void {
  if (m.type === 'config') replica.apply(m.config);
  else if (m.type === 'upcall-pid') setThreadUpcallPid(m.pid);
  else if (m.type === 'flow-delta' && !replica.applyFlowDelta(m.bridge, m.delta)) {
    workerLog('ofproto_dpif_upcall').dbg(`flow table change for bridge ${m.bridge} kept until the bridge is configured`);
  }
}
