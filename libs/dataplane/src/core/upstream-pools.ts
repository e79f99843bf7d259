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

export class UpstreamPools {
  readonly #pools = new Map<string, Pool>();
  readonly #options: PoolOptions;

  constructor(options: PoolOptions = {}) {
    this.#options = options;
  }

  /** One pool per origin and settings: clusters with different connection limits do not share. */
  get(origin: string, options?: PoolOptions): Pool {
    const key = options ? `${origin}#${options.connections ?? ''}/${options.maxRequestsPerConnection ?? ''}/${options.connectTimeoutMs ?? ''}` : origin;
    let pool = this.#pools.get(key);
    if (!pool) {
      const o = { ...this.#options, ...options };
      pool = new Pool(origin, {
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
      if (origins.has(hash < 0 ? key : key.slice(0, hash))) continue;
      this.#pools.delete(key);
      void pool.close().catch(() => undefined);
    }
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
