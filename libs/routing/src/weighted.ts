// Weighted choice with Envoy's semantics: weights are relative (they need not add up to 100),
// an entry of weight 0 is never chosen, and the cumulative sums are computed once so each pick
// is a binary search. Randomness is passed in, so tests and `skiff simulate` can seed it.

export interface Weighted {
  readonly weight: number;
}

export class WeightedPicker<T extends Weighted> {
  readonly items: readonly T[];
  readonly total: number;
  readonly #cumulative: number[];
  readonly #lastPositive: number;

  /** Throws, naming `where`, when there is nothing to choose from. */
  constructor(items: readonly T[], where = 'weighted choice') {
    if (items.length === 0) throw new Error(`${where}: no entries to choose from; give it at least one destination`);
    const cumulative: number[] = [];
    let total = 0;
    let lastPositive = -1;
    items.forEach((item, i) => {
      if (!Number.isFinite(item.weight) || item.weight < 0) {
        throw new Error(`${where}: entry ${i} has weight ${item.weight}; weights must be finite and 0 or more`);
      }
      total += item.weight;
      cumulative.push(total);
      if (item.weight > 0) lastPositive = i;
    });
    if (total === 0) {
      // Istio sends all traffic to a lone destination whatever its weight; with several, all at
      // 0, there is no sensible choice (Envoy rejects such a config too).
      if (items.length > 1) throw new Error(`${where}: all ${items.length} weights are 0; give at least one destination a positive weight`);
      lastPositive = 0;
    }
    this.items = items;
    this.total = total;
    this.#cumulative = cumulative;
    this.#lastPositive = lastPositive;
  }

  /** `random` returns a number in [0, 1), like Math.random. */
  pick(random: () => number): T {
    const items = this.items;
    if (this.total === 0) return items[0] as T;
    const r = random() * this.total;
    const cumulative = this.#cumulative;
    // First index whose cumulative sum exceeds r. A zero-weight entry has the same sum as the
    // one before it, so the search always stops on a positive-weight entry.
    let lo = 0;
    let hi = cumulative.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cumulative[mid] as number) > r) hi = mid;
      else lo = mid + 1;
    }
    // lo === length only if random() broke its contract and returned 1 (or more, or NaN).
    return items[lo < items.length ? lo : this.#lastPositive] as T;
  }
}

/** One-off weighted pick; prefer a WeightedPicker (or CompiledRoute.pickCluster) on hot paths. */
export function pickWeighted<T extends Weighted>(items: readonly T[], random: () => number): T {
  return new WeightedPicker(items).pick(random);
}
