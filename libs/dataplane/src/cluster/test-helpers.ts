// Shared by the cluster tests (and the codec fuzz, for its seeded random source): hosts, a seeded random source and a settable clock.
import { Host } from './host.js';

export function makeHosts(n: number, base = 10): Host[] {
  return Array.from({ length: n }, (_, i) => new Host({ address: `10.0.${Math.floor(i / 250)}.${(i % 250) + base}`, port: 9080, workload: `w${i}`, labels: {} }));
}

/** mulberry32: a small seeded generator, so statistical tests are repeatable. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export class FakeClock {
  constructor(public t = 1_000_000) {}
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Half-width of a z-sigma interval for a binomial count: n trials, success probability p. */
export function binomialTolerance(n: number, p: number, z = 5): number {
  return z * Math.sqrt(n * p * (1 - p));
}
