// Percentiles of recorded latencies (nearest rank on the sorted samples: exact, no buckets).

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  // The small epsilon keeps 0.999 × 1000 (999.0000000000001 in floating point) at rank 999.
  const rank = Math.ceil((p / 100) * sorted.length - 1e-9);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export interface LatencySummary {
  count: number;
  min: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  return { count: sorted.length, min: sorted[0] ?? NaN, p50: percentile(sorted, 50), p99: percentile(sorted, 99), p999: percentile(sorted, 99.9), max: sorted[sorted.length - 1] ?? NaN };
}
