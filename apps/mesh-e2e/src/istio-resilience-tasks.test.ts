// Istio's traffic-management tasks "Fault Injection" and "Request Timeouts", and retries (the
// concepts page's example), against the whole local mesh with each task's own YAML. Calls that
// must show the proxy's raw answer go through frontend's sidecar (as frontend's own calls do);
// the rest enter at the gateway like the tasks' browser.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appAdmin, applyConfig, binomialInterval, getJson, runConcurrently, sidecarClient, startTestMesh, timed, zFor, type SidecarClient, type TestMesh } from '@skiff/testing';
import type { Product } from './fixtures.js';
import { bookinfoBaseline, ratingsAllV1, ratingsTestAbort, ratingsTestDelay, reviewsAbort, reviewsAllV1, reviewsTestV2, reviewsV2Retries, reviewsV2Timeout } from './istio-tasks.js';

const REVIEWS = 'http://reviews:9080/reviews/1';
const RATINGS = 'http://ratings:9080/ratings/1';

/**
 * How late a timed answer may be: fixed slack for the hops through Node processes, plus twice
 * the median latency of the same call without the fault, so that a loaded 2-core machine does
 * not fail the test while a delay applied twice (or a timeout not applied) still does.
 */
function slackMs(baseline: number[]): number {
  const sorted = [...baseline].sort((a, b) => a - b);
  return Math.round(500 + 2 * (sorted[Math.floor(sorted.length / 2)] ?? 0));
}

interface FrontendError {
  error?: string;
  upstream?: { service: string; status: number };
}

describe('Istio tasks: fault injection, request timeouts, retries', () => {
  let mesh: TestMesh;
  let fromFrontend: SidecarClient;
  let fromReviewsV2: SidecarClient;
  before(async () => {
    mesh = await startTestMesh({ config: bookinfoBaseline() });
    fromFrontend = sidecarClient(mesh, 'frontend');
    fromReviewsV2 = sidecarClient(mesh, 'reviews-v2');
  });
  after(async () => {
    await fromFrontend?.close();
    await fromReviewsV2?.close();
    await mesh?.stop();
  });

  const product = (headers: Record<string, string> = {}) => getJson<Product & FrontendError>(`${mesh.gateway}/api/product/1`, headers);

  test('fault injection: a 1 s delay on ratings for jason delays his page by 1 s, and only his', async (t) => {
    // Jason's path without the fault first: it warms every hop, and is the baseline latency.
    await applyConfig(mesh, { 'reviews-vs.yaml': reviewsTestV2, 'ratings-vs.yaml': ratingsAllV1 });
    const baseline = await runConcurrently(10, 1, () => timed(() => product({ 'end-user': 'jason' })));
    assert.ok(baseline.every((r) => r.value.status === 200 && r.value.body.reviewsVersion === 'v2'));
    await applyConfig(mesh, { 'ratings-vs.yaml': ratingsTestDelay('1s') });

    const slack = slackMs(baseline.map((r) => r.ms));

    const jason = await runConcurrently(4, 2, () => timed(() => product({ 'end-user': 'jason' })));
    const ms = jason.map((r) => r.ms);
    t.diagnostic(`jason's page through gateway -> frontend -> reviews v2 -> ratings: without the fault ${baseline.map((r) => r.ms.toFixed(0)).join(', ')} ms; with it ${ms.map((m) => m.toFixed(0)).join(', ')} ms (allowed 1000..${1000 + slack})`);
    for (const { value, ms: took } of jason) {
      assert.equal(value.status, 200, JSON.stringify(value.body));
      assert.equal(value.body.reviewsVersion, 'v2');
      assert.ok(value.body.reviews?.reviews?.every((r) => typeof r.rating?.stars === 'number'), 'within reviews\' 10 s timeout the stars still arrive');
      assert.ok(took >= 1000 && took < 1000 + slack, `jason's page took ${took.toFixed(0)} ms; expected 1000..${1000 + slack}`);
    }

    // At the ratings hop itself: the match is on end-user, other callers are not delayed.
    const delayed = await fromReviewsV2.get(RATINGS, { 'end-user': 'jason' });
    const prompt = await fromReviewsV2.get(RATINGS, { 'end-user': 'ben' });
    t.diagnostic(`reviews-v2 -> ratings: jason ${delayed.ms.toFixed(0)} ms, ben ${prompt.ms.toFixed(0)} ms`);
    assert.equal(delayed.status, 200);
    assert.ok(delayed.ms >= 1000 && delayed.ms < 1000 + slack, `delayed call took ${delayed.ms.toFixed(0)} ms; expected 1000..${1000 + slack}`);
    assert.equal(prompt.status, 200);
    assert.ok(prompt.ms < slack, `a call without the fault took ${prompt.ms.toFixed(0)} ms`);
  });

  test('fault injection: a delay longer than frontend\'s 3 s reviews timeout breaks jason\'s page (the task\'s finding)', async (t) => {
    await applyConfig(mesh, { 'reviews-vs.yaml': reviewsTestV2, 'ratings-vs.yaml': ratingsAllV1 });
    const slack = slackMs((await runConcurrently(5, 1, () => timed(() => product({ 'end-user': 'jason' })))).map((r) => r.ms));
    await applyConfig(mesh, { 'ratings-vs.yaml': ratingsTestDelay('4s') });
    const { value: res, ms } = await timed(() => product({ 'end-user': 'jason' }));
    t.diagnostic(`jason's page: ${res.status} after ${ms.toFixed(0)} ms: ${JSON.stringify(res.body.upstream)}`);
    assert.equal(res.status, 502);
    assert.deepEqual(res.body.upstream, { service: 'reviews', status: 504 }, 'frontend gave up on reviews, which was still waiting for ratings');
    assert.ok(ms >= 3000 && ms < 3000 + slack, `took ${ms.toFixed(0)} ms; frontend waits 3 s for reviews (allowed up to ${3000 + slack})`);
  });

  test('fault injection: an HTTP abort (500) on ratings for jason reaches reviews v2, which shows no stars', async () => {
    await applyConfig(mesh, { 'reviews-vs.yaml': reviewsTestV2, 'ratings-vs.yaml': ratingsTestAbort });
    const jason = await product({ 'end-user': 'jason' });
    assert.equal(jason.status, 200, JSON.stringify(jason.body));
    assert.equal(jason.body.reviewsVersion, 'v2');
    const reviews = jason.body.reviews as { ratingsError?: { status: number }; reviews?: Array<{ rating?: unknown }> };
    assert.equal(reviews.ratingsError?.status, 500, `reviews v2 saw ratings' 500: ${JSON.stringify(reviews)}`);
    assert.ok(reviews.reviews?.every((r) => r.rating === undefined), 'no stars');
    const raw = await fromReviewsV2.get(RATINGS, { 'end-user': 'jason' });
    assert.equal(raw.status, 500);
    assert.equal(raw.text, 'fault filter abort');
    assert.equal((await fromReviewsV2.get(RATINGS, { 'end-user': 'ben' })).status, 200, 'others are not aborted');
  });

  test('fault injection: abort 500 at 50% aborts a share within the 99.9% binomial interval, before reaching the upstream', async (t) => {
    const v1 = appAdmin(mesh, 'reviews-v1');
    await applyConfig(mesh, { 'reviews-vs.yaml': reviewsAbort(50, 500), 'ratings-vs.yaml': ratingsAllV1 });
    await v1.resetStats();
    const n = 400;
    const results = await runConcurrently(n, 8, () => fromFrontend.get(REVIEWS));
    const aborted = results.filter((r) => r.status === 500 && r.text === 'fault filter abort').length;
    const served = results.filter((r) => r.status === 200 && r.headers['x-skiff-version'] === 'v1').length;
    const { low, high } = binomialInterval(n, 0.5, 0.999);
    const upstream = await v1.stats();
    t.diagnostic(`${aborted}/${n} aborted (99.9% interval ${Math.ceil(low)}..${Math.floor(high)}), ${served} served by v1; v1 counted ${upstream.requests}`);
    assert.equal(aborted + served, n, `only aborts and v1 answers: ${JSON.stringify([...new Set(results.map((r) => `${r.status} ${r.text.slice(0, 60)}`))])}`);
    assert.ok(aborted >= low && aborted <= high, `${aborted} of ${n} aborted; expected ${Math.ceil(low)}..${Math.floor(high)}`);
    assert.equal(upstream.requests, served, 'aborted requests never reach the upstream');

    // The same status reaches the browser's caller through frontend (which reports reviews' 500).
    const page = await runConcurrently(40, 8, () => product());
    const failedPages = page.filter((r) => r.status === 502 && r.body.upstream?.status === 500).length;
    assert.equal(failedPages + page.filter((r) => r.status === 200).length, page.length);
    assert.ok(failedPages > 0 && failedPages < page.length, `${failedPages} of ${page.length} pages reported the abort`);
  });

  test('request timeouts: reviews v2 answering in 2 s with a 0.5s route timeout gives 504 after about 0.5 s', async (t) => {
    const v2 = appAdmin(mesh, 'reviews-v2');
    await applyConfig(mesh, { 'reviews-vs.yaml': reviewsV2Timeout('0.5s'), 'ratings-vs.yaml': ratingsAllV1 });
    const slack = slackMs((await runConcurrently(5, 1, () => timed(() => product()))).map((r) => r.ms));
    await v2.setBehaviour({ extraLatencyMs: 2000 });
    try {
      const raw = await runConcurrently(5, 5, () => fromFrontend.get(REVIEWS));
      t.diagnostic(`frontend's sidecar -> reviews: ${raw.map((r) => `${r.status} in ${r.ms.toFixed(0)} ms`).join(', ')}`);
      for (const r of raw) {
        assert.equal(r.status, 504);
        assert.equal(r.text.trim(), 'upstream request timeout');
        assert.ok(r.ms >= 500 && r.ms < 500 + slack, `timed out after ${r.ms.toFixed(0)} ms; expected 500..${500 + slack}`);
      }
      // The task's view: the page comes back quickly, saying reviews is unavailable.
      const { value: page, ms } = await timed(() => product());
      t.diagnostic(`page through the gateway: ${page.status} in ${ms.toFixed(0)} ms, ${JSON.stringify(page.body.upstream)}`);
      assert.equal(page.status, 502);
      assert.deepEqual(page.body.upstream, { service: 'reviews', status: 504 });
      assert.ok(ms >= 500 && ms < 500 + slack, `page took ${ms.toFixed(0)} ms; expected 500..${500 + slack}`);
    } finally {
      await v2.setBehaviour({ extraLatencyMs: 0 });
    }
    // Without the timeout, the same slow v2 answers (the timeout, not the latency, made the 504).
    await applyConfig(mesh, { 'reviews-vs.yaml': reviewsV2Timeout('5s') });
    const fine = await fromFrontend.get(REVIEWS);
    assert.equal(fine.status, 200);
  });

  test('retries: attempts 3 on 5xx against a 50%-failing v2 succeed 1 - 0.5^4 of the time, and the upstream counts the attempts', async (t) => {
    const v2 = appAdmin(mesh, 'reviews-v2');
    await applyConfig(mesh, { 'reviews-vs.yaml': reviewsV2Retries(3), 'ratings-vs.yaml': ratingsAllV1 });
    await v2.setBehaviour({ failPercent: 50 });
    try {
      await v2.resetStats();
      const n = 400;
      const results = await runConcurrently(n, 8, () => fromFrontend.get(REVIEWS));
      const ok = results.filter((r) => r.status === 200).length;
      const failed = results.filter((r) => r.status === 500 && r.text.includes('injected failure')).length;
      assert.equal(ok + failed, n, `only 200s and v2's own 500s: ${JSON.stringify([...new Set(results.map((r) => `${r.status} ${r.text.slice(0, 60)}`))])}`);
      // Each try fails independently with q = 0.5; 1 try + 3 retries all fail with q^4.
      const q = 0.5;
      const pSuccess = 1 - q ** 4;
      const { low, high } = binomialInterval(n, pSuccess, 0.999);
      // Tries per request: 1 + q + q^2 + q^3 on average (truncated geometric); its variance for the interval.
      const tries = [1, 2, 3, 4];
      const pTries = [1 - q, q * (1 - q), q ** 2 * (1 - q), q ** 3];
      const mean = tries.reduce((s, k, i) => s + k * (pTries[i] as number), 0);
      const variance = tries.reduce((s, k, i) => s + k * k * (pTries[i] as number), 0) - mean * mean;
      const attemptsLow = n * mean - zFor(0.999) * Math.sqrt(n * variance);
      const attemptsHigh = n * mean + zFor(0.999) * Math.sqrt(n * variance);
      const upstream = (await v2.stats()).requests;
      t.diagnostic(`success ${ok}/${n} = ${((100 * ok) / n).toFixed(1)}% (expected ${(100 * pSuccess).toFixed(2)}%, interval ${Math.ceil(low)}..${Math.floor(high)}); v2 saw ${upstream} attempts (expected ${(n * mean).toFixed(0)}, interval ${Math.ceil(attemptsLow)}..${Math.floor(attemptsHigh)})`);
      assert.ok(ok >= low && ok <= high, `${ok} of ${n} succeeded; expected ${Math.ceil(low)}..${Math.floor(high)}`);
      assert.ok(upstream > n, `v2 saw ${upstream} requests for ${n} client requests: no retries happened`);
      assert.ok(upstream >= attemptsLow && upstream <= attemptsHigh, `v2 saw ${upstream} attempts; expected ${Math.ceil(attemptsLow)}..${Math.floor(attemptsHigh)}`);

      // attempts: 0 turns retries off: the failure rate is v2's own, and each request is tried once.
      await applyConfig(mesh, { 'reviews-vs.yaml': reviewsV2Retries(0) });
      await v2.resetStats();
      const once = await runConcurrently(n, 8, () => fromFrontend.get(REVIEWS));
      const failedOnce = once.filter((r) => r.status === 500).length;
      const half = binomialInterval(n, q, 0.999);
      const upstreamOnce = (await v2.stats()).requests;
      t.diagnostic(`attempts 0: ${failedOnce}/${n} failed (interval ${Math.ceil(half.low)}..${Math.floor(half.high)}); v2 saw ${upstreamOnce}`);
      assert.equal(failedOnce + once.filter((r) => r.status === 200).length, n);
      assert.ok(failedOnce >= half.low && failedOnce <= half.high, `${failedOnce} of ${n} failed; expected ${Math.ceil(half.low)}..${Math.floor(half.high)}`);
      assert.equal(upstreamOnce, n, 'no retries: one upstream request per client request');
    } finally {
      await v2.setBehaviour({ failPercent: 0 });
      await applyConfig(mesh, { 'reviews-vs.yaml': reviewsAllV1 });
    }
  });
});
