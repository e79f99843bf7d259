// Envoy's ROUND_ROBIN: hosts in turn, skipping unavailable ones. The cursor moves past the host
// actually chosen, so the available hosts keep strict rotation (an ejected host's turn does not
// go to its neighbour twice). The start is random, as in Envoy, so a fleet of sidecars that
// loads the same snapshot does not send its first requests to the same host.
import type { Host } from './host.js';
import type { HostPredicate, LoadBalancer, PickContext } from './load-balancer.js';

export class RoundRobinBalancer implements LoadBalancer {
  readonly kind = 'ROUND_ROBIN';
  #next: number;

  constructor(
    readonly hosts: readonly Host[],
    random: () => number,
  ) {
    this.#next = Math.floor(random() * hosts.length) || 0;
  }

  pick(_ctx: PickContext, isAvailable: HostPredicate): Host | undefined {
    const n = this.hosts.length;
    for (let step = 0; step < n; step++) {
      const i = (this.#next + step) % n;
      const host = this.hosts[i] as Host;
      if (isAvailable(host)) {
        this.#next = (i + 1) % n;
        return host;
      }
    }
    return undefined;
  }
}
