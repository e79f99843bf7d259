// Every figure of a run, and each as a ratio to the direct (no proxy) case: on a shared 2-core
// machine absolute numbers drift from run to run, and within a run from minute to minute (direct
// itself moved from 30k to 21k req/s between two runs ten minutes apart). So each case carries
// direct measured right before each of its measurements, and its ratios are to that.

export interface CaseResult {
  name: string;
  /** Closed-loop requests/s per scenario. */
  throughput: Record<string, number>;
  errors: number;
  /** Fixed-rate latency of small keep-alive requests, ms, and the rate the client achieved. */
  latency: { rate: number; p50: number; p99: number; p999: number };
  /** CPU seconds used by the proxy process(es) per 1000 requests, per throughput scenario. */
  cpuPer1000?: Record<string, number>;
  peakRssMiB?: number;
  /** Direct, measured right before each of this case's measurements: its throughput per scenario and latency. */
  pairedDirect?: { throughput: Record<string, number>; latency: { p50: number; p99: number } };
}

export interface Ratios {
  name: string;
  throughput: Record<string, number>;
  /** Latency the proxy adds at the fixed rate (case minus direct), ms. */
  addedP99: number;
  addedP50: number;
}

export function ratiosToDirect(results: readonly CaseResult[]): Ratios[] {
  const direct = results.find((r) => r.name === 'direct');
  if (!direct) throw new Error('no "direct" case to compare with');
  return results.map((r) => {
    const base = r.pairedDirect ?? direct;
    return {
      name: r.name,
      throughput: Object.fromEntries(Object.entries(r.throughput).map(([scenario, rps]) => [scenario, rps / (base.throughput[scenario] ?? NaN)])),
      addedP99: r.latency.p99 - base.latency.p99,
      addedP50: r.latency.p50 - base.latency.p50,
    };
  });
}

const fmt = (n: number | undefined, digits = 0) => (n === undefined || Number.isNaN(n) ? '—' : n.toFixed(digits));

export function formatTable(results: readonly CaseResult[], scenarios: readonly string[]): string {
  const ratios = ratiosToDirect(results);
  const header = ['case', ...scenarios.map((s) => `${s} req/s (×direct)`), 'p50 / p99 / p99.9 ms @ achieved rate', 'added p99', `CPU s/1k req (${scenarios.join(' / ')})`, 'peak RSS MiB'];
  const rows = results.map((r, i) => {
    const ratio = ratios[i] as Ratios;
    return [
      r.name,
      ...scenarios.map((s) => `${fmt(r.throughput[s])} (${fmt(ratio.throughput[s], 2)})`),
      `${fmt(r.latency.p50, 2)} / ${fmt(r.latency.p99, 2)} / ${fmt(r.latency.p999, 2)} @ ${r.latency.rate}/s`,
      fmt(ratio.addedP99, 2),
      r.cpuPer1000 ? scenarios.map((s) => fmt(r.cpuPer1000?.[s], 3)).join(' / ') : '—',
      fmt(r.peakRssMiB, 1),
    ];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] as string).length)));
  const line = (cells: string[]) => cells.map((cell, c) => cell.padEnd(widths[c] as number)).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
