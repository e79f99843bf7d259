// Counter increases over a recent window, from repeated scrapes of each proxy: what Prometheus'
// increase() gives, without Prometheus, for the dashboard's built-in graph. A counter that went
// down (the proxy restarted) counts from zero, as increase() does.
import type { Sample } from '../metrics/parse-prometheus.js';

interface Scrape {
  at: number;
  series: Map<string, Sample>;
}

export interface WindowIncrease {
  /** Per series, summed over proxies: the increase between each proxy's oldest and newest scrape in the window. */
  samples: Sample[];
  /** The longest span of time actually covered by a proxy's scrapes (ms), for rates. */
  spanMs: number;
  /** Time of the newest scrape. */
  newest: number;
}

export function seriesKey(sample: Sample): string {
  const names = Object.keys(sample.labels).sort();
  return `${sample.name}{${names.map((n) => `${n}=${JSON.stringify(sample.labels[n])}`).join(',')}}`;
}

export class MetricsWindow {
  readonly #scrapes = new Map<string, Scrape[]>();

  constructor(readonly windowMs: number) {}

  /** Records one scrape of `proxy`; samples not named in `keep` are dropped to save memory. */
  add(proxy: string, at: number, samples: readonly Sample[], keep: (name: string) => boolean = () => true): void {
    const series = new Map<string, Sample>();
    for (const s of samples) if (keep(s.name)) series.set(seriesKey(s), s);
    const list = this.#scrapes.get(proxy) ?? [];
    list.push({ at, series });
    // Keep one scrape at or before the window's start, so the increase covers the whole window.
    while (list.length > 2 && (list[1] as Scrape).at <= at - this.windowMs) list.shift();
    this.#scrapes.set(proxy, list);
  }

  /** Forgets proxies not in `alive` (disconnected for good). */
  retain(alive: ReadonlySet<string>): void {
    for (const proxy of this.#scrapes.keys()) if (!alive.has(proxy)) this.#scrapes.delete(proxy);
  }

  increase(): WindowIncrease {
    const totals = new Map<string, Sample>();
    let spanMs = 0;
    let newest = 0;
    for (const list of this.#scrapes.values()) {
      const first = list[0];
      const last = list[list.length - 1];
      if (!first || !last) continue;
      newest = Math.max(newest, last.at);
      if (first === last) continue;
      spanMs = Math.max(spanMs, last.at - first.at);
      for (const [key, now] of last.series) {
        const before = first.series.get(key)?.value ?? 0;
        const delta = now.value >= before ? now.value - before : now.value;
        if (delta === 0) continue;
        const total = totals.get(key);
        if (total) total.value += delta;
        else totals.set(key, { name: now.name, labels: now.labels, value: delta });
      }
    }
    return { samples: [...totals.values()], spanMs, newest };
  }
}
