import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { ENVOY_DEFAULT_BUCKETS, ISTIO_REQUEST_LABELS, serviceLabels } from './istio-labels.js';
import type { ObservedRequest, ObservedTcpConnection } from './observed-request.js';
import { parsePrometheusText, sumSamples, type Sample } from './parse-prometheus.js';
import { createProxyMetrics } from './proxy-metrics.js';

function event(overrides: Partial<ObservedRequest> = {}): ObservedRequest {
  return {
    reporter: 'destination',
    startTime: Date.parse('2025-01-02T03:04:05.678Z'),
    durationMs: 12,
    method: 'GET',
    path: '/reviews/1',
    authority: 'reviews:9080',
    protocol: 'http',
    requestId: 'r-1',
    responseCode: 200,
    responseFlags: '-',
    requestBytes: 0,
    responseBytes: 300,
    source: { workload: 'frontend', namespace: 'default', principal: 'spiffe://cluster.local/ns/default/sa/frontend', app: 'frontend', version: 'v1' },
    destination: { workload: 'reviews-v1', namespace: 'default', service: 'reviews', principal: 'spiffe://cluster.local/ns/default/sa/reviews', app: 'reviews', version: 'v1' },
    connectionSecurityPolicy: 'mutual_tls',
    ...overrides,
  };
}

async function scrape(registry: Registry): Promise<Sample[]> {
  return parsePrometheusText(await registry.metrics());
}

describe('createProxyMetrics', () => {
  test('after N observes, istio_requests_total has exactly N with every Istio label', async () => {
    const registry = new Registry();
    const metrics = createProxyMetrics(registry);
    for (let i = 0; i < 37; i++) metrics.observe(event());
    const samples = (await scrape(registry)).filter((s) => s.name === 'istio_requests_total');
    assert.equal(samples.length, 1, 'one series for one label set');
    const only = samples[0] as Sample;
    assert.equal(only.value, 37);
    assert.deepEqual(Object.keys(only.labels).sort(), [...ISTIO_REQUEST_LABELS].sort());
    assert.deepEqual(only.labels, {
      reporter: 'destination',
      source_workload: 'frontend',
      source_workload_namespace: 'default',
      source_principal: 'spiffe://cluster.local/ns/default/sa/frontend',
      source_app: 'frontend',
      source_version: 'v1',
      destination_workload: 'reviews-v1',
      destination_workload_namespace: 'default',
      destination_principal: 'spiffe://cluster.local/ns/default/sa/reviews',
      destination_app: 'reviews',
      destination_version: 'v1',
      destination_service: 'reviews.default.svc.cluster.local',
      destination_service_name: 'reviews',
      destination_service_namespace: 'default',
      request_protocol: 'http',
      response_code: '200',
      grpc_response_status: '',
      response_flags: '-',
      connection_security_policy: 'mutual_tls',
    });
  });

  test('label sets split series: response code, flags and versions each count separately', async () => {
    const registry = new Registry();
    const metrics = createProxyMetrics(registry);
    for (let i = 0; i < 5; i++) metrics.observe(event());
    for (let i = 0; i < 3; i++) metrics.observe(event({ destination: { ...event().destination, workload: 'reviews-v2', version: 'v2' } }));
    for (let i = 0; i < 2; i++) metrics.observe(event({ responseCode: 504, responseFlags: 'UT' }));
    const samples = await scrape(registry);
    assert.equal(sumSamples(samples, 'istio_requests_total'), 10);
    assert.equal(sumSamples(samples, 'istio_requests_total', { destination_version: 'v2', destination_workload: 'reviews-v2' }), 3);
    assert.equal(sumSamples(samples, 'istio_requests_total', { response_code: '504', response_flags: 'UT' }), 2);
    assert.equal(sumSamples(samples, 'istio_requests_total', { response_code: '200', destination_version: 'v1' }), 5);
  });

  test('unknown peers are labelled "unknown", as Istio writes them', async () => {
    const registry = new Registry();
    const metrics = createProxyMetrics(registry);
    metrics.observe(event({ source: { workload: 'unknown', namespace: '' }, destination: {}, connectionSecurityPolicy: 'none', responseCode: 0, responseFlags: 'DC' }));
    const [s] = (await scrape(registry)).filter((x) => x.name === 'istio_requests_total');
    assert.ok(s);
    for (const name of ['source_workload', 'source_workload_namespace', 'source_principal', 'source_app', 'source_version', 'destination_workload', 'destination_workload_namespace', 'destination_principal', 'destination_app', 'destination_version', 'destination_service', 'destination_service_name', 'destination_service_namespace']) {
      assert.equal(s.labels[name], 'unknown', name);
    }
    assert.equal(s.labels['response_code'], '0');
    assert.equal(s.labels['response_flags'], 'DC');
    assert.equal(s.labels['connection_security_policy'], 'none');
  });

  test('duration histogram: cumulative buckets at Envoy bounds, _count == N, _sum == sum of durations', async () => {
    const registry = new Registry();
    const metrics = createProxyMetrics(registry);
    const durations = [0.2, 0.5, 0.7, 3, 9.9, 10, 26, 480, 1200, 70_000, 5_000_000];
    for (const d of durations) metrics.observe(event({ durationMs: d, requestBytes: d > 100 ? 2048 : 0, responseBytes: 300 }));
    const samples = await scrape(registry);
    const buckets = samples.filter((s) => s.name === 'istio_request_duration_milliseconds_bucket');
    assert.deepEqual(
      buckets.map((b) => b.labels['le']),
      [...ENVOY_DEFAULT_BUCKETS.map(String), '+Inf'],
    );
    let previous = 0;
    for (const b of buckets) {
      const le = b.labels['le'] === '+Inf' ? Infinity : Number(b.labels['le']);
      assert.equal(b.value, durations.filter((d) => d <= le).length, `bucket le=${b.labels['le']}`);
      assert.ok(b.value >= previous, 'buckets are cumulative');
      previous = b.value;
    }
    const n = durations.length;
    assert.equal(sumSamples(samples, 'istio_request_duration_milliseconds_count'), n);
    assert.equal(sumSamples(samples, 'istio_request_duration_milliseconds_bucket', { le: '+Inf' }), n);
    assert.ok(Math.abs(sumSamples(samples, 'istio_request_duration_milliseconds_sum') - durations.reduce((a, b) => a + b, 0)) < 1e-6);
    assert.equal(sumSamples(samples, 'istio_request_bytes_count'), n);
    assert.equal(sumSamples(samples, 'istio_request_bytes_sum'), 2048 * durations.filter((d) => d > 100).length);
    assert.equal(sumSamples(samples, 'istio_response_bytes_sum'), 300 * n);
    assert.equal(sumSamples(samples, 'istio_response_bytes_bucket', { le: '250' }), 0);
    assert.equal(sumSamples(samples, 'istio_response_bytes_bucket', { le: '500' }), n);
    assert.equal(sumSamples(samples, 'istio_requests_total'), sumSamples(samples, 'istio_request_duration_milliseconds_count'));
  });

  test('onConnection counts istio_tcp_connections_opened_total per reporter', async () => {
    const registry = new Registry();
    const metrics = createProxyMetrics(registry);
    for (let i = 0; i < 4; i++) metrics.onConnection('destination', { destination: { workload: 'reviews-v1', namespace: 'default', service: 'reviews' } });
    metrics.onConnection('source', { source: { workload: 'frontend', namespace: 'default' } });
    const samples = await scrape(registry);
    assert.equal(sumSamples(samples, 'istio_tcp_connections_opened_total', { reporter: 'destination', destination_workload: 'reviews-v1', source_workload: 'unknown', request_protocol: 'tcp' }), 4);
    assert.equal(sumSamples(samples, 'istio_tcp_connections_opened_total', { reporter: 'source', source_workload: 'frontend', destination_workload: 'unknown' }), 1);
  });
});

describe('serviceLabels', () => {
  test('short name with namespace, FQDN, and nothing', () => {
    assert.deepEqual(serviceLabels({ service: 'reviews', namespace: 'default' }), { destination_service: 'reviews.default.svc.cluster.local', destination_service_name: 'reviews', destination_service_namespace: 'default' });
    assert.deepEqual(serviceLabels({ service: 'ratings.prod.svc.cluster.local' }), { destination_service: 'ratings.prod.svc.cluster.local', destination_service_name: 'ratings', destination_service_namespace: 'prod' });
    assert.deepEqual(serviceLabels({}), { destination_service: 'unknown', destination_service_name: 'unknown', destination_service_namespace: 'unknown' });
  });

  test("a ServiceEntry's host is the service's whole name, in the entry's namespace (Istio's serviceentry conversion), not split like a Kubernetes FQDN", () => {
    assert.deepEqual(serviceLabels({ service: 'httpbin.external-standin.test', serviceNamespace: 'default' }), { destination_service: 'httpbin.external-standin.test', destination_service_name: 'httpbin.external-standin.test', destination_service_namespace: 'default' });
  });
});

describe('parsePrometheusText', () => {
  test('reads labels with escapes, +Inf and skips comments', () => {
    const samples = parsePrometheusText('# HELP x y\n# TYPE x counter\nx{a="1",b="q\\"uote"} 3\ny 4.5\nz_bucket{le="+Inf"} +Inf\n');
    assert.deepEqual(samples, [
      { name: 'x', labels: { a: '1', b: 'q"uote' }, value: 3 },
      { name: 'y', labels: {}, value: 4.5 },
      { name: 'z_bucket', labels: { le: '+Inf' }, value: Infinity },
    ]);
    assert.throws(() => parsePrometheusText('x{a=1} 3'), /cannot read the labels|not a Prometheus sample/);
  });

  test('TCP: progress reports add their new bytes while the connection is open; close adds the rest and counts the close', async () => {
    const registry = new Registry();
    const metrics = createProxyMetrics(registry);
    const tcp = (phase: ObservedTcpConnection['phase'], totals: [number, number], fresh?: [number, number], flags = '-'): ObservedTcpConnection => ({
      reporter: 'source',
      phase,
      startTime: 0,
      durationMs: 0,
      bytesReceived: totals[0],
      bytesSent: totals[1],
      ...(fresh ? { newBytesReceived: fresh[0], newBytesSent: fresh[1] } : {}),
      responseFlags: flags,
      source: { workload: 'client', namespace: 'default' },
      destination: { workload: 'tcp-echo-v1', namespace: 'default', service: 'tcp-echo' },
      connectionSecurityPolicy: 'mutual_tls',
    });
    const sum = async (name: string) => sumSamples(await scrape(registry), name);
    metrics.observeTcp(tcp('open', [0, 0]));
    metrics.observeTcp(tcp('progress', [100, 40], [100, 40]));
    assert.deepEqual([await sum('istio_tcp_received_bytes_total'), await sum('istio_tcp_sent_bytes_total'), await sum('istio_tcp_connections_closed_total')], [100, 40, 0], 'bytes show before the close');
    metrics.observeTcp(tcp('progress', [250, 90], [150, 50]));
    metrics.observeTcp(tcp('close', [300, 100], [50, 10]));
    assert.deepEqual([await sum('istio_tcp_received_bytes_total'), await sum('istio_tcp_sent_bytes_total'), await sum('istio_tcp_connections_closed_total'), await sum('istio_tcp_connections_opened_total')], [300, 100, 1, 1], 'the totals, each byte counted once');
    // A close with no progress before it (no new* fields) adds its totals.
    metrics.observeTcp(tcp('close', [7, 3]));
    assert.deepEqual([await sum('istio_tcp_received_bytes_total'), await sum('istio_tcp_sent_bytes_total')], [307, 103]);
  });
});
