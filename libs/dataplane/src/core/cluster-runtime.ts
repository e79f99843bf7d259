// A cluster as the proxy runs it: its endpoints and a load balancer over them, built once per
// snapshot so picking an endpoint is an array index, not a lookup.
import type { Cluster, Endpoint } from '@skiff/api';
import { originOf } from './upstream-pools.js';

export interface EndpointRuntime {
  endpoint: Endpoint;
  origin: string;
}

export class ClusterRuntime {
  readonly name: string;
  readonly endpoints: readonly EndpointRuntime[];
  #next = 0;

  constructor(readonly cluster: Cluster) {
    this.name = cluster.name;
    this.endpoints = cluster.endpoints.map((endpoint) => ({ endpoint, origin: originOf(endpoint.address, endpoint.port) }));
  }

  /** Round robin (Envoy's ROUND_ROBIN); undefined when the cluster has no endpoint. */
  pick(): EndpointRuntime | undefined {
    const n = this.endpoints.length;
    if (n === 0) return undefined;
    const chosen = this.endpoints[this.#next % n];
    this.#next = (this.#next + 1) % n;
    return chosen;
  }
}
