import { DEFAULT_REVIEWS_URL } from './app.js';
import { readHost, readHttpUrl, readNumber, readPort, type Env } from './env.js';

export interface FrontendConfig {
  host: string;
  port: number;
  reviewsUrl: string;
  /** The sidecar's outbound listener; unset means call reviews directly. */
  outboundProxy: string | undefined;
  reviewsTimeoutMs: number;
}

export function readConfig(env: Env): FrontendConfig {
  return {
    host: readHost(env),
    port: readPort(env, 9080),
    reviewsUrl: readHttpUrl(env, 'REVIEWS_URL', DEFAULT_REVIEWS_URL) as string,
    outboundProxy: readHttpUrl(env, 'SKIFF_OUTBOUND_PROXY'),
    reviewsTimeoutMs: readNumber(env, 'REVIEWS_TIMEOUT_MS', 3_000, 1, 600_000),
  };
}
