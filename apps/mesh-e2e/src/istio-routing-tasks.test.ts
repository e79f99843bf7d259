// Istio's traffic-management tasks "Request Routing", "Traffic Shifting" and "Mirroring", run
// against the whole local mesh with each task's own YAML. One mesh for the file; each test
// applies its task's config and waits until every proxy runs it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { appAdmin, applyConfig, binomialInterval, getJson, runConcurrently, startTestMesh, timed, waitFor, type TestMesh } from '@skiff/testing';
import type { Product } from './fixtures.js';
import { bookinfoBaseline, reviewsMirrorV2, reviewsTestV2, reviewsWeighted } from './istio-tasks.js';

describe('Istio tasks: request routing, traffic shifting, mirroring', () => {
  let mesh: TestMesh;
  before(async () => {
    mesh = await startTestMesh({ config: bookinfoBaseline() });
  });
  after(async () => {
    await mesh?.stop();
  });

  const product = (headers: Record<string, string> = {}) => getJson<Product>(`${mesh.gateway}/api/product/1`, headers);
  const versionsOf = (results: Array<{ status: number; body: Product }>) => results.map((r) => (r.status === 200 ? (r.body.reviewsVersion ?? 'none') : `status ${r.status}`));

  test('request routing: end-user jason is routed to reviews v2, everyone else to v1', async (t) => {
    await applyConfig(mesh, { 'reviews-vs.yaml': reviewsTestV2 });

    const jason = await runConcurrently(100, 8, () => product({ 'end-user': 'jason' }));
    assert.deepEqual(new Set(versionsOf(jason)), new Set(['v2']), 'every request from jason is served by v2');
    const stars = jason[0]?.body.reviews?.reviews?.map((r) => r.rating?.stars);
    assert.ok(stars?.length && stars.every((s) => typeof s === 'number'), `v2 shows ratings' stars: ${JSON.stringify(jason[0]?.body)}`);

    // As in the task: signed in as jason (the frontend's cookie becomes end-user on its call).
    const signedIn = await runConcurrently(20, 4, () => product({ cookie: 'user=jason' }));
    assert.deepEqual(new Set(versionsOf(signedIn)), new Set(['v2']), 'signed in as jason (cookie) -> v2');

    const anonymous = await runConcurrently(100, 8, () => product());
    assert.deepEqual(new Set(versionsOf(anonymous)), new Set(['v1']), 'without a user every request is served by v1');
    const otherUser = await runConcurrently(50, 8, () => product({ 'end-user': 'ben' }));
    assert.deepEqual(new Set(versionsOf(otherUser)), new Set(['v1']), 'another user -> v1');
    t.diagnostic(`jason: ${jason.length + signedIn.length} requests all v2; others: ${anonymous.length + otherUser.length} requests all v1`);
  });

  test('applyConfig refuses YAML that would not validate, naming file and field, and writes nothing', async () => {
    const file = join(mesh.configDir, 'reviews-vs.yaml');
    const before = readFileSync(file, 'utf8');
    await assert.rejects(applyConfig(mesh, { 'reviews-vs.yaml': reviewsWeighted(80, 30) }), /reviews-vs\.yaml:\d+: error: VirtualService default\/reviews: spec\.http\[0\]\.route/);
    assert.equal(readFileSync(file, 'utf8'), before, 'the file in the config directory is unchanged');
  });

  test('traffic shifting: 0/100, 80/20, 50/50, 100/0 (v1/v2), each step within the 99.9% binomial interval', async (t) => {
    const steps: Array<{ v1: number; v2: number; n: number }> = [
      { v1: 0, v2: 100, n: 200 },
      { v1: 80, v2: 20, n: 800 },
      { v1: 50, v2: 50, n: 800 },
      { v1: 100, v2: 0, n: 200 },
    ];
    for (const { v1, v2, n } of steps) {
      const applied = await applyConfig(mesh, { 'reviews-vs.yaml': reviewsWeighted(v1, v2) });
      const versions = versionsOf(await runConcurrently(n, 16, () => product()));
      const failed = versions.filter((v) => v !== 'v1' && v !== 'v2');
      assert.deepEqual(failed, [], `step ${v1}/${v2}: every request succeeds`);
      const v2Count = versions.filter((v) => v === 'v2').length;
      const p = v2 / 100;
      const { low, high } = binomialInterval(n, p, 0.999);
      t.diagnostic(`step ${v1}/${v2} (applied in ${applied.ms} ms): v2 served ${v2Count}/${n} = ${((100 * v2Count) / n).toFixed(1)}%; 99.9% interval ${Math.ceil(low)}..${Math.floor(high)}`);
      assert.ok(v2Count >= low && v2Count <= high, `step ${v1}/${v2}: v2 served ${v2Count} of ${n}; expected ${Math.ceil(low)}..${Math.floor(high)}`);
    }
  });

  test('mirroring: all traffic to v1, a copy of every request to v2 (Host reviews-shadow:9080), v2 latency not felt by clients', async (t) => {
    const v1 = appAdmin(mesh, 'reviews-v1');
    const v2 = appAdmin(mesh, 'reviews-v2');
    await applyConfig(mesh, { 'reviews-vs.yaml': reviewsWeighted(100, 0) });
    await Promise.all([v1.resetStats(), v2.resetStats()]);

    // Before mirroring, v2 sees nothing (the task's first step).
    const plain = await runConcurrently(50, 8, () => product());
    assert.deepEqual(new Set(versionsOf(plain)), new Set(['v1']));
    assert.equal((await v2.stats()).requests, 0, 'without a mirror rule v2 gets no traffic');

    await applyConfig(mesh, { 'reviews-vs.yaml': reviewsMirrorV2 });
    await Promise.all([v1.resetStats(), v2.resetStats()]);
    const n = 200;
    const mirrored = await runConcurrently(n, 8, () => product());
    assert.deepEqual(new Set(versionsOf(mirrored)), new Set(['v1']), 'every response comes from v1');
    const v1Stats = await v1.stats();
    assert.deepEqual(v1Stats.hosts, { 'reviews:9080': n }, 'v1 gets each request once, with the service Host');
    // Fire and forget: the copies may land a moment after the responses.
    const v2Stats = await waitFor('every mirrored copy to reach v2', async () => {
      const s = await v2.stats();
      return s.requests >= n ? s : undefined;
    }, 5_000).catch(async (error: unknown) => assert.fail(`${(error as Error).message}; v2 stats: ${JSON.stringify(await v2.stats())}`));
    t.diagnostic(`${n} requests: v1 served ${v1Stats.requests}, v2 received ${v2Stats.requests} copies, by Host ${JSON.stringify(v2Stats.hosts)}`);
    assert.deepEqual(v2Stats.hosts, { 'reviews-shadow:9080': n }, 'v2 gets one copy per request, Host with -shadow before the port');
    assert.deepEqual(v2Stats.byPath, { '/reviews/1': n });

    // A slow mirror does not slow the client: responses do not wait for the copy.
    await v2.setBehaviour({ extraLatencyMs: 2000 });
    try {
      await v2.resetStats();
      const slow = await runConcurrently(20, 4, () => timed(() => product()));
      const latencies = slow.map((r) => r.ms).sort((a, b) => a - b);
      const max = latencies.at(-1) ?? 0;
      t.diagnostic(`with v2 2 s slower: client latency median ${latencies[10]?.toFixed(0)} ms, max ${max.toFixed(0)} ms`);
      assert.deepEqual(new Set(versionsOf(slow.map((r) => r.value))), new Set(['v1']));
      assert.ok(max < 1000, `a client waited ${max.toFixed(0)} ms: the mirror's 2 s latency leaked into the response`);
      await waitFor('the slow copies to reach v2', async () => (await v2.stats()).requests >= 20, 5_000);
    } finally {
      await v2.setBehaviour({ extraLatencyMs: 0 });
    }
  });

  test("the product page's live updates: a WebSocket through the gateway and frontend's sidecar follows a routing change", async (t) => {
    await applyConfig(mesh, { 'reviews-vs.yaml': reviewsWeighted(100, 0) });
    const ws = new WebSocket(`${mesh.gateway.replace(/^http/, 'ws')}/api/live/1`);
    const seen: string[] = [];
    ws.on('message', (data) => seen.push(String((JSON.parse(data.toString()) as { reviewsVersion?: string }).reviewsVersion)));
    try {
      await waitFor('a first update, from v1', async () => (seen.includes('v1') ? true : undefined), 10_000);
      await applyConfig(mesh, { 'reviews-vs.yaml': reviewsWeighted(0, 100) });
      const at = seen.length;
      await waitFor('an update from v2 on the same socket', async () => (seen.slice(at).includes('v2') ? true : undefined), 10_000);
      assert.equal(ws.readyState, WebSocket.OPEN, 'one socket all along');
      t.diagnostic(`updates on one socket: ${seen.join(' ')}`);
    } finally {
      const closed = new Promise((resolve) => ws.once('close', resolve));
      ws.close();
      await closed;
    }
  });
});
