import { connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { Agent, request } from 'undici';
import type { ManagedProcess } from './managed-process.js';
import { describeExit, describeReadiness, type ExitStatus, type ProcessSpec } from './process-spec.js';
import { ProcessStartError } from './start-error.js';
import { formatSeconds } from './output-format.js';

const POLL_INTERVAL_MS = 100;
const PROBE_TIMEOUT_MS = 1_000;
const ERROR_OUTPUT_LINES = 20;

type Outcome = { kind: 'ready' } | { kind: 'exited'; status: ExitStatus } | { kind: 'timeout' };

/**
 * Resolves once `proc` is ready by its spec; rejects with a ProcessStartError (carrying the
 * child's last lines) if it exits or the deadline passes first. Does not kill the child.
 */
export async function waitUntilReady(proc: ManagedProcess, timeoutMs: number): Promise<void> {
  const { ready } = proc.spec;
  const controller = new AbortController();
  const probe = { lastAttempt: '' };
  try {
    const outcome = await Promise.race<Outcome>([
      waitForProbe(proc, controller.signal, probe).then(() => ({ kind: 'ready' })),
      proc.exited.then((status) => ({ kind: 'exited', status })),
      delay(timeoutMs, undefined, { signal: controller.signal }).then(() => ({ kind: 'timeout' })),
    ]);
    if (outcome.kind === 'ready') return;
    const waitingFor = `waiting for ${describeReadiness(ready)}${probe.lastAttempt ? `; last attempt: ${probe.lastAttempt}` : ''}`;
    const lastLines = proc.output(ERROR_OUTPUT_LINES);
    if (outcome.kind === 'timeout') {
      throw new ProcessStartError(
        proc.name,
        'timeout',
        `did not become ready within ${formatSeconds(timeoutMs)} (${waitingFor})`,
        lastLines,
        'Look for the cause in the output above; if it is only slow, raise readyTimeoutMs.',
      );
    }
    if (proc.stopRequested) {
      throw new ProcessStartError(proc.name, 'stopped', `was stopped before it became ready (${waitingFor})`, lastLines, 'Nothing to fix if you stopped it on purpose.', outcome.status);
    }
    throw new ProcessStartError(
      proc.name,
      'exited',
      `${describeExit(outcome.status)} before it became ready (${waitingFor})`,
      lastLines,
      `Fix the error in its output above, then start it again (command: ${commandLine(proc.spec)}).`,
      outcome.status,
    );
  } finally {
    controller.abort();
  }
}

export function commandLine(spec: ProcessSpec): string {
  return [spec.command, ...spec.args].map((part) => (/[\s"']/.test(part) ? JSON.stringify(part) : part)).join(' ');
}

async function waitForProbe(proc: ManagedProcess, signal: AbortSignal, probe: { lastAttempt: string }): Promise<void> {
  const { ready } = proc.spec;
  if (ready === undefined) return;
  if ('url' in ready) return pollUntilOk(ready.url, signal, probe);
  if ('tcp' in ready) return pollUntilConnects(ready.tcp.host, ready.tcp.port, signal, probe);
  return waitForLine(proc, ready.logLine, signal);
}

async function pollUntilOk(url: string, signal: AbortSignal, probe: { lastAttempt: string }): Promise<void> {
  // No keep-alive: a pooled connection to the child would outlive the probe and could hold up
  // the child's own graceful close later.
  const agent = new Agent({ pipelining: 0 });
  try {
    for (;;) {
      try {
        const response = await request(url, {
          dispatcher: agent,
          signal: AbortSignal.any([signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)]),
        });
        await response.body.dump();
        if (response.statusCode === 200) return;
        probe.lastAttempt = `HTTP ${response.statusCode}`;
      } catch (error) {
        if (signal.aborted) throw error;
        probe.lastAttempt = errorCode(error);
      }
      await delay(POLL_INTERVAL_MS, undefined, { signal });
    }
  } finally {
    void agent.close();
  }
}

/** Whether a TCP connect to host:port succeeds within `timeoutMs`: undefined if so, else why not. */
export function connectProblem(host: string, port: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => (socket.destroy(), resolve(undefined)));
    socket.once('timeout', () => (socket.destroy(), resolve(new Error(`connect to ${host}:${port} timed out`))));
    socket.once('error', resolve);
  });
}

async function pollUntilConnects(host: string, port: number, signal: AbortSignal, probe: { lastAttempt: string }): Promise<void> {
  for (;;) {
    const error = await connectProblem(host, port);
    if (!error) return;
    probe.lastAttempt = errorCode(error);
    await delay(POLL_INTERVAL_MS, undefined, { signal });
  }
}

function waitForLine(proc: ManagedProcess, pattern: RegExp, signal: AbortSignal): Promise<void> {
  // A /g or /y pattern keeps lastIndex between test() calls and would skip matches.
  const matcher = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
  return new Promise<void>((resolve, reject) => {
    if (proc.output().some((line) => matcher.test(line))) return resolve();
    const unsubscribe = proc.onOutput((line) => {
      if (!matcher.test(line)) return;
      unsubscribe();
      resolve();
    });
    signal.addEventListener('abort', () => (unsubscribe(), reject(signal.reason)), { once: true });
  });
}

function errorCode(error: unknown): string {
  // Node's socket errors already name the code ("connect ECONNREFUSED 127.0.0.1:4000").
  return error instanceof Error ? error.message : String(error);
}
