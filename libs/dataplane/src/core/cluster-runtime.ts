// A cluster as the proxy runs it: hosts, a load balancer, circuit-breaker limits and outlier
// detection from the DestinationRule, built once per snapshot so the hot path is an array walk.
// State that must outlive a push (in-flight counts, ejections, breaker counters) is carried
// over from the previous snapshot's runtime of the same name.
import type { Cluster } from '@skiff/api';
import {
  CircuitBreaker,
  clusterPolicy,
  createLoadBalancer,
  everyHost,
  OutlierDetector,
  reconcileHosts,
  type ClusterPolicy,
  type Host,
  type HostPredicate,
  type LoadBalancer,
} from '../cluster/index.js';
import type { AttemptOutcome } from './steps/retry-policy.js';
import type { PoolOptions } from './upstream-pools.js';
import { originationTls, type OriginatedTls } from '../security/origination-tls.js';

/** Hosts per cluster whose TLS origination settings are kept for the life of a push. */
export const ORIGINATION_CACHE_LIMIT = 256;

/** What the router needs of a host: where it is (kept for callers written before hosts had state). */
export type EndpointRuntime = Host;

export interface ClusterRuntimeOptions {
  random?: () => number;
  now?: () => number;
}

export class ClusterRuntime {
  readonly name: string;
  readonly hosts: readonly Host[];
  readonly policy: ClusterPolicy;
  readonly breaker: CircuitBreaker;
  readonly detector: OutlierDetector | undefined;
  readonly poolOptions: PoolOptions;
  readonly #lb: LoadBalancer;
  /** Set when some host's app is unhealthy: picks then skip those hosts (no allocation otherwise). */
  readonly #someUnhealthy: boolean;

  constructor(
    readonly cluster: Cluster,
    previous: ClusterRuntime | undefined,
    options: ClusterRuntimeOptions = {},
  ) {
    this.name = cluster.name;
    this.policy = clusterPolicy(cluster.policy);
    this.hosts = reconcileHosts(previous?.hosts ?? [], cluster.endpoints);
    this.#lb = createLoadBalancer(this.policy.loadBalancer, this.hosts, options.random ?? Math.random);
    this.#someUnhealthy = this.hosts.some((h) => !h.healthy);
    this.detector = this.policy.outlierDetection ? new OutlierDetector(this.policy.outlierDetection, this.hosts, options.now ?? Date.now) : undefined;
    const limits = this.policy.connectionPool;
    const sameLimits = previous && JSON.stringify(previous.breaker.limits) === JSON.stringify(pickLimits(limits));
    this.breaker = sameLimits && previous ? previous.breaker : new CircuitBreaker(pickLimits(limits));
    this.poolOptions = {
      ...(Number.isFinite(limits.maxConnections) ? { connections: limits.maxConnections } : {}),
      ...(limits.maxRequestsPerConnection > 0 ? { maxRequestsPerConnection: limits.maxRequestsPerConnection } : {}),
      connectTimeoutMs: limits.connectTimeoutMs,
      ...(Number.isFinite(limits.idleTimeoutMs) ? { keepAliveTimeoutMs: limits.idleTimeoutMs } : {}),
    };
  }

  readonly #origination = new Map<string, OriginatedTls | { error: string }>();

  /**
   * The TLS to originate to `host` (DestinationRule tls SIMPLE/MUTUAL), files read once per push;
   * undefined when none. An ORIGINAL_DST cluster is asked for whatever hosts its callers name, so
   * what is kept is capped (ORIGINATION_CACHE_LIMIT): past it each host's settings are computed anew.
   */
  originationFor(host: string): OriginatedTls | { error: string } | undefined {
    const tls = this.policy.tls;
    if (!tls) return undefined;
    let found = this.#origination.get(host);
    if (!found) {
      found = originationTls(tls, host);
      if (this.#origination.size < ORIGINATION_CACHE_LIMIT) this.#origination.set(host, found);
    }
    return found;
  }

  /** Hosts for `/clusters` and `skiff proxy-config endpoints`. */
  get endpoints(): readonly Host[] {
    return this.hosts;
  }

  /**
   * Picks a host: not ejected (unless in panic), and on a retry preferably one this request
   * has not tried yet (Istio's previous-hosts retry predicate).
   */
  pickHost(hashKey: string | undefined, tried: readonly Host[]): Host | undefined {
    const base: HostPredicate = this.detector?.availability() ?? everyHost;
    // An unhealthy app is never picked (Envoy's EDS health); all unhealthy: no healthy upstream.
    const available: HostPredicate = this.#someUnhealthy ? (h) => h.healthy && base(h) : base;
    if (tried.length > 0) {
      const fresh = this.#lb.pick({ hashKey }, (h) => available(h) && !tried.includes(h));
      if (fresh) return fresh;
    }
    return this.#lb.pick({ hashKey }, available);
  }

  tryAcquire(): boolean {
    return this.breaker.tryAcquire();
  }

  release(): void {
    this.breaker.release();
  }

  record(host: Host, outcome: AttemptOutcome): void {
    this.detector?.recordResult(host, { status: outcome.status, connectFailure: outcome.connectFailure, timeout: outcome.perTryTimeout, reset: outcome.reset });
  }
}

function pickLimits(p: ClusterPolicy['connectionPool']) {
  return { maxConnections: p.maxConnections, maxPendingRequests: p.maxPendingRequests, maxRequests: p.maxRequests, maxRetries: p.maxRetries };
}
