// The walking skeleton, end to end: real control plane, gateway, sidecars and sample apps on
// loopback; requests enter at the gateway.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { binomialInterval, getJson, runConcurrently, startTestMesh, waitFor, type TestMesh } from '@skiff/testing';
import { meshConfig, reviewsVirtualService, type Product } from './fixtures.js';

describe('local mesh: routing through gateway -> frontend -> reviews -> ratings', () => {
  let mesh: TestMesh;
  before(async () => {
    mesh = await startTestMesh({ config: meshConfig(90, 10) });
  });
  after(async () => {
    await mesh?.stop();
  });

  const product = (headers: Record<string, string> = {}) => getJson<Product>(`${mesh.gateway}/api/product/1`, headers);

  test('a request reaches frontend, reviews v2 and ratings, and comes back 200', async () => {
    const res = await product({ 'end-user': 'jason' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.reviewsVersion, 'v2');
    const stars = res.body.reviews?.reviews?.map((r) => r.rating?.stars);
    assert.ok(stars && stars.length > 0 && stars.every((s) => typeof s === 'number'), `ratings missing: ${JSON.stringify(res.body)}`);
    assert.ok(res.body.requestId, 'gateway gave the request an x-request-id that the app saw');
  });

  test('the HTML page through the gateway shows which reviews version answered', async () => {
    const res = await fetch(`${mesh.gateway}/`, { headers: { 'end-user': 'jason' } });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /v2/);
  });

  test('a header match sends every matching request to v2', async () => {
    const versions = await runConcurrently(200, 10, async () => (await product({ 'end-user': 'jason' })).body.reviewsVersion);
    assert.deepEqual(new Set(versions), new Set(['v2']));
  });

  test('90/10 weights split 2,000 requests within the 99.9% binomial interval', async (t) => {
    const n = 2000;
    const results = await runConcurrently(n, 16, () => product());
    assert.equal(results.filter((r) => r.status !== 200).length, 0, 'every request succeeds');
    const v2 = results.filter((r) => r.body.reviewsVersion === 'v2').length;
    const v1 = results.filter((r) => r.body.reviewsVersion === 'v1').length;
    assert.equal(v1 + v2, n);
    const { low, high } = binomialInterval(n, 0.1, 0.999);
    t.diagnostic(`v2 share ${v2}/${n}; 99.9% interval ${low.toFixed(0)}..${high.toFixed(0)}`);
    assert.ok(v2 >= low && v2 <= high, `v2 got ${v2} of ${n}; expected ${low.toFixed(0)}..${high.toFixed(0)}`);
  });

  test('a config file change applies within 2 s, with no failed request under steady load', async (t) => {
    let running = true;
    let failures = 0;
    let total = 0;
    const seen: Array<{ at: number; version: string | undefined }> = [];
    const load = runConcurrently(1_000_000, 4, async () => {
      if (!running) return;
      const res = await product().catch((error: unknown) => ({ status: 0, body: { error: String(error) } as Product }));
      total += 1;
      if (res.status !== 200) failures += 1;
      seen.push({ at: Date.now(), version: res.body.reviewsVersion });
    }).catch(() => undefined);
    await waitFor('steady load', () => total > 50);
    const changedAt = Date.now();
    mesh.writeConfig('reviews-vs.yaml', reviewsVirtualService(0, 100));
    // Applied = a run of 30 consecutive v2 answers (at 10% v2 before the change, chance ≈ 1e-30).
    const appliedAt = await waitFor(
      'the new weights to take effect',
      () => {
        const recent = seen.slice(-30);
        return recent.length === 30 && recent.every((s) => s.version === 'v2' && s.at > changedAt) ? (recent[0]?.at ?? Date.now()) : undefined;
      },
      5000,
    );
    const sampleEnd = total + 100;
    await waitFor('100 more requests after the change', () => total >= sampleEnd);
    running = false;
    await load;
    t.diagnostic(`config change applied in ${appliedAt - changedAt} ms; ${total} requests during the change, ${failures} failed`);
    assert.equal(failures, 0, `${failures} of ${total} requests failed during the change`);
    assert.ok(appliedAt - changedAt < 2000, `took ${appliedAt - changedAt} ms to apply`);
    assert.ok(seen.filter((s) => s.at > appliedAt).every((s) => s.version === 'v2'), 'after applying, only v2 answers');
  });

  test('an invalid file is reported with file, resource and field, and routing stays as it was', async () => {
    // Before: 100% v2 (from the previous test, or set here when run alone).
    mesh.writeConfig('reviews-vs.yaml', reviewsVirtualService(0, 100));
    await waitFor('100% v2', async () => (await runConcurrently(20, 5, () => product())).every((r) => r.body.reviewsVersion === 'v2'));
    const broken = reviewsVirtualService(100, 0).replace('weight: 100', 'weight: 150');
    mesh.writeConfig('reviews-vs.yaml', broken);
    const issue = await waitFor('the control plane to report the bad file', async () => {
      const { body } = await getJson<{ issues: Array<{ severity: string; file: string; resource: string; field: string; text: string }> }>(`${mesh.controlPlane}/debug/configz`);
      return body.issues.find((i) => i.severity === 'error' && i.file.endsWith('reviews-vs.yaml'));
    });
    assert.match(issue.resource, /VirtualService default\/reviews/);
    assert.match(issue.field, /^spec\.http\[1\]\.route/);
    assert.match(issue.text, /reviews-vs\.yaml:\d+/);
    const after = await runConcurrently(200, 10, () => product());
    assert.ok(after.every((r) => r.status === 200 && r.body.reviewsVersion === 'v2'), 'the last good config (100% v2) stays in force');
    const log = mesh.supervisor.get('control-plane')?.output().join('\n') ?? '';
    assert.match(log, /reviews-vs\.yaml.*rejected/);
  });
});
