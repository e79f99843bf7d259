// Statistics for traffic splits: a split is checked against a binomial interval, so a correct
// mesh passes with known probability (99.9% by default) and a wrong split fails, whatever the
// seed. Scenarios judge their probes with it, and tests (through @skiff/testing) their splits.

/** Two-sided z for a confidence level (the values in use). */
export function zFor(confidence: number): number {
  const table: Record<string, number> = { '0.95': 1.96, '0.99': 2.576, '0.999': 3.2905, '0.9999': 3.891 };
  const z = table[String(confidence)];
  if (z === undefined) throw new Error(`no z value for confidence ${confidence}; use 0.95, 0.99, 0.999 or 0.9999`);
  return z;
}

/**
 * The counts a correct split shows with probability `confidence`: for n draws with probability p,
 * the central interval [low, high] of the exact binomial distribution, each tail outside it
 * holding at most (1 - confidence) / 2. Exact rather than the normal approximation, which is
 * far too narrow when n * p is small (retries that leave a page failing 0.8% of the time).
 */
export function binomialInterval(n: number, p: number, confidence = 0.999): { low: number; high: number } {
  if (!Number.isInteger(n) || n < 0) throw new Error(`binomialInterval: n must be a whole number of draws, got ${n}`);
  if (!(p >= 0 && p <= 1)) throw new Error(`binomialInterval: p must be a probability from 0 to 1, got ${p}`);
  if (p === 0) return { low: 0, high: 0 };
  if (p === 1) return { low: n, high: n };
  const tail = (1 - confidence) / 2;
  // The probability of each count, built up in log space: p^n alone underflows for large n.
  const pmf: number[] = [];
  let log = n * Math.log1p(-p);
  const ratio = Math.log(p) - Math.log1p(-p);
  for (let k = 0; k <= n; k++) {
    pmf.push(Math.exp(log));
    log += Math.log(n - k) - Math.log(k + 1) + ratio;
  }
  let low = 0;
  for (let below = 0; low < n && below + (pmf[low] ?? 0) <= tail; low++) below += pmf[low] ?? 0;
  let high = n;
  for (let above = 0; high > 0 && above + (pmf[high] ?? 0) <= tail; high--) above += pmf[high] ?? 0;
  return { low, high };
}
