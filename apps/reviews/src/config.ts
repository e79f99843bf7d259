import { MAX_EXTRA_LATENCY_MS, readAdminPort } from '@skiff/sample-kit';
import { REVIEWS_VERSIONS, DEFAULT_RATINGS_URL, type ReviewsVersion } from './app.js';
import { RATINGS_PROTOCOLS, type RatingsProtocol } from './ratings-caller.js';
import { readHost, readHttpUrl, readNumber, readPort, type Env } from './env.js';

export interface ReviewsConfig {
  host: string;
  port: number;
  version: ReviewsVersion;
  ratingsUrl: string;
  /** How v2 calls ratings (RATINGS_PROTOCOL): grpc, the default, or http. */
  ratingsProtocol: RatingsProtocol;
  /** The sidecar's outbound listener; unset means call ratings directly. */
  outboundProxy: string | undefined;
  /** The demo controls' port on 127.0.0.1 (ADMIN_PORT); undefined: none. */
  adminPort: number | undefined;
  ratingsTimeoutMs: number;
  failPercent: number;
  extraLatencyMs: number;
}

export function readConfig(env: Env): ReviewsConfig {
  const version = env.SERVICE_VERSION || 'v1';
  if (!(REVIEWS_VERSIONS as readonly string[]).includes(version)) {
    throw new Error(`SERVICE_VERSION must be one of ${REVIEWS_VERSIONS.join(', ')}, got "${version}"`);
  }
  const ratingsProtocol = env.RATINGS_PROTOCOL || 'grpc';
  if (!(RATINGS_PROTOCOLS as readonly string[]).includes(ratingsProtocol)) {
    throw new Error(`RATINGS_PROTOCOL must be one of ${RATINGS_PROTOCOLS.join(', ')}, got "${ratingsProtocol}"`);
  }
  return {
    host: readHost(env),
    port: readPort(env, 9080),
    adminPort: readAdminPort(env, readPort(env, 9080)),
    version: version as ReviewsVersion,
    ratingsUrl: readHttpUrl(env, 'RATINGS_URL', DEFAULT_RATINGS_URL) as string,
    ratingsProtocol: ratingsProtocol as RatingsProtocol,
    outboundProxy: readHttpUrl(env, 'SKIFF_OUTBOUND_PROXY'),
    ratingsTimeoutMs: readNumber(env, 'RATINGS_TIMEOUT_MS', 10_000, 1, 600_000),
    failPercent: readNumber(env, 'FAIL_PERCENT', 0, 0, 100),
    extraLatencyMs: readNumber(env, 'EXTRA_LATENCY_MS', 0, 0, MAX_EXTRA_LATENCY_MS),
  };
}
