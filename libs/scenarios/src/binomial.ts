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

/** The interval of counts expected for n draws with probability p. */
export function binomialInterval(n: number, p: number, confidence = 0.999): { low: number; high: number } {
  const sigma = Math.sqrt(n * p * (1 - p));
  const z = zFor(confidence);
  return { low: n * p - z * sigma, high: n * p + z * sigma };
}
