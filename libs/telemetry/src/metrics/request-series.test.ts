import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { ENVOY_DEFAULT_BUCKETS, ISTIO_REQUEST_LABELS, requestLabels } from './istio-labels.js';
import type { ObservedRequest } from './observed-request.js';
import { RequestSeries } from './request-series.js';

function event(overrides: Partial<ObservedRequest> = {}): ObservedRequest {
  return {
    reporter: 'source',
    startTime: 0,
    durationMs: 3,
    method: 'GET',
    path: '/',
    authority: 'reviews:9080',
    protocol: 'http',
    requestId: 'r',
    responseCode: 200,
    responseFlags: '-',
    requestBytes: 0,
    responseBytes: 100,
    source: { workload: 'frontend', namespace: 'default', app: 'frontend', version: 'v1' },
    destination: { workload: 'reviews-v2', namespace: 'default', service: 'reviews', app: 'reviews', version: 'v2' },
    connectionSecurityPolicy: 'mutual_tls',
    ...overrides,
  };
}

describe('RequestSeries', () => {
  test("renders exactly what prom-client's own Counter and Histograms render for the same requests", async () => {
    // The reference: prom-client's classes fed the same events (the way Skiff counted before).
    const reference = new Registry();
    const labelNames = [...ISTIO_REQUEST_LABELS];
    const requests = new Counter({ name: 'istio_requests_total', help: 'Requests handled by this proxy (Istio standard metric).', labelNames, registers: [reference] });
    const histograms = [
      ['istio_request_duration_milliseconds', 'Duration of requests in milliseconds (Istio standard metric).', (e: ObservedRequest) => e.durationMs],
      ['istio_request_bytes', 'HTTP request body sizes in bytes (Istio standard metric).', (e: ObservedRequest) => e.requestBytes],
      ['istio_response_bytes', 'HTTP response body sizes in bytes (Istio standard metric).', (e: ObservedRequest) => e.responseBytes],
    ] as const;
    const refHistograms = histograms.map(([name, help, pick]) => ({ h: new Histogram({ name, help, labelNames, buckets: ENVOY_DEFAULT_BUCKETS, registers: [reference] }), pick }));
    const requestMessages = new Counter({ name: 'istio_request_messages_total', help: 'gRPC messages sent by clients (Istio standard metric).', labelNames, registers: [reference] });
    const responseMessages = new Counter({ name: 'istio_response_messages_total', help: 'gRPC messages sent by servers (Istio standard metric).', labelNames, registers: [reference] });
    const registry = new Registry();
    const series = new RequestSeries({ registry, buckets: ENVOY_DEFAULT_BUCKETS });

    // Values on bucket bounds, between them, past the last one, and several label sets.
    const values = [0, 0.5, 0.7, 1, 4.9, 5, 25, 99.99, 100, 2500, 3_600_000, 4_000_000];
    let i = 0;
    for (const v of values) {
      for (const code of [200, 503]) {
        const e = event({ durationMs: v, requestBytes: v * 2, responseBytes: i++, responseCode: code, responseFlags: code === 503 ? 'UF' : '-' });
        // gRPC calls beside them: their status is a label of its own, and their messages are counted.
        const call = event({ durationMs: v, protocol: 'grpc', grpcStatus: code === 200 ? 0 : 14, requestMessages: 1, responseMessages: i % 4, responseFlags: '-' });
        for (const observed of [e, call]) {
          series.observe(observed);
          const labels = requestLabels(observed);
          requests.inc(labels);
          for (const { h, pick } of refHistograms) h.observe(labels, pick(observed));
          if (observed.protocol === 'grpc') {
            requestMessages.inc(labels, observed.requestMessages ?? 0);
            responseMessages.inc(labels, observed.responseMessages ?? 0);
          }
        }
      }
    }
    assert.equal(await registry.metrics(), await reference.metrics());
    assert.equal(series.size, 4);
  });

  test('absent, empty and "unknown" values are one series, as they are one label set', async () => {
    const registry = new Registry();
    const series = new RequestSeries({ registry, buckets: ENVOY_DEFAULT_BUCKETS });
    series.observe(event({ source: {}, responseFlags: '' }));
    series.observe(event({ source: { workload: '', namespace: '', app: '', version: '' }, responseFlags: '-' }));
    series.observe(event({ source: { workload: 'unknown', namespace: 'unknown', principal: 'unknown', app: 'unknown', version: 'unknown' } }));
    assert.equal(series.size, 1);
    const text = await registry.metrics();
    const lines = text.split('\n').filter((l) => l.startsWith('istio_requests_total{'));
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /source_workload="unknown".*response_flags="-".* 3$/);
  });

  test('a bound on distinct label sets drops the oldest set, not the newest', async () => {
    const registry = new Registry();
    const series = new RequestSeries({ registry, buckets: [1, 10], maxSeries: 3 });
    for (const code of [200, 201, 202, 203, 204]) series.observe(event({ responseCode: code }));
    assert.equal(series.size, 3);
    const codes = (await registry.metrics()).split('\n').filter((l) => l.startsWith('istio_requests_total{')).map((l) => /response_code="(\d+)"/.exec(l)?.[1]);
    assert.deepEqual(codes, ['202', '203', '204']);
  });
});
