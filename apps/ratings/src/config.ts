import { MAX_EXTRA_LATENCY_MS, readAdminPort } from '@skiff/sample-kit';
import { readHost, readNumber, readPort, type Env } from './env.js';

export interface RatingsConfig {
  host: string;
  port: number;
  /** The demo controls' port on 127.0.0.1 (ADMIN_PORT); undefined: none. */
  adminPort: number | undefined;
  /** Share of requests that fail on purpose (FAIL_PERCENT): HTTP 503, gRPC UNAVAILABLE. */
  failPercent: number;
  /** Added to every answer (EXTRA_LATENCY_MS). */
  extraLatencyMs: number;
}

export function readConfig(env: Env): RatingsConfig {
  const port = readPort(env, 9080);
  return {
    host: readHost(env),
    port,
    adminPort: readAdminPort(env, port),
    failPercent: readNumber(env, 'FAIL_PERCENT', 0, 0, 100),
    extraLatencyMs: readNumber(env, 'EXTRA_LATENCY_MS', 0, 0, MAX_EXTRA_LATENCY_MS),
  };
}
