// Picks one host of a cluster for one request attempt. One implementation per Istio policy, built
// once per snapshot over the cluster's hosts; `pick` allocates nothing. Which hosts may be used
// right now (not ejected, or everything when the cluster panics) is the caller's predicate, so
// the balancers stay ignorant of outlier detection.
import type { Host } from './host.js';
import type { LoadBalancerPolicy } from './traffic-policy.js';
import { LeastRequestBalancer } from './least-request.js';
import { RandomBalancer } from './random.js';
import { RingHashBalancer } from './ring-hash.js';
import { RoundRobinBalancer } from './round-robin.js';

export interface PickContext {
  /** The request's hash key (see hashKeyFor); only CONSISTENT_HASH reads it. */
  hashKey?: string | undefined;
}

export type HostPredicate = (host: Host) => boolean;

export interface LoadBalancer {
  readonly kind: LoadBalancerPolicy['kind'];
  readonly hosts: readonly Host[];
  /** A host for which `isAvailable` is true, or undefined when there is none. */
  pick(ctx: PickContext, isAvailable: HostPredicate): Host | undefined;
}

/** Every host is available: for clusters without outlier detection. */
export const everyHost: HostPredicate = () => true;

export function createLoadBalancer(policy: LoadBalancerPolicy, hosts: readonly Host[], random: () => number): LoadBalancer {
  switch (policy.kind) {
    case 'ROUND_ROBIN':
      return new RoundRobinBalancer(hosts, random);
    case 'RANDOM':
      return new RandomBalancer(hosts, random);
    case 'LEAST_REQUEST':
      return new LeastRequestBalancer(hosts, random);
    case 'CONSISTENT_HASH':
      return new RingHashBalancer(hosts, random);
  }
}
