import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { PROPAGATED_HEADERS } from '@skiff/telemetry';
import { createApp, type ReviewsAppOptions, type ReviewsBody } from './app.js';
import { createOutboundDispatcher } from './upstream.js';
import { deadUrl, listenWithAdmin, startAppProcess, startForwardProxy, startRecorder, type AppProcess, type Listening } from './test-support.js';

async function startReviews(options: ReviewsAppOptions): Promise<Listening & { adminUrl: string }> {
  return listenWithAdmin(createApp(options));
}

async function getReviews(base: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: ReviewsBody }> {
  const res = await request(`${base}/reviews/0`, { headers });
  return { status: res.statusCode, headers: res.headers, body: (await res.body.json()) as ReviewsBody };
}

describe('reviews against a real ratings process', () => {
  let ratings: AppProcess;
  before(async () => {
    ratings = await startAppProcess('apps/ratings/src/main.ts', {});
  });
  after(() => ratings.stop());

  test('v1 lists the reviews without stars and never calls ratings', async () => {
    const spy = await startRecorder((_req, res) => res.json({ ratings: { Reviewer1: 1 } }));
    const v1 = await startReviews({ version: 'v1', ratingsUrl: spy.url });
    try {
      const { status, headers, body } = await getReviews(v1.url);
      assert.equal(status, 200);
      assert.equal(headers['x-skiff-version'], 'v1');
      assert.equal(body.version, 'v1');
      assert.deepEqual(body.reviews.map((r) => r.reviewer), ['Reviewer1', 'Reviewer2']);
      assert.ok(body.reviews.every((r) => r.rating === undefined && r.text.length > 0));
      assert.equal(spy.requests.length, 0);
    } finally {
      await Promise.all([v1.close(), spy.close()]);
    }
  });

  test('v2 adds the stars from ratings, in black', async () => {
    const v2 = await startReviews({ version: 'v2', ratingsUrl: ratings.url });
    try {
      const { status, headers, body } = await getReviews(v2.url);
      assert.equal(status, 200);
      assert.equal(headers['x-skiff-version'], 'v2');
      assert.deepEqual(body, {
        id: 0,
        version: 'v2',
        reviews: [
          { reviewer: 'Reviewer1', text: body.reviews[0]?.text, rating: { stars: 5, color: 'black' } },
          { reviewer: 'Reviewer2', text: body.reviews[1]?.text, rating: { stars: 4, color: 'black' } },
        ],
      });
    } finally {
      await v2.close();
    }
  });

  test('with SKIFF_OUTBOUND_PROXY the call to ratings is an absolute-form request to the proxy, Host ratings:9080', async () => {
    const proxy = await startForwardProxy({ 'ratings:9080': ratings.url });
    const dispatcher = createOutboundDispatcher(proxy.url);
    const v2 = await startReviews({ version: 'v2', ratingsUrl: 'http://ratings:9080', dispatcher });
    try {
      const { body } = await getReviews(v2.url, { 'x-request-id': 'via-proxy' });
      assert.equal(body.reviews[0]?.rating?.stars, 5, `stars came back through the proxy: ${JSON.stringify(body)}`);
      assert.equal(proxy.seen.length, 1);
      assert.equal(proxy.seen[0]?.requestLine, 'GET http://ratings:9080/ratings/0 HTTP/1.1');
      assert.equal(proxy.seen[0]?.host, 'ratings:9080');
      assert.equal(proxy.seen[0]?.headers['x-request-id'], 'via-proxy');
    } finally {
      await v2.close();
      await dispatcher.close();
      await proxy.close();
    }
  });
});

describe('reviews v2 when ratings fails', () => {
  test('ratings down: still 200, reviews without stars, ratingsError with status 502', async () => {
    const v2 = await startReviews({ version: 'v2', ratingsUrl: await deadUrl() });
    try {
      const { status, body } = await getReviews(v2.url);
      assert.equal(status, 200);
      assert.equal(body.reviews.length, 2);
      assert.ok(body.reviews.every((r) => r.rating === undefined));
      assert.equal(body.ratingsError?.status, 502);
      assert.match(body.ratingsError?.message ?? '', /ECONNREFUSED/);
    } finally {
      await v2.close();
    }
  });

  test('ratings answers 503: ratingsError carries that status', async () => {
    const broken = await startRecorder((_req, res) => res.status(503).send('no healthy upstream'));
    const v2 = await startReviews({ version: 'v2', ratingsUrl: broken.url });
    try {
      const { status, body } = await getReviews(v2.url);
      assert.equal(status, 200);
      assert.equal(body.ratingsError?.status, 503);
      assert.match(body.ratingsError?.message ?? '', /no healthy upstream/);
    } finally {
      await Promise.all([v2.close(), broken.close()]);
    }
  });

  test('ratings too slow: ratingsError 504 after ratingsTimeoutMs', async () => {
    const slow = await startRecorder((_req, res) => void setTimeout(() => res.json({ ratings: {} }), 1_000));
    const v2 = await startReviews({ version: 'v2', ratingsUrl: slow.url, ratingsTimeoutMs: 100 });
    try {
      const started = Date.now();
      const { status, body } = await getReviews(v2.url);
      assert.equal(status, 200);
      assert.equal(body.ratingsError?.status, 504);
      assert.ok(Date.now() - started < 900, 'answered before ratings did');
    } finally {
      await Promise.all([v2.close(), slow.close()]);
    }
  });
});

test('v2 copies exactly the trace headers (and end-user) to ratings', async () => {
  const recorder = await startRecorder((_req, res) => res.json({ ratings: { Reviewer1: 3 } }));
  const v2 = await startReviews({ version: 'v2', ratingsUrl: recorder.url });
  try {
    const sent: Record<string, string> = { 'uberctx-tenant': 'acme', authorization: 'Bearer do-not-forward', cookie: 'user=jason', 'x-custom': 'stays here' };
    for (const name of PROPAGATED_HEADERS) sent[name] = `${name}-value`;
    const { headers, body } = await getReviews(v2.url, sent);
    assert.equal(body.reviews[0]?.rating?.stars, 3);
    assert.equal(headers['x-request-id'], 'x-request-id-value');
    const received = recorder.requests[0]?.headers ?? {};
    for (const name of [...PROPAGATED_HEADERS, 'uberctx-tenant']) assert.equal(received[name], sent[name], name);
    for (const name of ['authorization', 'cookie', 'x-custom']) assert.equal(received[name], undefined, name);
  } finally {
    await Promise.all([v2.close(), recorder.close()]);
  }
});

test('a request without x-request-id gets one, echoed to the caller and passed to ratings', async () => {
  const recorder = await startRecorder((_req, res) => res.json({ ratings: {} }));
  const v2 = await startReviews({ version: 'v2', ratingsUrl: recorder.url });
  try {
    const { headers } = await getReviews(v2.url);
    assert.match(String(headers['x-request-id']), /^[0-9a-f-]{36}$/);
    assert.equal(recorder.requests[0]?.headers['x-request-id'], headers['x-request-id']);
  } finally {
    await Promise.all([v2.close(), recorder.close()]);
  }
});

describe('injected failures and latency', () => {
  test('failPercent decides with the given random source: below the share fails, at or above passes', async () => {
    const draws = [0.29, 0.3, 0.99, 0];
    const v1 = await startReviews({ version: 'v1', failPercent: 30, random: () => draws.shift() ?? 1 });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await getReviews(v1.url)).status);
      assert.deepEqual(statuses, [500, 200, 200, 500]);
    } finally {
      await v1.close();
    }
  });

  test('FAIL_PERCENT=30 fails about 30% of 2000 requests (within 5 standard deviations)', async () => {
    const n = 2000;
    const p = 0.3;
    const v1 = await startReviews({ version: 'v1', failPercent: p * 100 });
    try {
      let failures = 0;
      const concurrency = 20;
      for (let done = 0; done < n; done += concurrency) {
        const batch = await Promise.all(Array.from({ length: concurrency }, () => request(`${v1.url}/reviews/1`)));
        for (const res of batch) {
          if (res.statusCode === 500) {
            failures++;
            const body = (await res.body.json()) as { error: string };
            assert.equal(body.error, 'injected failure');
            assert.equal(res.headers['x-skiff-version'], 'v1');
          } else {
            assert.equal(res.statusCode, 200);
            await res.body.dump();
          }
        }
      }
      const expected = n * p;
      const tolerance = 5 * Math.sqrt(n * p * (1 - p)); // ≈ 102: a false alarm about once in 1.7 million runs
      assert.ok(Math.abs(failures - expected) <= tolerance, `${failures} failures, expected ${expected} ± ${tolerance.toFixed(0)}`);
    } finally {
      await v1.close();
    }
  });

  test('extraLatencyMs delays every answer by at least that long', async () => {
    const v1 = await startReviews({ version: 'v1', extraLatencyMs: 150 });
    try {
      const started = performance.now();
      assert.equal((await getReviews(v1.url)).status, 200);
      assert.ok(performance.now() - started >= 145, 'answered too early'); // timers may fire a ms early
    } finally {
      await v1.close();
    }
  });

  test('the demo controls are not on the traffic port: a caller through the mesh cannot reach them', async () => {
    const v1 = await startReviews({ version: 'v1' });
    try {
      for (const [method, path] of [['POST', '/admin/behaviour'], ['GET', '/admin/behaviour'], ['POST', '/admin/stats/reset'], ['GET', '/admin/stats']] as const) {
        const res = await request(`${v1.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? '{"failPercent":100}' : undefined });
        assert.equal(res.statusCode, 404, `${method} ${path} on the traffic port`);
        await res.body.dump();
      }
      assert.equal((await getReviews(v1.url)).status, 200, 'nothing changed');
    } finally {
      await v1.close();
    }
  });

  test('POST /admin/behaviour changes failure and latency at run time, and rejects bad input', async () => {
    const v1 = await startReviews({ version: 'v1' });
    const post = async (body: string): Promise<{ status: number; body: Record<string, unknown> }> => {
      const res = await request(`${v1.adminUrl}/admin/behaviour`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
    };
    try {
      assert.equal((await getReviews(v1.url)).status, 200);

      assert.deepEqual(await post('{"failPercent":100}'), { status: 200, body: { failPercent: 100, extraLatencyMs: 0 } });
      for (let i = 0; i < 5; i++) assert.equal((await getReviews(v1.url)).status, 500);

      assert.deepEqual(await post('{"failPercent":0,"extraLatencyMs":120}'), { status: 200, body: { failPercent: 0, extraLatencyMs: 120 } });
      const started = performance.now();
      assert.equal((await getReviews(v1.url)).status, 200);
      assert.ok(performance.now() - started >= 115);
      const current = await request(`${v1.adminUrl}/admin/behaviour`);
      assert.deepEqual(await current.body.json(), { failPercent: 0, extraLatencyMs: 120 });

      const tooHigh = await post('{"failPercent":101}');
      assert.equal(tooHigh.status, 400);
      assert.match(String(tooHigh.body.message), /failPercent must be a number from 0 to 100/);
      const typo = await post('{"failPercnt":5}');
      assert.equal(typo.status, 400);
      assert.match(String(typo.body.message), /unknown field\(s\) failPercnt/);
      const notJson = await post('{failPercent:');
      assert.equal(notJson.status, 400);
      assert.equal(notJson.body.error, 'bad request');
    } finally {
      await v1.close();
    }
  });
});

test('a bad product id is a JSON 400 and an unknown route a JSON 404, both with the version header', async () => {
  const v1 = await startReviews({ version: 'v1' });
  try {
    const bad = await request(`${v1.url}/reviews/-1`);
    assert.equal(bad.statusCode, 400);
    assert.match(((await bad.body.json()) as { message: string }).message, /non-negative integer/);
    const missing = await request(`${v1.url}/ratings/0`);
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.headers['x-skiff-version'], 'v1');
    assert.equal(((await missing.body.json()) as { error: string }).error, 'not found');
  } finally {
    await v1.close();
  }
});

test('createApp refuses an unknown version', () => {
  assert.throws(() => createApp({ version: 'v3' as 'v1' }), /version must be one of v1, v2, got "v3"/);
});
