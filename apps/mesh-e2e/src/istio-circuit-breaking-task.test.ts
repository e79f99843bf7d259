// Istio's traffic-management task "Circuit Breaking": a DestinationRule's connectionPool limits
// (Envoy's circuit breakers) and outlierDetection (ejecting a failing endpoint for a while),
// checked with Envoy's semantics through frontend's sidecar, which is where Istio enforces a
// DestinationRule: on the caller's side.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appAdmin, applyConfig, runConcurrently, sidecarClient, startTestMesh, type SidecarClient, type TestMesh, type TimedResponse } from '@skiff/testing';
import { bookinfoBaseline, reviewsAllV1, reviewsAnyVersion, reviewsCircuitBreaker, reviewsDestinationRule, reviewsOutlierDetection } from './istio-tasks.js';

const REVIEWS = 'http://reviews:9080/reviews/1';
const OVERFLOW = 'upstream connect error or disconnect/reset before headers. reset reason: overflow';

describe('Istio task: circuit breaking (connection pool limits, outlier detection)', () => {
  let mesh: TestMesh;
  let fromFrontend: SidecarClient;
  before(async () => {
    // reviews-v2 starts as the broken canary of the outlier-detection scenario.
    mesh = await startTestMesh({ config: bookinfoBaseline(), appEnv: { 'reviews-v2': { FAIL_PERCENT: '100' } } });
    fromFrontend = sidecarClient(mesh, 'frontend');
  });
  after(async () => {
    await fromFrontend?.close();
    await mesh?.stop();
  });

  test('appEnv reaches only the app it names', async () => {
    assert.deepEqual(await appAdmin(mesh, 'reviews-v2').behaviour(), { failPercent: 100, extraLatencyMs: 0 });
    assert.deepEqual(await appAdmin(mesh, 'reviews-v1').behaviour(), { failPercent: 0, extraLatencyMs: 0 });
  });

  test('connectionPool maxConnections 1 / http1MaxPendingRequests 1: a burst of 20 overflows with 503, one at a time reaches reviews', async (t) => {
    const v1 = appAdmin(mesh, 'reviews-v1');
    await applyConfig(mesh, { 'reviews-dr.yaml': reviewsCircuitBreaker, 'reviews-vs.yaml': reviewsAllV1 });
    await v1.setBehaviour({ extraLatencyMs: 300 });
    try {
      // One caller at a time stays within the limits: no request trips the breaker.
      const sequential = await runConcurrently(5, 1, () => fromFrontend.get(REVIEWS));
      assert.deepEqual(sequential.map((r) => r.status), [200, 200, 200, 200, 200], 'sequential requests all succeed');

      await v1.resetStats();
      const burst = await runConcurrently(20, 20, () => fromFrontend.get(REVIEWS));
      const ok = burst.filter((r) => r.status === 200).length;
      const overflowed = burst.filter((r) => r.status === 503 && r.text.trim() === OVERFLOW).length;
      const upstream = await v1.stats();
      t.diagnostic(`burst of 20 (v1 answers in 300 ms): ${ok} × 200, ${overflowed} × 503 overflow; v1 served ${upstream.requests}, at most ${upstream.maxInFlight} at once`);
      assert.equal(ok + overflowed, burst.length, `only 200s and overflow 503s: ${describeAnswers(burst)}`);
      assert.ok(ok >= 1, 'the requests within the limits are served');
      // 1 connection + 1 pending request are admitted while the first is served (300 ms, far
      // longer than the burst takes to arrive); Envoy rejects the rest at once.
      assert.ok(overflowed >= 10, `${overflowed} of 20 overflowed; with 1 connection and 1 pending request most of the burst must be rejected`);
      assert.equal(upstream.requests, ok, 'overflowed requests never reach reviews');
      assert.ok(upstream.maxInFlight <= 1, `reviews served ${upstream.maxInFlight} requests at once through 1 connection`);

      // The breaker is a limit, not a state: once the burst is over, requests pass again.
      const afterwards = await runConcurrently(5, 1, () => fromFrontend.get(REVIEWS));
      assert.deepEqual(afterwards.map((r) => r.status), [200, 200, 200, 200, 200], 'sequential requests succeed again after the burst');
    } finally {
      await v1.setBehaviour({ extraLatencyMs: 0 });
    }
  });

  test('outlierDetection consecutive5xxErrors 1: a failing v2 is ejected, gets no traffic, and returns after baseEjectionTime 3s', async (t) => {
    const v1 = appAdmin(mesh, 'reviews-v1');
    const v2 = appAdmin(mesh, 'reviews-v2');
    await applyConfig(mesh, { 'reviews-dr.yaml': reviewsOutlierDetection, 'reviews-vs.yaml': reviewsAnyVersion });
    await Promise.all([v1.setBehaviour({ failPercent: 0, extraLatencyMs: 0 }), v2.setBehaviour({ failPercent: 100, extraLatencyMs: 0 })]);
    await Promise.all([v1.resetStats(), v2.resetStats()]);
    try {
      // Round robin over v1 and v2: the first request to v2 fails and ejects it.
      const started = Date.now();
      const first = await timeline(20);
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 2500, `20 requests took ${elapsed} ms, longer than the ejection lasts; the check below would not be meaningful`);
      const failures = first.filter((r) => r.status !== 200);
      const v2Served = (await v2.stats()).requests;
      t.diagnostic(`first 20 requests: ${first.map((r) => (r.status === 200 ? r.version : r.status)).join(' ')} (v2 counted ${v2Served})`);
      assert.ok(failures.length >= 1, 'v2 was tried and failed (500)');
      assert.ok(failures.every((r) => r.status === 500 && r.version === 'v2'), `failures come from v2: ${JSON.stringify(failures)}`);
      assert.ok(v2Served <= 2, `v2 got ${v2Served} requests; after its first 5xx it must be ejected`);
      // Istio's default balancer (LEAST_REQUEST) picks at random between idle hosts, so v2's first
      // turn may come late (1 in 2^k to wait past request k); what follows it must all be v1.
      const firstFailure = first.findIndex((r) => r.status !== 200);
      assert.ok(first.slice(firstFailure + 1).every((r) => r.status === 200 && r.version === 'v1'), 'once v2 is ejected, v1 serves everything');
      const ejectedAt = (failures.at(-1) as Answer).at;

      // v2 recovers, but stays ejected for baseEjectionTime (3 s); then it gets traffic again.
      await v2.setBehaviour({ failPercent: 0 });
      const seen: Answer[] = [];
      let back: Answer | undefined;
      while (!back && Date.now() - ejectedAt < 8000) {
        const answer = (await timeline(1))[0] as Answer;
        seen.push(answer);
        if (answer.version === 'v2') back = answer;
        else await new Promise((r) => setTimeout(r, 50));
      }
      const during = seen.filter((a) => a !== back);
      t.diagnostic(`v2 ejected at +0 ms; ${during.length} requests while ejected, all ${[...new Set(during.map((a) => `${a.status} ${a.version}`))].join(', ')}; v2 back after ${back ? back.at - ejectedAt : 'never (8 s)'} ms`);
      assert.ok(during.every((a) => a.status === 200 && a.version === 'v1'), 'while v2 is ejected, only v1 answers');
      assert.ok(back, 'v2 receives traffic again after the ejection time');
      const backAfter = back.at - ejectedAt;
      // Envoy un-ejects at the first interval (1 s) sweep after baseEjectionTime: 3..4 s, plus our polling.
      assert.ok(backAfter >= 2900, `v2 came back after ${backAfter} ms; baseEjectionTime is 3 s`);
      assert.ok(backAfter <= 5500, `v2 came back only after ${backAfter} ms; expected by 3 s + 1 s interval`);
      assert.equal(back.status, 200);
    } finally {
      await v2.setBehaviour({ failPercent: 0 });
      await applyConfig(mesh, { 'reviews-dr.yaml': reviewsDestinationRule, 'reviews-vs.yaml': reviewsAllV1 });
    }
  });

  interface Answer {
    status: number;
    version: string | undefined;
    at: number;
  }

  /** `n` sequential requests to reviews through frontend's sidecar: who answered, with what, when. */
  async function timeline(n: number): Promise<Answer[]> {
    const answers: Answer[] = [];
    for (let i = 0; i < n; i++) {
      const res = await fromFrontend.get(REVIEWS);
      const version = res.headers['x-skiff-version'];
      answers.push({ status: res.status, version: typeof version === 'string' ? version : undefined, at: Date.now() });
    }
    return answers;
  }
});

function describeAnswers(answers: TimedResponse[]): string {
  const counts = new Map<string, number>();
  for (const a of answers) {
    const key = `${a.status} ${a.text.trim().slice(0, 80)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return JSON.stringify(Object.fromEntries(counts));
}
