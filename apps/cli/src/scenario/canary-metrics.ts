// The canary's figures for one interval, from two scrapes of its sidecars' Istio metrics
// (reporter="destination": what the canary itself answered), as Flagger's Istio queries read them:
// success rate = non-5xx / all, and the p99 of istio_request_duration_milliseconds.
import { histogramQuantile, type Sample } from '@skiff/telemetry';
import type { IntervalMeasurement } from '@skiff/scenarios';

const REQUESTS = 'istio_requests_total';
const DURATION_BUCKET = 'istio_request_duration_milliseconds_bucket';

function key(s: Sample): string {
  return `${s.name}{${Object.keys(s.labels)
    .sort()
    .map((k) => `${k}=${s.labels[k]}`)
    .join(',')}}`;
}

/** Per-series increase from `before` to `after`; a series that went down restarted from 0. */
function increases(before: readonly Sample[], after: readonly Sample[]): Sample[] {
  const earlier = new Map(before.map((s) => [key(s), s.value]));
  return after.map((s) => {
    const was = earlier.get(key(s)) ?? 0;
    return { ...s, value: s.value >= was ? s.value - was : s.value };
  });
}

export function measureCanary(before: readonly Sample[], after: readonly Sample[]): IntervalMeasurement {
  const delta = increases(before, after).filter((s) => s.labels['reporter'] === 'destination');
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
