// One endpoint as one cluster sees it: where it is, how busy it is, and its outlier-detection
// state. Plain mutable fields on one class keep the hot path monomorphic and allocation-free;
// the load balancers read `active`, the outlier detector owns the rest.
import type { Endpoint } from '@skiff/api';
import { originOf } from '../core/upstream-pools.js';

export class Host {
  /** "10.0.0.7:9080" (IPv6 in brackets): the identity used on the hash ring and in logs. */
  readonly key: string;
  /** "http://10.0.0.7:9080": the connection pool this host is reached through. */
  readonly origin: string;

  /** Requests in flight to this host (LEAST_REQUEST compares these). */
  active = 0;

  /** False while the control plane marks the endpoint unhealthy (its app fails its probe): never picked. */
  healthy: boolean;

  // Outlier detection (see outlier-detector.ts). Times are the detector clock's milliseconds.
  ejected = false;
  ejectedAt = 0;
  /** When the host returns to service; meaningful only while `ejected`. */
  ejectedUntil = 0;
  /** When the host last returned to service; undefined if it never was ejected. */
  lastUnejectedAt: number | undefined = undefined;
  /** Ejections over the host's life, for stats. */
  ejectionCount = 0;
  /** Envoy's ejection-time multiplier: +1 per ejection, -1 per healthy interval, never below 0. */
  ejectionBackoff = 0;
  consecutive5xx = 0;
  consecutiveGatewayErrors = 0;

  constructor(readonly endpoint: Endpoint) {
    this.healthy = endpoint.healthy !== false;
    this.key = hostKey(endpoint.address, endpoint.port);
    this.origin = originOf(endpoint.address, endpoint.port);
  }

  get address(): string {
    return this.endpoint.address;
  }
  get port(): number {
    return this.endpoint.port;
  }
  get workload(): string {
    return this.endpoint.workload;
  }
  get labels(): Readonly<Record<string, string>> {
    return this.endpoint.labels;
  }
}

export function hostKey(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

export function createHosts(endpoints: readonly Endpoint[]): Host[] {
  return endpoints.map((e) => new Host(e));
}

/**
 * Hosts for a new snapshot of one cluster, reusing the Host of every endpoint that is still
 * there (same address and port), so a config push keeps in-flight counts and ejections, as Envoy
 * keeps host state across EDS updates. An endpoint whose workload or labels changed gets a
 * fresh Host: it is a different instance behind the same address.
 */
export function reconcileHosts(previous: readonly Host[], endpoints: readonly Endpoint[]): Host[] {
  const byKey = new Map<string, Host>();
  for (const host of previous) byKey.set(host.key, host);
  return endpoints.map((endpoint) => {
    const old = byKey.get(hostKey(endpoint.address, endpoint.port));
    if (!old || !sameInstance(old.endpoint, endpoint)) return new Host(endpoint);
    old.healthy = endpoint.healthy !== false; // health changes with a push; the instance is the same
    return old;
  });
}

function sameInstance(a: Endpoint, b: Endpoint): boolean {
  if (a.workload !== b.workload) return false;
  const aKeys = Object.keys(a.labels);
  if (aKeys.length !== Object.keys(b.labels).length) return false;
  return aKeys.every((k) => a.labels[k] === b.labels[k]);
}
