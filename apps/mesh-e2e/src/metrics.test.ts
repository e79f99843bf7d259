// Istio's standard metrics from the whole local mesh: exact counts on both sides of each hop
// after a known number of requests, the control plane's istiod-style metrics, and a real
// Prometheus (Debian's binary) scraping the mesh and answering the classic traffic-share query.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { fixedPorts } from '@skiff/launcher';
import { binomialInterval, get, getJson, prometheusMissing, repoRoot, runConcurrently, startPrometheus, startTestMesh, waitFor, zFor, type TestMesh } from '@skiff/testing';
import { parsePrometheusText, sumSamples, type Sample } from '@skiff/telemetry';
import { meshConfig, type Product } from './fixtures.js';

async function scrape(url: string): Promise<Sample[]> {
  const res = await get(url);
  assert.equal(res.status, 200, `${url} answered ${res.status}: ${res.text.slice(0, 200)}`);
  return parsePrometheusText(res.text);
}

const reviewsInbound = (version: 'v1' | 'v2') => ({
  reporter: 'destination',
  source_workload: 'frontend',
  source_workload_namespace: 'default',
  source_principal: 'spiffe://cluster.local/ns/default/sa/frontend',
  source_app: 'frontend',
  source_version: 'v1',
  destination_workload: `reviews-${version}`,
  destination_workload_namespace: 'default',
  destination_principal: 'spiffe://cluster.local/ns/default/sa/reviews',
  destination_app: 'reviews',
  destination_version: version,
  destination_service: 'reviews.default.svc.cluster.local',
  destination_service_name: 'reviews',
  destination_service_namespace: 'default',
  request_protocol: 'http',
  response_code: '200',
  response_flags: '-',
  connection_security_policy: 'mutual_tls',
});

const gatewayOutbound = {
  reporter: 'source',
  source_workload: 'istio-ingressgateway',
  source_workload_namespace: 'istio-system',
  destination_workload: 'frontend',
  destination_service_name: 'frontend',
  destination_service_namespace: 'default',
  response_code: '200',
  connection_security_policy: 'mutual_tls',
};

describe('Istio metrics on the local mesh', () => {
  let mesh: TestMesh;
  before(async () => {
    mesh = await startTestMesh({ config: meshConfig(80, 20) });
  });
  after(async () => {
    await mesh?.stop();
  });

  const product = () => getJson<Product>(`${mesh.gateway}/api/product/1`);
  const metricsOf = (workload: string) => {
    const url = mesh.plan.urls.metrics[workload];
    assert.ok(url, `no metrics URL for ${workload}`);
    return scrape(url);
  };

  /** The counters this test reads, summed per side of each hop. */
  async function counts() {
    const [v1, v2, gw, fe] = await Promise.all([metricsOf('reviews-v1'), metricsOf('reviews-v2'), metricsOf('istio-ingressgateway'), metricsOf('frontend')]);
    return {
      v1: sumSamples(v1, 'istio_requests_total', reviewsInbound('v1')),
      v2: sumSamples(v2, 'istio_requests_total', reviewsInbound('v2')),
      v1Histogram: sumSamples(v1, 'istio_request_duration_milliseconds_count', reviewsInbound('v1')),
      v2Histogram: sumSamples(v2, 'istio_request_duration_milliseconds_count', reviewsInbound('v2')),
      v2ResponseBytes: sumSamples(v2, 'istio_response_bytes_count', reviewsInbound('v2')),
      gateway: sumSamples(gw, 'istio_requests_total', gatewayOutbound),
      gatewayHistogram: sumSamples(gw, 'istio_request_duration_milliseconds_count', gatewayOutbound),
      frontendToReviews: sumSamples(fe, 'istio_requests_total', { reporter: 'source', source_workload: 'frontend', destination_service_name: 'reviews', response_code: '200', connection_security_policy: 'mutual_tls' }),
    };
  }

  test('after exactly N requests through the gateway, both sides of each hop count exactly N', async (t) => {
    const n = 300;
    const before = await counts();
    const results = await runConcurrently(n, 8, () => product());
    assert.deepEqual(results.filter((r) => r.status !== 200).map((r) => r.status), [], 'every request succeeds');
    const v2Seen = results.filter((r) => r.body.reviewsVersion === 'v2').length;
    // Reported when each request ends, which can be a moment after the client has its answer.
    await waitFor('the reviews sidecars to report every request', async () => {
      const c = await counts();
      return c.v1 - before.v1 + (c.v2 - before.v2) >= n && c.gateway - before.gateway >= n;
    });
    await new Promise((r) => setTimeout(r, 300)); // nothing more may arrive: the count is exact, not "at least"
    const after = await counts();
    const d = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - before[k as keyof typeof before]])) as typeof after;
    t.diagnostic(`N=${n}: reviews-v1 ${d.v1} + reviews-v2 ${d.v2} (destination), gateway ${d.gateway} (source), frontend->reviews ${d.frontendToReviews} (source); v2 per responses ${v2Seen}`);
    assert.equal(d.v1 + d.v2, n, 'reporter=destination on reviews-v1 + reviews-v2');
    assert.equal(d.v2, v2Seen, 'reviews-v2 counted exactly the requests it answered');
    assert.equal(d.gateway, n, 'reporter=source on the gateway');
    assert.equal(d.frontendToReviews, n, 'reporter=source on the frontend sidecar');
    assert.equal(d.v1Histogram, d.v1, 'duration histogram _count == counter (v1)');
    assert.equal(d.v2Histogram, d.v2, 'duration histogram _count == counter (v2)');
    assert.equal(d.v2ResponseBytes, d.v2, 'response size histogram _count == counter (v2)');
    assert.equal(d.gatewayHistogram, d.gateway, 'duration histogram _count == counter (gateway)');
  });

  test('histograms are cumulative and their _sum is plausible; the admin port serves the same text', async () => {
    const samples = await metricsOf('reviews-v1');
    const buckets = samples.filter((s) => s.name === 'istio_request_duration_milliseconds_bucket' && s.labels['source_workload'] === 'frontend' && s.labels['response_code'] === '200');
    assert.ok(buckets.length >= 20, 'one series of 20 buckets (19 bounds and +Inf)');
    const bounds = buckets.map((b) => (b.labels['le'] === '+Inf' ? Infinity : Number(b.labels['le'])));
    for (let i = 1; i < buckets.length; i++) assert.ok((buckets[i]?.value ?? 0) >= (buckets[i - 1]?.value ?? 0) && (bounds[i] ?? 0) > (bounds[i - 1] ?? 0), 'cumulative, increasing bounds');
    const count = sumSamples(samples, 'istio_request_duration_milliseconds_count', { source_workload: 'frontend', response_code: '200' });
    const sum = sumSamples(samples, 'istio_request_duration_milliseconds_sum', { source_workload: 'frontend', response_code: '200' });
    assert.equal(buckets.at(-1)?.value, count, '+Inf bucket == _count');
    assert.ok(sum > 0 && sum / count < 5000, `mean duration ${sum / count} ms is plausible`);
    const admin = parsePrometheusText((await get(`${mesh.admin['reviews-v1']}/stats/prometheus`)).text);
    assert.ok(sumSamples(admin, 'istio_requests_total', reviewsInbound('v1')) >= sumSamples(samples, 'istio_requests_total', reviewsInbound('v1')));
    assert.ok(sumSamples(samples, 'istio_tcp_connections_opened_total', { reporter: 'destination', destination_workload: 'reviews-v1' }) >= 1, 'inbound connections are counted');
  });

  test('the control plane serves istiod-style metrics on /metrics', async () => {
    const samples = await scrape(`${mesh.controlPlane}/metrics`);
    assert.equal(sumSamples(samples, 'pilot_xds', { kind: 'sidecar' }), 4);
    assert.equal(sumSamples(samples, 'pilot_xds', { kind: 'gateway' }), 1);
    assert.ok(sumSamples(samples, 'pilot_xds_pushes', { type: 'cds' }) >= 5, 'every proxy was pushed at least once');
    assert.ok(sumSamples(samples, 'pilot_proxy_convergence_time_count') >= 5, 'ACKs were timed');
    assert.ok(sumSamples(samples, 'citadel_server_success_cert_issuance_count') >= 5, 'each proxy got a certificate');
    assert.ok(sumSamples(samples, 'citadel_server_csr_count') >= sumSamples(samples, 'citadel_server_success_cert_issuance_count'));
    assert.equal(sumSamples(samples, 'pilot_total_xds_rejects'), 0);
    assert.equal(sumSamples(samples, 'galley_validation_failed'), 0);
  });

  test('a rejected config file counts in galley_validation_failed', async () => {
    mesh.writeConfig('broken.yaml', 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: broken\nspec:\n  hosts: [reviews]\n  http:\n    - route:\n        - destination: { host: reviews }\n          weight: 150\n');
    await waitFor('galley_validation_failed to count the broken file', async () => sumSamples(await scrape(`${mesh.controlPlane}/metrics`), 'galley_validation_failed') === 1, 5000);
    rmSync(join(mesh.configDir, 'broken.yaml'));
  });

  test('real Prometheus scrapes the mesh and the PromQL v2 share of an 80/20 split is 0.2', async (t) => {
    const missing = prometheusMissing();
    if (missing) {
      t.skip(`${missing}; skipping the real-Prometheus check`);
      return;
    }
    const prometheus = await startPrometheus(mesh);
    t.after(() => prometheus.stop());
    const api = `${prometheus.url}/api/v1`;

    const query = async (promql: string, time?: number): Promise<number | undefined> => {
      const url = `${api}/query?query=${encodeURIComponent(promql)}${time === undefined ? '' : `&time=${time / 1000}`}`;
      const res = await getJson<{ status: string; data: { result: Array<{ value: [number, string] }> } }>(url);
      assert.equal(res.body.status, 'success', `${promql}: ${JSON.stringify(res.body)}`);
      const first = res.body.data.result[0];
      return first ? Number(first.value[1]) : undefined;
    };
    const total = 'sum(istio_requests_total{reporter="destination",destination_service_name="reviews"})';
    const v2Total = 'sum(istio_requests_total{reporter="destination",destination_service_name="reviews",destination_version="v2"})';
    const sidecarTotals = async () => {
      const [v1, v2] = await Promise.all([metricsOf('reviews-v1'), metricsOf('reviews-v2')]);
      const match = { reporter: 'destination', destination_service_name: 'reviews' };
      return { v2: sumSamples(v2, 'istio_requests_total', match), all: sumSamples(v1, 'istio_requests_total', match) + sumSamples(v2, 'istio_requests_total', match) };
    };

    // Both versions must already have a series, so no increment hides in a series' first sample.
    await waitFor('requests to reach both reviews versions', async () => {
      const c = await counts();
      if (c.v1 > 0 && c.v2 > 0) return true;
      await product();
      return false;
    });
    const base = await sidecarTotals();
    await waitFor('Prometheus to hold the pre-traffic counters', async () => (await query(total)) === base.all && (await query(v2Total)) === base.v2, 15_000, 250);
    await new Promise((r) => setTimeout(r, 2500)); // two more scrapes: the window below starts after them
    const t0 = Date.now();

    const n = 1000;
    const results = await runConcurrently(n, 16, () => product());
    assert.deepEqual(results.filter((r) => r.status !== 200).map((r) => r.status), [], 'every request succeeds');
    const v2Seen = results.filter((r) => r.body.reviewsVersion === 'v2').length;
    const expected = { all: base.all + n, v2: base.v2 + v2Seen };
    await waitFor('Prometheus to scrape the final counters', async () => (await query(total)) === expected.all && (await query(v2Total)) === expected.v2, 20_000, 250);
    const tEval = Date.now();
    const window = Math.ceil((tEval - t0) / 1000) + 1;
    const promql = `sum(rate(istio_requests_total{reporter="destination",destination_service_name="reviews",destination_version="v2"}[${window}s])) / sum(rate(istio_requests_total{reporter="destination",destination_service_name="reviews"}[${window}s]))`;
    const share = await query(promql, tEval);
    assert.ok(share !== undefined, `no result for ${promql}`);
    const seenShare = v2Seen / n;
    const { low, high } = binomialInterval(n, 0.2, 0.999);
    // rate() extrapolates each target's window edges separately; between the two series that
    // moves the ratio by at most about one scrape interval's share of the window.
    const extrapolation = (2 * 1.1) / window;
    t.diagnostic(`PromQL v2 share ${share.toFixed(4)} over [${window}s]; responses said ${v2Seen}/${n} = ${seenShare.toFixed(4)}; 99.9% interval for 0.2: ${(low / n).toFixed(3)}..${(high / n).toFixed(3)}`);
    assert.ok(v2Seen >= low && v2Seen <= high, `v2 answered ${v2Seen} of ${n}; expected ${low.toFixed(0)}..${high.toFixed(0)}`);
    assert.ok(Math.abs(share - seenShare) <= extrapolation * seenShare + 1e-9, `Prometheus share ${share} vs observed ${seenShare} (allowed ±${(extrapolation * seenShare).toFixed(4)})`);
    const tolerance = zFor(0.999) * Math.sqrt((0.2 * 0.8) / n) + extrapolation * 0.2;
    assert.ok(Math.abs(share - 0.2) <= tolerance, `Prometheus v2 share ${share} is not within ${tolerance.toFixed(4)} of 0.2`);
    const upTargets = await query('count(up{job="skiff-proxies"} == 1)');
    assert.equal(upTargets, Object.keys(mesh.plan.urls.metrics).length, 'every proxy target is up');
  });
});

describe('prometheus.yml at the repo root', () => {
  test('scrapes the control plane and every proxy of `npm start` on their fixed ports', () => {
    const config = parse(readFileSync(join(repoRoot, 'prometheus.yml'), 'utf8')) as { scrape_configs: Array<{ job_name: string; metrics_path: string; static_configs: Array<{ targets: string[]; labels: { workload: string } }> }> };
    const ports = fixedPorts(0);
    const byWorkload = (job: string) => Object.fromEntries((config.scrape_configs.find((c) => c.job_name === job)?.static_configs ?? []).map((s) => [s.labels.workload, s.targets[0]]));
    const proxies = config.scrape_configs.find((c) => c.job_name === 'skiff-proxies');
    assert.equal(proxies?.metrics_path, '/stats/prometheus');
    assert.deepEqual(byWorkload('skiff-proxies'), {
      'istio-ingressgateway': `127.0.0.1:${ports.gatewayMetrics}`,
      ...Object.fromEntries(Object.entries(ports.workloads).map(([name, p]) => [name, `127.0.0.1:${p.metrics}`])),
    });
    assert.deepEqual(byWorkload('skiff-control-plane'), { 'control-plane': `127.0.0.1:${ports.monitoring}` });
  });
});
