// The canary's figures for one interval, from two scrapes of its sidecars' Istio metrics
// (reporter="destination": what the canary itself answered), as Flagger's Istio queries read them:
// success rate = non-5xx / all, and the p99 of istio_request_duration_milliseconds.
import { histogramQuantile, MetricsWindow, type Sample } from '@skiff/telemetry';
import type { IntervalMeasurement } from '@skiff/scenarios';

const REQUESTS = 'istio_requests_total';
const DURATION_BUCKET = 'istio_request_duration_milliseconds_bucket';

/** `before` and `after`: each proxy's scrape (by proxy id) at the start and the end of the interval. */
export function measureCanary(before: ReadonlyMap<string, readonly Sample[]>, after: ReadonlyMap<string, readonly Sample[]>): IntervalMeasurement {
  // The dashboard's window does the per-proxy increase (a counter that went down restarted from 0).
  const window = new MetricsWindow(Infinity);
  for (const [proxy, samples] of before) window.add(proxy, 0, samples);
  for (const [proxy, samples] of after) window.add(proxy, 1, samples);
  const delta = window.increase().samples.filter((s) => s.labels['reporter'] === 'destination');
  let requests = 0;
  let failures = 0;
  const buckets = new Map<number, number>();
  for (const s of delta) {
    if (s.name === REQUESTS) {
      requests += s.value;
      if ((s.labels['response_code'] ?? '').startsWith('5')) failures += s.value;
    } else if (s.name === DURATION_BUCKET) {
      const le = s.labels['le'] === '+Inf' ? Infinity : Number(s.labels['le']);
      buckets.set(le, (buckets.get(le) ?? 0) + s.value);
    }
  }
  if (requests === 0) return { requests: 0, successRate: undefined, p99Ms: undefined };
  return { requests, successRate: (100 * (requests - failures)) / requests, p99Ms: histogramQuantile(0.99, buckets) };
}
