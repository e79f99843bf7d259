// Fixed-rate (open-loop) load: requests are sent on a schedule whatever the answers do, and each
// latency is measured from when the request was due, not when it was sent. A closed-loop tool
// (wrk, autocannon) waits for answers before sending more, so a stall delays the requests that
// would have seen it and the tail looks better than users see it (coordinated omission).
// wrk2 does this but Debian has no wrk2; undici keeps the client side cheap.
import { Agent, request } from 'undici';
import { summarize, type LatencySummary } from './percentiles.js';

export interface OpenLoopOptions {
  url: string;
  headers?: Record<string, string>;
  ratePerSecond: number;
  durationMs: number;
  connections: number;
  /** New connection per request instead of keep-alive. */
  newConnections?: boolean;
}

export interface OpenLoopResult {
  latencyMs: LatencySummary;
  sent: number;
  errors: number;
  /** The rate the client really managed to start requests at. */
  achievedRate: number;
  /**
   * How late the client sent each request (its timers wake up to about a millisecond late).
   * Latencies are measured from when a request was due, so they include this lag; a proxy's
   * added latency (its figure minus direct's, same client) does not.
   */
  sendLagMs: LatencySummary;
}

/**
 * Resolves at `due` or later, never before. A timer alone may fire up to a millisecond early
 * (libuv measures from the loop's cached time), and sending early made latencies negative
 * (direct's p50 came out -0.26 ms); the rare early wake-up waits again.
 */
export async function notBefore(due: number): Promise<void> {
  for (let wait = due - performance.now(); wait > 0; wait = due - performance.now()) {
    await new Promise((r) => setTimeout(r, Math.max(1, Math.ceil(wait))));
  }
}

export async function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const agent = new Agent({ connections: options.newConnections ? null : options.connections, pipelining: 1, keepAliveTimeout: options.newConnections ? 1 : 10_000 });
  const headers = { ...options.headers, ...(options.newConnections ? { connection: 'close' } : {}) };
  const interval = 1000 / options.ratePerSecond;
  const total = Math.floor((options.durationMs / 1000) * options.ratePerSecond);
  const latencies: number[] = [];
  const sendLags: number[] = [];
  let errors = 0;
  const start = performance.now();
  const inflight: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    await notBefore(due);
    sendLags.push(performance.now() - due);
    inflight.push(
      request(options.url, { dispatcher: agent, headers })
        .then(async (res) => {
          await res.body.dump();
          if (res.statusCode >= 400) errors++;
          latencies.push(performance.now() - due);
        })
        .catch(() => {
          errors++;
        }),
    );
  }
  const elapsed = performance.now() - start;
  await Promise.all(inflight);
  await agent.close();
  return { latencyMs: summarize(latencies), sent: total, errors, achievedRate: total / (elapsed / 1000), sendLagMs: summarize(sendLags) };
}
