// Envoy's outlier detection for one cluster, as Istio configures it: consecutive-5xx and
// consecutive-gateway-error ejection (success-rate detection is off under Istio), ejection times
// that grow with repeated ejections, the max-ejection-percent limit, and the panic threshold.
//
// Time. Envoy runs a sweep every `interval` that returns hosts to service and decays the
// ejection multiplier. Here there is no timer: the sweep's effects are computed from the injected
// clock whenever someone asks, on a grid of virtual sweep ticks (creation time + k × interval).
// - An ejected host returns at the first tick at or after ejectedAt + its ejection time, exactly
//   when Envoy's sweep would return it (so "baseEjectionTime: 30s, interval: 10s" means 30–40 s).
// - The multiplier drops by one for every full interval since the host last returned, which is
//   what Envoy's per-tick decrement adds up to; it is applied when the host is next ejected.
// Calling sweep() on a timer is optional: it only makes the counters (ejectionsActive) current
// for stats without waiting for traffic.
import type { Host } from './host.js';
import type { HostPredicate } from './load-balancer.js';
import type { OutlierDetectionPolicy } from './traffic-policy.js';

export interface UpstreamOutcome {
  /** The upstream's HTTP status, when it answered. */
  status?: number | undefined;
  /** No connection could be made (refused, unreachable, connect timeout). */
  connectFailure?: boolean | undefined;
  /** The upstream did not answer in time. */
  timeout?: boolean | undefined;
  /** The connection was reset or closed before a complete response. */
  reset?: boolean | undefined;
}

export type EjectionReason = 'consecutive_5xx' | 'consecutive_gateway_failure';

export interface OutlierEvent {
  action: 'eject' | 'uneject' | 'overflow';
  host: Host;
  reason?: EjectionReason;
  /** For eject: how long the host stays out (before rounding up to the next sweep tick). */
  durationMs?: number;
}

export interface OutlierDetectorOptions {
  /** Envoy's always_eject_one_host (off by default and not settable from Istio). */
  alwaysEjectOneHost?: boolean;
  /** Called on every ejection, return and refused ejection: Envoy's outlier event log. */
  onEvent?: (event: OutlierEvent) => void;
}

export interface OutlierStats {
  ejectionsActive: number;
  ejectionsEnforcedTotal: number;
  ejectionsEnforcedConsecutive5xx: number;
  ejectionsEnforcedConsecutiveGatewayFailure: number;
  /** Ejections refused because of maxEjectionPercent (Envoy's ejections_overflow). */
  ejectionsOverflow: number;
}

export class OutlierDetector {
  readonly stats: OutlierStats = {
    ejectionsActive: 0,
    ejectionsEnforcedTotal: 0,
    ejectionsEnforcedConsecutive5xx: 0,
    ejectionsEnforcedConsecutiveGatewayFailure: 0,
    ejectionsOverflow: 0,
  };
  readonly #hosts: readonly Host[];
  readonly #members: ReadonlySet<Host>;
  readonly #epoch: number;
  /** Earliest ejectedUntil among ejected hosts; Infinity when none is ejected. */
  #nextReturn = Infinity;

  /** Available = not ejected. Pre-bound so that handing it to a balancer allocates nothing. */
  readonly #notEjected: HostPredicate = (host) => !host.ejected;
  readonly #everyHost: HostPredicate = () => true;

  constructor(
    readonly policy: OutlierDetectionPolicy,
    hosts: readonly Host[],
    private readonly now: () => number,
    private readonly options: OutlierDetectorOptions = {},
  ) {
    this.#hosts = hosts;
    this.#members = new Set(hosts);
    this.#epoch = now();
    // Hosts carried over from the previous snapshot may arrive already ejected.
    for (const host of hosts) {
      if (!host.ejected) continue;
      this.stats.ejectionsActive++;
      this.#nextReturn = Math.min(this.#nextReturn, host.ejectedUntil);
    }
  }

  /** Records how one request to `host` ended. Outcomes with nothing set (a client that went away) count for nothing. */
  recordResult(host: Host, outcome: UpstreamOutcome): void {
    if (!this.#members.has(host)) return; // a host from an older snapshot
    const status = effectiveStatus(outcome);
    if (status === undefined) return;
    this.#refresh();
    if (status < 500 || status > 599) {
      host.consecutive5xx = 0;
      host.consecutiveGatewayErrors = 0;
      return;
    }
    // Envoy fires exactly when a counter reaches its threshold (==), so an already ejected host
    // that keeps failing in flight does not re-trigger until a success or its return resets it.
    if (status >= 502 && status <= 504) {
      if (++host.consecutiveGatewayErrors === this.policy.consecutiveGatewayErrors) {
        this.#onConsecutiveErrors(host, 'consecutive_gateway_failure');
      }
    } else {
      host.consecutiveGatewayErrors = 0;
    }
    if (++host.consecutive5xx === this.policy.consecutive5xxErrors) this.#onConsecutiveErrors(host, 'consecutive_5xx');
  }

  isEjected(host: Host): boolean {
    this.#refresh();
    return host.ejected;
  }

  /**
   * The predicate to pick hosts with, right now: hosts not ejected, or every host while the
   * cluster is in panic (healthy hosts below minHealthPercent). Call once per pick.
   */
  availability(): HostPredicate {
    this.#refresh();
    if (this.stats.ejectionsActive === 0 || this.inPanic()) return this.#everyHost;
    return this.#notEjected;
  }

  /** Envoy's panic: healthy% < healthy_panic_threshold, which Istio sets to minHealthPercent. */
  inPanic(): boolean {
    this.#refresh();
    const total = this.#hosts.length;
    if (total === 0) return false;
    const healthyPercent = (100 * (total - this.stats.ejectionsActive)) / total;
    return healthyPercent < this.policy.minHealthPercent;
  }

  /** Returns hosts whose ejection is over; what Envoy's interval timer does. */
  sweep(): void {
    this.#refresh();
  }

  #onConsecutiveErrors(host: Host, reason: EjectionReason): void {
    if (host.ejected) return;
    this.#eject(host, reason);
    // Reset whether or not the ejection happened, so it takes a fresh run of errors to try again.
    if (reason === 'consecutive_5xx') host.consecutive5xx = 0;
    else host.consecutiveGatewayErrors = 0;
  }

  #eject(host: Host, reason: EjectionReason): void {
    const total = this.#hosts.length;
    const active = this.stats.ejectionsActive;
    // Envoy (since 1.27): eject only if the ejected share *after* this ejection stays within the
    // limit. With Istio's default 10%, a cluster of fewer than 10 hosts never ejects anything.
    const allowed = (100 * (active + 1)) / total <= this.policy.maxEjectionPercent || (this.options.alwaysEjectOneHost === true && active === 0);
    if (!allowed) {
      this.stats.ejectionsOverflow++;
      this.options.onEvent?.({ action: 'overflow', host, reason });
      return;
    }
    const now = this.now();
    const { baseEjectionTimeMs: base, maxEjectionTimeMs: max, intervalMs } = this.policy;
    if (host.lastUnejectedAt !== undefined) {
      const healthyIntervals = Math.floor((now - host.lastUnejectedAt) / intervalMs);
      host.ejectionBackoff = Math.max(0, host.ejectionBackoff - healthyIntervals);
    }
    // Envoy stops growing the multiplier once it has passed the cap.
    if (host.ejectionBackoff * base < max + base) host.ejectionBackoff++;
    const durationMs = Math.min(base * host.ejectionBackoff, max);
    host.ejected = true;
    host.ejectedAt = now;
    host.ejectedUntil = this.#nextTick(now + durationMs);
    host.ejectionCount++;
    this.stats.ejectionsActive++;
    this.stats.ejectionsEnforcedTotal++;
    if (reason === 'consecutive_5xx') this.stats.ejectionsEnforcedConsecutive5xx++;
    else this.stats.ejectionsEnforcedConsecutiveGatewayFailure++;
    this.#nextReturn = Math.min(this.#nextReturn, host.ejectedUntil);
    this.options.onEvent?.({ action: 'eject', host, reason, durationMs });
  }

  /** The first virtual sweep tick at or after t. */
  #nextTick(t: number): number {
    const interval = this.policy.intervalMs;
    return this.#epoch + Math.ceil((t - this.#epoch) / interval) * interval;
  }

  /** Returns every host whose time is up; O(1) unless one is due. */
  #refresh(): void {
    const now = this.now();
    if (now < this.#nextReturn) return;
    let next = Infinity;
    for (const host of this.#hosts) {
      if (!host.ejected) continue;
      if (now >= host.ejectedUntil) this.#uneject(host);
      else next = Math.min(next, host.ejectedUntil);
    }
    this.#nextReturn = next;
  }

  #uneject(host: Host): void {
    host.ejected = false;
    host.lastUnejectedAt = host.ejectedUntil; // the sweep tick that returned it
    // Envoy clears the counters so that a few errors right after return do not re-eject at once.
    host.consecutive5xx = 0;
    host.consecutiveGatewayErrors = 0;
    this.stats.ejectionsActive--;
    this.options.onEvent?.({ action: 'uneject', host });
  }
}

/** The status Envoy's outlier detector charges: local-origin failures map to 503/504, as when split_external_local_origin_errors is false. */
function effectiveStatus(outcome: UpstreamOutcome): number | undefined {
  if (outcome.connectFailure || outcome.reset) return 503;
  if (outcome.timeout) return 504;
  return outcome.status !== undefined && outcome.status > 0 ? outcome.status : undefined;
}
