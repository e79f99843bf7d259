// Istio's consistentHash as Envoy's RING_HASH: every host owns many points ("virtual nodes") on a
// 32-bit ring, a request's key hashes to a point, and the request goes to the owner of the first
// host point at or after it (wrapping round). The same key reaches the same host while the host
// set is unchanged, and removing a host moves only the keys that host owned.
//
// Departures from Envoy, on purpose:
// - A fixed number of points per host (Envoy spreads minimum_ring_size = 1024 points over all
//   hosts). With a fixed count, a host's points do not change when another host comes or goes,
//   so removal remaps ~1/N of the keys and nothing else; Envoy's ring also reshuffles a little.
// - Unavailable hosts are skipped by walking on round the ring. Envoy rebuilds the ring from
//   healthy hosts instead; with fixed points per host both give the same answer.
// - A request without a key gets a random point, which is what Envoy does too.
import { fnv1a, fnv1aDigits, hash32, mix32 } from './hash.js';
import type { Host } from './host.js';
import type { HostPredicate, LoadBalancer, PickContext } from './load-balancer.js';

export const DEFAULT_POINTS_PER_HOST = 1024;
const TWO_POW_32 = 2 ** 32;
const OWNER_SLOTS = 2 ** 21;

export class RingHashBalancer implements LoadBalancer {
  readonly kind = 'CONSISTENT_HASH';
  /** Ring points in ascending order, and which host owns each. */
  readonly #points: Uint32Array;
  readonly #owners: Uint32Array;

  constructor(
    readonly hosts: readonly Host[],
    private readonly random: () => number,
    pointsPerHost: number = DEFAULT_POINTS_PER_HOST,
  ) {
    const size = hosts.length * pointsPerHost;
    // Sort (point, owner) pairs in one numeric sort: point * 2^21 + owner is exact in a double
    // (53 bits) for up to 2^21 hosts; ties on a point are broken by host order, deterministically.
    if (hosts.length > OWNER_SLOTS) throw new Error(`ring hash: ${hosts.length} hosts is more than the ring supports (2^21)`);
    const packed = new Float64Array(size);
    let j = 0;
    for (let owner = 0; owner < hosts.length; owner++) {
      // Envoy names a host's points "<address>_<i>"; hash the shared prefix once.
      const prefix = fnv1a('_', fnv1a((hosts[owner] as Host).key));
      for (let i = 0; i < pointsPerHost; i++) packed[j++] = mix32(fnv1aDigits(i, prefix)) * OWNER_SLOTS + owner;
    }
    packed.sort();
    this.#points = new Uint32Array(size);
    this.#owners = new Uint32Array(size);
    for (let k = 0; k < size; k++) {
      const v = packed[k] as number;
      const point = Math.floor(v / OWNER_SLOTS);
      this.#points[k] = point;
      this.#owners[k] = v - point * OWNER_SLOTS;
    }
  }

  get ringSize(): number {
    return this.#points.length;
  }

  pick(ctx: PickContext, isAvailable: HostPredicate): Host | undefined {
    const size = this.#points.length;
    if (size === 0) return undefined;
    const hash = ctx.hashKey === undefined ? Math.floor(this.random() * TWO_POW_32) : hash32(ctx.hashKey);
    const start = this.#lowerBound(hash);
    const first = this.hosts[this.#owners[start] as number] as Host;
    if (isAvailable(first)) return first;
    // Walk on only if someone can answer; otherwise the walk would circle the whole ring.
    if (!anyAvailable(this.hosts, isAvailable)) return undefined;
    for (let step = 1; step < size; step++) {
      const host = this.hosts[this.#owners[(start + step) % size] as number] as Host;
      if (isAvailable(host)) return host;
    }
    return undefined;
  }

  /** Index of the first point >= hash, wrapping to 0 past the end. */
  #lowerBound(hash: number): number {
    let lo = 0;
    let hi = this.#points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#points[mid] as number) < hash) lo = mid + 1;
      else hi = mid;
    }
    return lo === this.#points.length ? 0 : lo;
  }
}

function anyAvailable(hosts: readonly Host[], isAvailable: HostPredicate): boolean {
  for (let i = 0; i < hosts.length; i++) if (isAvailable(hosts[i] as Host)) return true;
  return false;
}
