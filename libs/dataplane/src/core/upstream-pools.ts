// Keep-alive connection pools to upstreams, one per origin ("http://127.0.0.1:15206"). Pools
// outlive snapshots: a config push that only changes weights reuses every warm connection, and
// an origin that disappears is closed gracefully (in-flight requests finish first).
import { Pool } from 'undici';

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

/** undici's pool counters: connections (connected, free) and requests (pending, queued, running). */
export interface PoolStats {
  connected: number;
  free: number;
  pending: number;
  queued: number;
  running: number;
}

export class UpstreamPools {
  readonly #pools = new Map<string, Pool>();
  readonly #options: PoolOptions;

  constructor(options: PoolOptions = {}) {
    this.#options = options;
  }

  /** One pool per origin and settings: clusters with different connection limits do not share. */
  get(origin: string, options?: PoolOptions, tls?: PeerTls): Pool {
    let key = options ? `${origin}#${options.connections ?? ''}/${options.maxRequestsPerConnection ?? ''}/${options.connectTimeoutMs ?? ''}` : origin;
    if (tls) key = `${key.includes('#') ? key : `${key}#`}|tls:${tls.generation}:${tls.expectedSpiffeId}`;
    let pool = this.#pools.get(key);
    if (!pool) {
      const o = { ...this.#options, ...options };
      const url = tls ? origin.replace(/^http:/, 'https:') : origin;
      pool = new Pool(url, {
        ...(tls
          ? {
              connect: {
                key: tls.key,
                cert: tls.cert,
                ca: tls.ca,
                minVersion: 'TLSv1.2' as const,
                // Secure naming: the peer must present the identity the control plane says runs
                // there, whatever name or address we dialled.
                checkServerIdentity: (_host: string, peer: { subjectaltname?: string }) =>
                  (peer.subjectaltname ?? '').split(', ').includes(`URI:${tls.expectedSpiffeId}`)
                    ? undefined
                    : Object.assign(new Error(`peer presented ${peer.subjectaltname ?? 'no SAN'}, expected ${tls.expectedSpiffeId}`), { code: 'ERR_SKIFF_PEER_IDENTITY' }),
                ...(o.connectTimeoutMs ? { timeout: o.connectTimeoutMs } : {}),
              },
            }
          : {}),
        connections: o.connections ?? 128,
        keepAliveTimeout: o.keepAliveTimeoutMs ?? 30_000,
        pipelining: 1,
        ...(o.maxRequestsPerConnection ? { maxRequestsPerClient: o.maxRequestsPerConnection } : {}),
        ...(o.connectTimeoutMs ? { connectTimeout: o.connectTimeoutMs } : {}),
      });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /** Gracefully closes pools whose origin is no longer in use. */
  retainOnly(origins: ReadonlySet<string>): void {
    for (const [key, pool] of this.#pools) {
      const hash = key.indexOf('#');
      // (TLS pools are keyed "origin#…|tls:…"; the origin part is before '#'.)
      if (origins.has(hash < 0 ? key : key.slice(0, hash))) continue;
      this.#pools.delete(key);
      void pool.close().catch(() => undefined);
    }
  }

  /** After a certificate rotation: new requests open new pools; old ones finish and close. */
  retireTlsGenerationsBefore(generation: number): void {
    for (const [key, pool] of this.#pools) {
      const m = /\|tls:(\d+):/.exec(key);
      if (!m || Number(m[1]) >= generation) continue;
      this.#pools.delete(key);
      void pool.close().catch(() => undefined);
    }
  }

  /** Connections and requests per pool (undici's counters), for the admin port's /pools. */
  stats(): Record<string, PoolStats> {
    const out: Record<string, PoolStats> = {};
    for (const [key, pool] of this.#pools) {
      const { connected, free, pending, queued, running } = pool.stats;
      out[key] = { connected, free, pending, queued, running };
    }
    return out;
  }

  get size(): number {
    return this.#pools.size;
  }

  async closeAll(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)));
  }
}

export function originOf(address: string, port: number): string {
  return address.includes(':') ? `http://[${address}]:${port}` : `http://${address}:${port}`;
}
