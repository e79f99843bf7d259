// Envoy's RANDOM: a uniformly random available host.
import type { Host } from './host.js';
import type { HostPredicate, LoadBalancer, PickContext } from './load-balancer.js';
import { pickUniform } from './pick-uniform.js';

export class RandomBalancer implements LoadBalancer {
  readonly kind = 'RANDOM';

  constructor(
    readonly hosts: readonly Host[],
    private readonly random: () => number,
  ) {}

  pick(_ctx: PickContext, isAvailable: HostPredicate): Host | undefined {
    return pickUniform(this.hosts, isAvailable, this.random);
  }
}
