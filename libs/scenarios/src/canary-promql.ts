// The PromQL a canary's checks read when the metrics come from Prometheus instead of the
// sidecars: Flagger's Istio queries (request-success-rate, request-duration) over the canary's
// own answers (reporter="destination"), selected by the Istio labels its subset labels become.
import type { IntervalMeasurement } from './canary-analysis.js';
import type { CanarySpec } from './canary-spec.js';

/** Subset labels that Istio's metrics carry, and the label each becomes there. */
const ISTIO_LABEL_OF: Readonly<Record<string, string>> = { version: 'destination_version', app: 'destination_app' };

export interface CanaryQueries {
  requests: string;
  successRate: string;
  p99Ms: string;
}

function quote(value: string): string {
  return JSON.stringify(value); // PromQL string literals escape like JSON's
}

/** `labels`: the canary subset's labels (DestinationRule); `rangeSeconds`: the interval. */
export function canaryQueries(spec: Pick<CanarySpec, 'service' | 'namespace' | 'canary'>, labels: Readonly<Record<string, string>>, rangeSeconds: number): CanaryQueries {
  const unknown = Object.keys(labels).filter((k) => !ISTIO_LABEL_OF[k]);
  if (unknown.length > 0) throw new Error(`subset ${spec.canary} selects by ${unknown.join(', ')}, which Istio's metrics do not carry (only ${Object.keys(ISTIO_LABEL_OF).join(' and ')}); read the sidecars' metrics instead of Prometheus`);
  if (Object.keys(labels).length === 0) throw new Error(`subset ${spec.canary} has no labels to tell its requests apart in Prometheus`);
  const matchers = [`reporter="destination"`, `destination_service_name=${quote(spec.service)}`, `destination_service_namespace=${quote(spec.namespace)}`, ...Object.entries(labels).map(([k, v]) => `${ISTIO_LABEL_OF[k]}=${quote(v)}`)].join(',');
  const range = `[${Math.max(1, Math.round(rangeSeconds))}s]`;
  return {
    requests: `sum(increase(istio_requests_total{${matchers}}${range}))`,
    successRate: `sum(rate(istio_requests_total{${matchers},response_code!~"5.*"}${range})) / sum(rate(istio_requests_total{${matchers}}${range})) * 100`,
    p99Ms: `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${matchers}}${range})))`,
  };
}

/** The query results (undefined: no series) as the analysis reads them: no requests, no rates. */
export function measurementFromQueries(values: { requests: number | undefined; successRate: number | undefined; p99Ms: number | undefined }): IntervalMeasurement {
  const finite = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v : undefined);
  // increase() extrapolates to the window's edges, so a count comes back fractional.
  const requests = Math.round(finite(values.requests) ?? 0);
  if (requests === 0) return { requests: 0, successRate: undefined, p99Ms: undefined };
  return { requests, successRate: finite(values.successRate), p99Ms: finite(values.p99Ms) };
}
