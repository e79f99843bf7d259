import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePrometheusText } from '@skiff/telemetry';
import { measureCanary } from './canary-metrics.js';

const scrape = (ok: number, failed: number, fast: number, slow: number) => new Map([['reviews-v2.default', parsePrometheusText(`# TYPE istio_requests_total counter
istio_requests_total{reporter="destination",destination_version="v2",response_code="200"} ${ok}
istio_requests_total{reporter="destination",destination_version="v2",response_code="503"} ${failed}
istio_requests_total{reporter="source",destination_version="v2",response_code="503"} 1000
istio_request_duration_milliseconds_bucket{reporter="destination",response_code="200",le="10"} ${fast}
istio_request_duration_milliseconds_bucket{reporter="destination",response_code="200",le="100"} ${fast + slow}
istio_request_duration_milliseconds_bucket{reporter="destination",response_code="200",le="+Inf"} ${fast + slow}
`)]]);

test('success rate and p99 of what the canary answered in the interval only', () => {
  const m = measureCanary(scrape(100, 5, 90, 10), scrape(190, 15, 180, 20));
  assert.equal(m.requests, 100);
  assert.equal(m.successRate, 90);
  // 90 of 100 under 10 ms, 10 more under 100: the 99th lands 9/10 of the way into (10, 100].
  assert.equal(m.p99Ms, 91);
});

test('no requests in the interval: nothing to judge', () => {
  assert.deepEqual(measureCanary(scrape(5, 0, 5, 0), scrape(5, 0, 5, 0)), { requests: 0, successRate: undefined, p99Ms: undefined });
});

test('a proxy that restarted (counters went down) counts from zero', () => {
  const m = measureCanary(scrape(500, 0, 500, 0), scrape(20, 0, 20, 0));
  assert.equal(m.requests, 20);
  assert.equal(m.successRate, 100);
});
