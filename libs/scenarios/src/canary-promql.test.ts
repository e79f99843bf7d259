import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canaryQueries, measurementFromQueries } from './canary-promql.js';

const spec = { service: 'reviews', namespace: 'default', canary: 'v2' };

test("Flagger's Istio queries, on the canary subset's answers over the interval", () => {
  const q = canaryQueries(spec, { version: 'v2' }, 10);
  const sel = 'reporter="destination",destination_service_name="reviews",destination_service_namespace="default",destination_version="v2"';
  assert.equal(q.requests, `sum(increase(istio_requests_total{${sel}}[10s]))`);
  assert.equal(q.successRate, `sum(rate(istio_requests_total{${sel},response_code!~"5.*"}[10s])) / sum(rate(istio_requests_total{${sel}}[10s])) * 100`);
  assert.equal(q.p99Ms, `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${sel}}[10s])))`);
  assert.match(canaryQueries(spec, { app: 'reviews', version: 'v"2' }, 2.6).requests, /destination_app="reviews",destination_version="v\\"2"\}\[3s\]/);
});

test('a subset Prometheus cannot tell apart is refused with what to do', () => {
  assert.throws(() => canaryQueries(spec, { track: 'canary' }, 10), /selects by track, which Istio's metrics do not carry .* read the sidecars' metrics/);
  assert.throws(() => canaryQueries(spec, {}, 10), /no labels/);
});

test('results: no series or no requests is no data (a failed check), a fractional increase rounds', () => {
  assert.deepEqual(measurementFromQueries({ requests: undefined, successRate: undefined, p99Ms: undefined }), { requests: 0, successRate: undefined, p99Ms: undefined });
  assert.deepEqual(measurementFromQueries({ requests: 0.2, successRate: 100, p99Ms: 5 }), { requests: 0, successRate: undefined, p99Ms: undefined });
  assert.deepEqual(measurementFromQueries({ requests: 41.7, successRate: 97.5, p99Ms: NaN }), { requests: 42, successRate: 97.5, p99Ms: undefined });
});
