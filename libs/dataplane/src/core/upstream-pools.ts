// Keep-alive connection pools to upstreams, one per origin ("http://127.0.0.1:15206"). Pools
// outlive snapshots: a config push that only changes weights reuses every warm connection, and
// an origin that disappears is closed gracefully (in-flight requests finish first).
import { Pool } from 'undici';

export interface PoolOptions {
  connections?: number;
  keepAliveTimeoutMs?: number;
}

export class UpstreamPools {
  readonly #pools = new Map<string, Pool>();
  readonly #options: PoolOptions;

  constructor(options: PoolOptions = {}) {
    this.#options = options;
  }

  get(origin: string): Pool {
    let pool = this.#pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.#options.connections ?? 128,
        keepAliveTimeout: this.#options.keepAliveTimeoutMs ?? 30_000,
        pipelining: 1,
      });
      this.#pools.set(origin, pool);
    }
    return pool;
  }

  /** Gracefully closes pools whose origin is no longer in use. */
  retainOnly(origins: ReadonlySet<string>): void {
    for (const [origin, pool] of this.#pools) {
      if (origins.has(origin)) continue;
      this.#pools.delete(origin);
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
