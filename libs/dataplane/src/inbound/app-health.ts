// The sidecar's probe of the app behind it, as a Kubernetes readiness probe or Istio's
// WorkloadEntry health check does it: an HTTP GET (healthy on 200-399) or a TCP connect, every
// period, each with a timeout; `failureThreshold` failures in a row make the app unhealthy,
// `successThreshold` successes in a row healthy again. The sidecar reports each change to the
// control plane, which marks the endpoint unhealthy in every proxy.
import { request } from 'node:http';
import { connect } from 'node:net';

import type { AppProbe } from '@skiff/api';

export { parseAppProbe, type AppProbe } from '@skiff/api';

export interface ProbeSettings {
  probe: AppProbe;
  periodMs: number;
  timeoutMs: number;
  failureThreshold: number;
  successThreshold: number;
}

/** Defaults picked so that a dead app leaves every proxy's endpoints within 2 s. */
export const DEFAULT_PROBE: Omit<ProbeSettings, 'probe'> = { periodMs: 500, timeoutMs: 1_000, failureThreshold: 2, successThreshold: 1 };

export interface HealthState {
  healthy: boolean | undefined;
  failures: number;
  successes: number;
  message: string;
}

/** Pure: the state after one probe result; `changed` when the app's health flipped (or became known). */
export function nextHealth(state: HealthState, result: { ok: boolean; message: string }, settings: Pick<ProbeSettings, 'failureThreshold' | 'successThreshold'>): { state: HealthState; changed: boolean } {
  const failures = result.ok ? 0 : state.failures + 1;
  const successes = result.ok ? state.successes + 1 : 0;
  let healthy = state.healthy;
  // The first success makes an app known healthy; afterwards the thresholds decide each flip.
  if (result.ok && healthy !== true && (healthy === undefined || successes >= settings.successThreshold)) healthy = true;
  if (!result.ok && healthy !== false && failures >= settings.failureThreshold) healthy = false;
  return { state: { healthy, failures, successes, message: result.message }, changed: healthy !== undefined && healthy !== state.healthy };
}

export function probeOnce(host: string, port: number, probe: AppProbe, timeoutMs: number): Promise<{ ok: boolean; message: string }> {
  return new Promise((resolve) => {
    if (probe.kind === 'none') return resolve({ ok: true, message: 'not probed' });
    if (probe.kind === 'tcp') {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        resolve({ ok: false, message: `TCP connect to ${host}:${port} timed out after ${timeoutMs} ms` });
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ ok: true, message: `TCP connect to ${host}:${port} succeeded` });
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        resolve({ ok: false, message: `TCP connect to ${host}:${port}: ${error.code ?? error.message}` });
      });
      return;
    }
    const req = request({ host, port, path: probe.path, method: 'GET', agent: false, headers: { 'user-agent': 'skiff-probe/0.1', connection: 'close' }, timeout: timeoutMs }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 400 ? { ok: true, message: `GET ${probe.path}: ${status}` } : { ok: false, message: `GET ${probe.path} on ${host}:${port} answered ${status}` });
    });
    req.once('timeout', () => req.destroy(Object.assign(new Error(`timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.once('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, message: `GET ${probe.path} on ${host}:${port}: ${error.code === 'ETIMEDOUT' ? error.message : (error.code ?? error.message)}` }));
    req.end();
  });
}

export class AppHealthChecker {
  #state: HealthState = { healthy: undefined, failures: 0, successes: 0, message: 'not probed yet' };
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    private readonly target: { host: string; port: number },
    private readonly settings: ProbeSettings,
    private readonly onChange: (health: { healthy: boolean; message: string }) => void,
  ) {}

  get state(): Readonly<HealthState> {
    return this.#state;
  }

  start(): void {
    if (this.settings.probe.kind === 'none') return;
    void this.#tick();
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    const result = await probeOnce(this.target.host, this.target.port, this.settings.probe, this.settings.timeoutMs);
    if (this.#stopped) return;
    const { state, changed } = nextHealth(this.#state, result, this.settings);
    this.#state = state;
    if (changed) this.onChange({ healthy: state.healthy as boolean, message: state.message });
    this.#timer = setTimeout(() => void this.#tick(), this.settings.periodMs);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
