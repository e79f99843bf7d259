// Envoy's LEAST_REQUEST for equally weighted hosts: "power of two choices". Draw two available
// hosts at random (with replacement, so one host may be drawn twice) and keep the one with fewer
// requests in flight; on a tie the first draw wins. Cheaper than scanning every host, and it
// avoids the herd effect of always picking the global minimum.
import type { Host } from './host.js';
import type { HostPredicate, LoadBalancer, PickContext } from './load-balancer.js';
import { pickUniform } from './pick-uniform.js';

/** Envoy's default choice_count. */
export const LEAST_REQUEST_CHOICES = 2;

export class LeastRequestBalancer implements LoadBalancer {
  readonly kind = 'LEAST_REQUEST';

  constructor(
    readonly hosts: readonly Host[],
    private readonly random: () => number,
  ) {}

  pick(_ctx: PickContext, isAvailable: HostPredicate): Host | undefined {
    let best = pickUniform(this.hosts, isAvailable, this.random);
    if (!best) return undefined;
    for (let choice = 1; choice < LEAST_REQUEST_CHOICES; choice++) {
      const other = pickUniform(this.hosts, isAvailable, this.random);
      if (other && other.active < best.active) best = other;
    }
    return best;
  }
}
