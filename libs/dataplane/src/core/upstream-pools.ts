// Keep-alive connection pools to upstreams on the codec's client pool, one per origin
// ("http://127.0.0.1:15206") and settings. Pools outlive snapshots: a config push that only
// changes weights reuses every warm connection, and an origin that disappears is retired
// gracefully (requests in flight or already waiting finish first).
import { checkServerIdentity as defaultCheck } from 'node:tls';
import { ClientPool, type ClientPoolStats } from '../http1/client-pool.js';
import { H2ClientPool } from '../http2/h2-client-pool.js';
import type { UpstreamPool, UpstreamProtocol } from '../chain/upstream-connection.js';
import type { OriginatedTls } from '../security/origination-tls.js';

export interface PoolOptions {
  connections?: number;
  keepAliveTimeoutMs?: number;
  /** Envoy's max_requests_per_connection (DestinationRule http.maxRequestsPerConnection). */
  maxRequestsPerConnection?: number;
  connectTimeoutMs?: number;
}

/** Mutual TLS to a peer sidecar: our certificate, the roots we trust, and who the peer must be. */
export interface PeerTls {
  key: string;
  cert: string;
  ca: string;
  /** Rotation generation of our certificate; pools of older generations are retired. */
  generation: number;
  /** The SPIFFE ID the server must present (Istio's secure naming). */
  expectedSpiffeId: string;
}

/** What /pools shows per pool: connections (connected, free) and requests (pending, queued, running). */
export interface PoolStats {
  connected: number;
  free: number;
  /** Connections being opened. */
  pending: number;
  /** Requests waiting for a connection. */
  queued: number;
  /** Requests on a connection now. */
  running: number;
  opened: number;
  connectFailures: number;
}

/** The error a TLS handshake gives when the peer is not who the control plane says runs there. */
export const PEER_IDENTITY_ERROR = 'ERR_SKIFF_PEER_IDENTITY';

export class UpstreamPools {
  readonly #pools = new Map<string, UpstreamPool>();
  readonly #options: PoolOptions;

  constructor(options: PoolOptions = {}) {
    this.#options = options;
  }

  /** One pool per origin and settings: clusters with different connection limits do not share. */
  get(address: string, port: number, options?: PoolOptions, tls?: PeerTls | OriginatedTls, protocol: UpstreamProtocol = 'HTTP/1.1'): UpstreamPool {
    const key = poolKey(address, port, options, tls, protocol);
    let pool = this.#pools.get(key);
    if (!pool && protocol === 'HTTP/2') {
      const o = { ...this.#options, ...options };
      // One connection carries every stream: Envoy's HTTP/2 pool; connection limits count connections.
      pool = new H2ClientPool({ host: address, port, ...(tls ? { tls: tlsOptionsOf(tls) } : {}), idleTimeoutMs: o.keepAliveTimeoutMs ?? 30_000, connectTimeoutMs: o.connectTimeoutMs ?? 10_000 });
      this.#pools.set(key, pool);
    }
    if (!pool) {
      const o = { ...this.#options, ...options };
      pool = new ClientPool({
        host: address,
        port,
        ...(tls ? { tls: tlsOptionsOf(tls) } : {}),
        maxConnections: o.connections ?? 1024,
        idleTimeoutMs: o.keepAliveTimeoutMs ?? 30_000,
        connectTimeoutMs: o.connectTimeoutMs ?? 10_000,
        ...(o.maxRequestsPerConnection ? { maxRequestsPerConnection: o.maxRequestsPerConnection } : {}),
      });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /** Gracefully closes pools whose origin is no longer in use. */
  retainOnly(origins: ReadonlySet<string>): void {
    for (const [key, pool] of this.#pools) {
      const hash = key.indexOf('#');
      if (origins.has(hash < 0 ? key : key.slice(0, hash))) continue;
      this.#pools.delete(key);
      pool.retire();
    }
  }

  /** After a certificate rotation: new requests open new pools; old ones finish and close. */
  retireTlsGenerationsBefore(generation: number): void {
    for (const [key, pool] of this.#pools) {
      const m = /\|tls:(\d+):/.exec(key);
      if (!m || Number(m[1]) >= generation) continue;
      this.#pools.delete(key);
      pool.retire();
    }
  }

  /** Connections and requests per pool, for the admin port's /pools. */
  stats(): Record<string, PoolStats> {
    const out: Record<string, PoolStats> = {};
    for (const [key, pool] of this.#pools) out[key] = poolStats(pool.stats);
    return out;
  }

  get size(): number {
    return this.#pools.size;
  }

  async closeAll(): Promise<void> {
    for (const pool of this.#pools.values()) pool.close();
    this.#pools.clear();
  }
}

export function poolStats(s: ClientPoolStats): PoolStats {
  return { connected: s.open, free: s.free, pending: s.connecting, queued: s.waiting, running: s.busy, opened: s.opened, connectFailures: s.connectFailures };
}

export function originOf(address: string, port: number): string {
  return address.includes(':') ? `http://[${address}]:${port}` : `http://${address}:${port}`;
}

function tlsOptionsOf(tls: PeerTls | OriginatedTls) {
  return 'kind' in tls ? tls.options : peerTlsOptions(tls);
}

function poolKey(address: string, port: number, options: PoolOptions | undefined, tls: PeerTls | OriginatedTls | undefined, protocol: UpstreamProtocol): string {
  let key = originOf(address, port);
  if (options) key += `#${options.connections ?? ''}/${options.maxRequestsPerConnection ?? ''}/${options.connectTimeoutMs ?? ''}/${options.keepAliveTimeoutMs ?? ''}`;
  if (tls && 'kind' in tls) key += `${options ? '' : '#'}|origination:${tls.key}`;
  else if (tls) key += `${options ? '' : '#'}|tls:${tls.generation}:${tls.expectedSpiffeId}`;
  if (protocol === 'HTTP/2') key += `${options || tls ? '' : '#'}|h2`;
  return key;
}

/** TLS options for mutual TLS to a peer sidecar that must present `tls.expectedSpiffeId`. */
export function peerTlsOptions(tls: PeerTls) {
  return {
    key: tls.key,
    cert: tls.cert,
    ca: tls.ca,
    minVersion: 'TLSv1.2' as const,
    // Secure naming: the peer must present the identity the control plane says runs there,
    // whatever name or address we dialled (the chain itself is still checked against our roots).
    checkServerIdentity: (_host: string, peer: Parameters<typeof defaultCheck>[1]) =>
      (peer.subjectaltname ?? '').split(', ').includes(`URI:${tls.expectedSpiffeId}`)
        ? undefined
        : Object.assign(new Error(`peer presented ${peer.subjectaltname ?? 'no SAN'}, expected ${tls.expectedSpiffeId}`), { code: PEER_IDENTITY_ERROR }),
  };
}
