import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Sample } from '../metrics/parse-prometheus.js';
import { buildMeshGraph, histogramQuantile, type KnownWorkload } from './mesh-graph.js';
import { MetricsWindow } from './metrics-window.js';
import { spansFromOtlpJson } from './otlp-json.js';
import { TraceStore } from './trace-store.js';
import type { TraceSpan } from './mesh-view.js';

const kv = (key: string, value: string | number | boolean) => ({ key, value: typeof value === 'string' ? { stringValue: value } : typeof value === 'boolean' ? { boolValue: value } : { intValue: String(value) } });

describe('OTLP JSON', () => {
  test('reads spans with their service, parent, kind, times and attributes', () => {
    const spans = spansFromOtlpJson({
      resourceSpans: [
        {
          resource: { attributes: [kv('service.name', 'reviews.default')] },
          scopeSpans: [
            {
              spans: [
                { traceId: 'AB'.repeat(16), spanId: '01'.repeat(8), parentSpanId: '02'.repeat(8), name: 'reviews:9080/reviews/1', kind: 2, startTimeUnixNano: '1700000000123456789', endTimeUnixNano: '1700000000125456789', attributes: [kv('http.status_code', 503), kv('istio.mtls', true)], status: { code: 0 } },
                { traceId: 'ab'.repeat(16), spanId: '03'.repeat(8), parentSpanId: '', name: 'root', kind: 3, startTimeUnixNano: 1000000, endTimeUnixNano: 3000000 },
                { traceId: 'not hex', spanId: '04'.repeat(8) },
              ],
            },
          ],
        },
      ],
    });
    assert.equal(spans.length, 2);
    const [a, b] = spans as [TraceSpan, TraceSpan];
    assert.equal(a.traceId, 'ab'.repeat(16));
    assert.equal(a.parentSpanId, '02'.repeat(8));
    assert.equal(a.service, 'reviews.default');
    assert.equal(a.kind, 'server');
    assert.ok(Math.abs(a.startTime - 1_700_000_000_123.4568) < 1e-3, 'nanoseconds beyond 2^53 keep their sub-millisecond part');
    assert.ok(Math.abs(a.durationMs - 2) < 1e-6);
    assert.deepEqual(a.attributes, { 'http.status_code': 503, 'istio.mtls': true });
    assert.equal(a.error, true, 'a 5xx span is an error');
    assert.equal(b.parentSpanId, undefined);
    assert.equal(b.kind, 'client');
    assert.equal(b.durationMs, 2);
  });

  test('says what is wrong with a body that is not OTLP', () => {
    assert.throws(() => spansFromOtlpJson({ spans: [] }), /resourceSpans/);
    assert.throws(() => spansFromOtlpJson('x'), /resourceSpans/);
  });
});

const span = (traceId: string, spanId: string, start: number, over: Partial<TraceSpan> = {}): TraceSpan => ({ traceId, spanId, name: `op-${spanId}`, service: `svc-${spanId}`, kind: 'server', startTime: start, durationMs: 10, attributes: {}, error: false, ...over });

describe('the trace store', () => {
  test('groups spans by trace, sorts them by start, and summarizes from the root', () => {
    const store = new TraceStore();
    store.add([span('t1', 'c', 105, { parentSpanId: 'b', durationMs: 2 }), span('t1', 'a', 100, { durationMs: 20 })]);
    store.add([span('t1', 'b', 101, { parentSpanId: 'a', error: true }), span('t1', 'b', 101, { parentSpanId: 'a' })]);
    const detail = store.get('T1');
    assert.deepEqual(detail?.spans.map((s) => s.spanId), ['a', 'b', 'c']);
    const [summary] = store.list();
    assert.deepEqual(summary, { traceId: 't1', rootName: 'op-a', services: ['svc-a', 'svc-b', 'svc-c'], startTime: 100, durationMs: 20, spanCount: 3, error: true });
  });

  test('a child comes after its parent even when both start in the same millisecond, in whatever order they arrive', () => {
    for (const arrival of [['server', 'client', 'other'], ['client', 'other', 'server'], ['other', 'client', 'server']]) {
      const store = new TraceStore();
      const spans = { server: span('t2', 'zz-server', 100), client: span('t2', 'aa-client', 100, { parentSpanId: 'zz-server' }), other: span('t2', 'mm-other', 100, { parentSpanId: 'zz-server' }) };
      store.add(arrival.map((k) => spans[k as keyof typeof spans]));
      assert.deepEqual(store.get('t2')?.spans.map((s) => s.spanId), ['zz-server', 'aa-client', 'mm-other'], `arrival ${arrival.join(', ')}`);
    }
  });

  test('under load it keeps a sample of whole traces, so the traces it lists have settled', () => {
    const store = new TraceStore({ maxTraces: 100, maxNewTracesPerSecond: 5 });
    // 300 requests a second for 3 s, each trace's spans in two exports half a second apart.
    for (let ms = 0; ms < 3_000; ms += 10) {
      const t = (n: number) => `t${n}`;
      const n = ms / 10;
      store.add([span(t(n), `${n}-a`, ms), span(t(n), `${n}-b`, ms + 1, { parentSpanId: `${n}-a` })], 10_000 + ms);
      if (n >= 50) store.add([span(t(n - 50), `${n - 50}-c`, ms, { parentSpanId: `${n - 50}-a` })], 10_000 + ms);
    }
    assert.equal(store.size, 15, '5 new traces a second');
    for (const summary of store.list(100)) {
      const n = Number(summary.traceId.slice(1));
      assert.equal(summary.spanCount, n < 250 ? 3 : 2, `${summary.traceId}: the late span of a kept trace is kept, none of a passed-over one`);
    }
    assert.ok(store.list(100, 10_000 + 3_000 - 2_000).length >= 5, 'traces older than 2 s are there to list');
  });

  test('keeps the newest traces and caps spans per trace', () => {
    const store = new TraceStore({ maxTraces: 3, maxSpansPerTrace: 2 });
    for (let i = 0; i < 5; i++) store.add([span(`t${i}`, 'a', i)]);
    store.add([span('t4', 'b', 10), span('t4', 'c', 11)]);
    assert.deepEqual(store.list().map((t) => t.traceId), ['t4', 't3', 't2']);
    assert.equal(store.get('t0'), undefined);
    assert.equal(store.get('t4')?.spans.length, 2);
  });

  test('can list only the traces that have settled (no span for a while)', () => {
    const store = new TraceStore();
    store.add([span('old', 'a', 1)], 1000);
    store.add([span('new', 'a', 2)], 1000);
    store.add([span('new', 'b', 3, { parentSpanId: 'a' })], 2500);
    assert.deepEqual(store.list(50, 2000).map((t) => t.traceId), ['old']);
    assert.deepEqual(store.list(50, 2500).map((t) => t.traceId), ['new', 'old']);
  });
});

const req = (labels: Record<string, string>, value: number): Sample => ({
  name: 'istio_requests_total',
  labels: { reporter: 'source', source_workload: 'frontend', source_workload_namespace: 'default', destination_workload: 'reviews-v1', destination_workload_namespace: 'default', destination_version: 'v1', destination_app: 'reviews', destination_service: 'reviews.default.svc.cluster.local', response_code: '200', connection_security_policy: 'mutual_tls', ...labels },
  value,
});

describe('the metrics window', () => {
  test('gives each series’ increase over the window, summed over proxies, and survives a counter reset', () => {
    const w = new MetricsWindow(10_000);
    w.add('frontend', 0, [req({}, 100)]);
    w.add('frontend', 5_000, [req({}, 150)]);
    w.add('frontend', 10_000, [req({}, 190)]);
    w.add('gateway', 0, [req({ source_workload: 'gw' }, 7)]);
    w.add('gateway', 10_000, [req({ source_workload: 'gw' }, 3)]); // restarted: counts from 0
    const inc = w.increase();
    assert.equal(inc.spanMs, 10_000);
    assert.deepEqual(inc.samples.map((s) => [s.labels['source_workload'], s.value]).sort(), [['frontend', 90], ['gw', 3]]);
    w.add('frontend', 15_000, [req({}, 200)]);
    assert.equal(w.increase().samples.find((s) => s.labels['source_workload'] === 'frontend')?.value, 50, 'the scrape at 0 left the window');
    w.retain(new Set(['gateway']));
    assert.equal(w.increase().samples.length, 1);
  });

  test('a series that appears after a proxy’s first scrape counts from 0; what a proxy counted before its first scrape is baseline, as in Prometheus', () => {
    const w = new MetricsWindow(10_000);
    w.add('reviews-v1', 0, [req({}, 1)]); // counted before the dashboard first saw this proxy
    assert.equal(w.increase().samples.length, 0, 'one scrape: no increase yet');
    w.add('reviews-v1', 2_000, [req({}, 1), req({ source_workload: 'unknown' }, 1)]);
    assert.deepEqual(w.increase().samples.map((s) => [s.labels['source_workload'], s.value]), [['unknown', 1]]);
  });
});

describe('the mesh graph', () => {
  const known: KnownWorkload[] = [
    { id: 'frontend.default', workload: 'frontend', namespace: 'default', kind: 'sidecar', labels: { app: 'frontend', version: 'v1' }, connected: true },
    { id: 'reviews-v2.default', workload: 'reviews-v2', namespace: 'default', kind: 'sidecar', labels: { app: 'reviews', version: 'v2' }, connected: false },
  ];
  const bucket = (dest: string, le: string, value: number): Sample => ({ ...req({ destination_workload: dest }, value), name: 'istio_request_duration_milliseconds_bucket', labels: { ...req({ destination_workload: dest }, 0).labels, le } });

  test('draws an edge per workload pair with rate, errors, share of the service, p99 and mTLS', () => {
    const graph = buildMeshGraph(
      {
        spanMs: 10_000,
        newest: Date.parse('2026-01-01T00:00:10Z'),
        samples: [
          req({}, 85),
          req({ response_code: '503' }, 5),
          req({ destination_workload: 'reviews-v2', destination_version: 'v2' }, 10),
          req({ destination_workload: 'reviews-v2', destination_version: 'v2', connection_security_policy: 'none', response_code: '200' }, 0),
          req({ reporter: 'destination' }, 90), // the server side of the same requests: not counted twice
          req({ reporter: 'destination', source_workload: 'unknown', source_workload_namespace: 'unknown', destination_workload: 'frontend' }, 4),
          bucket('reviews-v1', '10', 80),
          bucket('reviews-v1', '100', 90),
          bucket('reviews-v1', '+Inf', 90),
        ],
      },
      10,
      known,
    );
    const v1 = graph.edges.find((e) => e.id === 'frontend.default->reviews-v1.default');
    const v2 = graph.edges.find((e) => e.id === 'frontend.default->reviews-v2.default');
    assert.ok(v1 && v2);
    assert.equal(v1.requests, 90);
    assert.equal(v1.rps, 9);
    assert.ok(Math.abs(v1.errorRate - 5 / 90) < 1e-9);
    assert.equal(v1.share, 0.9);
    assert.equal(v2.share, 0.1);
    assert.equal(v1.mtls, true);
    assert.ok(v1.p99Ms !== undefined && v1.p99Ms > 10 && v1.p99Ms <= 100, `p99 ${v1.p99Ms}`);
    assert.ok(graph.edges.some((e) => e.id === 'unknown.unknown->frontend.default'), 'callers outside the mesh come from the server side');
    assert.equal(graph.edges.length, 3);
    const ids = graph.nodes.map((n) => n.id);
    assert.deepEqual(ids, ['frontend.default', 'reviews-v1.default', 'reviews-v2.default', 'unknown.unknown']);
    assert.deepEqual(graph.nodes.find((n) => n.id === 'reviews-v1.default'), { id: 'reviews-v1.default', workload: 'reviews-v1', namespace: 'default', app: 'reviews', version: 'v1', kind: 'unknown', connected: false });
    assert.equal(graph.at, '2026-01-01T00:00:10.000Z');
  });

  test('gRPC calls and TCP connections are edges of their own, with their own figures', () => {
    const tcp = (name: string, extra: Record<string, string>, value: number): Sample => ({ ...req({ destination_workload: 'tcp-echo-v1', destination_version: 'v1', destination_service: 'tcp-echo.default.svc.cluster.local', ...extra }, value), name });
    const graph = buildMeshGraph(
      {
        spanMs: 10_000,
        newest: Date.parse('2026-01-01T00:00:10Z'),
        samples: [
          req({ request_protocol: 'grpc', grpc_response_status: '0', destination_workload: 'ratings', destination_service: 'ratings.default.svc.cluster.local' }, 24),
          // gRPC failures answer HTTP 200: the gRPC status decides; a call with no answer at all, the HTTP code.
          req({ request_protocol: 'grpc', grpc_response_status: '14', destination_workload: 'ratings', destination_service: 'ratings.default.svc.cluster.local' }, 5),
          req({ request_protocol: 'grpc', response_code: '503', destination_workload: 'ratings', destination_service: 'ratings.default.svc.cluster.local' }, 1),
          req({ destination_workload: 'ratings', destination_service: 'ratings.default.svc.cluster.local' }, 10),
          tcp('istio_tcp_connections_closed_total', { request_protocol: 'tcp' }, 8),
          tcp('istio_tcp_connections_closed_total', { request_protocol: 'tcp', response_flags: 'UF' }, 2),
          tcp('istio_tcp_connections_closed_total', { request_protocol: 'tcp', destination_workload: 'tcp-echo-v2', destination_version: 'v2' }, 10),
          tcp('istio_tcp_sent_bytes_total', { request_protocol: 'tcp' }, 4096),
          tcp('istio_tcp_received_bytes_total', { request_protocol: 'tcp' }, 1024),
          tcp('istio_tcp_sent_bytes_total', { request_protocol: 'tcp', reporter: 'destination' }, 4096), // the server side: not counted twice
        ],
      },
      10,
      known,
    );
    const grpc = graph.edges.find((e) => e.id === 'frontend.default->ratings.default grpc');
    const http = graph.edges.find((e) => e.id === 'frontend.default->ratings.default');
    assert.deepEqual([grpc?.protocol, grpc?.requests, grpc?.share, grpc?.errorRate, http?.protocol, http?.requests], ['grpc', 30, 1, 0.2, 'http', 10]);
    const v1 = graph.edges.find((e) => e.id === 'frontend.default->tcp-echo-v1.default tcp');
    assert.ok(v1);
    assert.deepEqual([v1.protocol, v1.requests, v1.rps, v1.share, v1.errorRate, v1.bytesPerSecond, v1.p99Ms], ['tcp', 10, 1, 0.5, 0.2, 512, undefined]);
  });

  test('histogram_quantile interpolates inside the bucket as Prometheus does', () => {
    const b = new Map([[10, 50], [20, 100], [Infinity, 100]]);
    assert.equal(histogramQuantile(0.5, b), 10);
    assert.equal(histogramQuantile(0.75, b), 15);
    assert.equal(histogramQuantile(0.99, new Map([[5, 0], [Infinity, 10]])), 5, 'in the +Inf bucket: the highest finite bound');
    assert.equal(histogramQuantile(0.99, new Map()), undefined);
  });
});
