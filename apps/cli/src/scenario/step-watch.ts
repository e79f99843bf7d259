// What a scripted step reads from the sidecars' Istio metrics while its probes run: a scrape
// before and one after, and the increase between them. A mirror watch compares two versions (and
// judges the shadow's share); an identities watch lists who called a workload, and how.
import { judgeMirror, type ProbeVerdict, type StepWatch } from '@skiff/scenarios';
import { MetricsWindow, parsePrometheusText, type Sample } from '@skiff/telemetry';
import { measureCanary } from './canary-metrics.js';
import type { MeshWorkloads } from './mesh-workloads.js';

export interface WatchReport {
  title: string;
  lines: string[];
  /** Only watches that judge (mirror) have one. */
  verdict?: ProbeVerdict;
}

type Scrapes = Map<string, Sample[]>;

function workloadsOf(watch: StepWatch): string[] {
  return watch.kind === 'mirror' ? [watch.primary, watch.shadow] : [watch.workload];
}

async function scrape(workloads: MeshWorkloads, names: readonly string[]): Promise<Scrapes> {
  const entries = await Promise.all(
    names.map(async (name) => {
      const { info } = await workloads.get(name);
      const host = info.address.includes(':') ? `[${info.address}]` : info.address;
      const res = await fetch(`http://${host}:${info.adminPort}/stats/prometheus`, { signal: AbortSignal.timeout(3000) });
      return [name, parsePrometheusText(await res.text())] as const;
    }),
  );
  return new Map(entries);
}

const one = (scrapes: Scrapes, name: string) => new Map([[name, scrapes.get(name) ?? []]]);

function percent(value: number | undefined): string {
  return value === undefined ? '-' : `${value.toFixed(1)}%`;
}

/** Callers seen by `name`'s inbound side: principal and transport, with request counts. */
export function identityLines(before: readonly Sample[], after: readonly Sample[]): string[] {
  const window = new MetricsWindow(Infinity);
  window.add('w', 0, before);
  window.add('w', 1, after);
  const callers = new Map<string, number>();
  for (const s of window.increase().samples) {
    if (s.name !== 'istio_requests_total' || s.labels['reporter'] !== 'destination' || s.value <= 0) continue;
    const principal = s.labels['source_principal'] || 'unknown';
    const key = `${principal === 'unknown' ? 'no identity (unknown)' : principal} over ${s.labels['connection_security_policy'] === 'mutual_tls' ? 'mTLS' : 'plaintext'} -> ${s.labels['destination_principal'] || 'unknown'}`;
    callers.set(key, (callers.get(key) ?? 0) + s.value);
  }
  return callers.size === 0 ? ['no requests'] : [...callers].sort().map(([key, n]) => `${n} × ${key}`);
}

export class StepWatcher {
  readonly #watches: readonly StepWatch[];
  readonly #workloads: MeshWorkloads;
  readonly #before: Scrapes;

  private constructor(watches: readonly StepWatch[], workloads: MeshWorkloads, before: Scrapes) {
    this.#watches = watches;
    this.#workloads = workloads;
    this.#before = before;
  }

  static async start(watches: readonly StepWatch[], workloads: MeshWorkloads): Promise<StepWatcher> {
    return new StepWatcher(watches, workloads, await scrape(workloads, [...new Set(watches.flatMap(workloadsOf))]));
  }

  async finish(settleMs = 1000): Promise<WatchReport[]> {
    if (this.#watches.length === 0) return [];
    // Mirrored copies are sent without waiting; give the last of them time to be counted.
    await new Promise((r) => setTimeout(r, settleMs));
    const after = await scrape(this.#workloads, [...this.#before.keys()]);
    return this.#watches.map((watch) => {
      if (watch.kind === 'identities') {
        return { title: `callers of ${watch.workload}`, lines: identityLines(this.#before.get(watch.workload) ?? [], after.get(watch.workload) ?? []) };
      }
      const primary = measureCanary(one(this.#before, watch.primary), one(after, watch.primary));
      const shadow = measureCanary(one(this.#before, watch.shadow), one(after, watch.shadow));
      const row = (name: string, m: typeof primary) => `${name.padEnd(12)} ${String(m.requests).padStart(5)} requests  success ${percent(m.successRate).padStart(6)}  p99 ${m.p99Ms === undefined ? '-' : `${Math.round(m.p99Ms)} ms`}`;
      return { title: `${watch.primary} and its shadow ${watch.shadow}`, lines: [row(watch.primary, primary), row(watch.shadow, shadow)], verdict: judgeMirror(watch, primary.requests, shadow.requests) };
    });
  }
}
