import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { PROPAGATED_HEADERS } from '@skiff/telemetry';
import { createApp, type FrontendAppOptions } from './app.js';
import { createOutboundDispatcher } from './upstream.js';
import { deadUrl, listen, startAppProcess, startForwardProxy, startRecorder, type AppProcess, type Listening } from './test-support.js';

const TRACE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

async function startFrontend(options: FrontendAppOptions): Promise<Listening> {
  return listen(createApp(options));
}

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  const res = await request(url, { headers });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

interface ProductJson {
  id: number;
  title: string;
  reviews: { version: string; reviews: { reviewer: string; rating?: { stars: number; color: string } }[]; ratingsError?: { status: number } };
  reviewsVersion: string;
  requestId: string;
}

describe('frontend -> reviews -> ratings, each a real process', () => {
  let ratings: AppProcess;
  let reviewsV1: AppProcess;
  let reviewsV2: AppProcess;
  before(async () => {
    ratings = await startAppProcess('apps/ratings/src/main.ts', {});
    [reviewsV1, reviewsV2] = await Promise.all([
      startAppProcess('apps/reviews/src/main.ts', { SERVICE_VERSION: 'v1' }),
      startAppProcess('apps/reviews/src/main.ts', { SERVICE_VERSION: 'v2', RATINGS_URL: ratings.url }),
    ]);
  });
  after(() => Promise.all([reviewsV1.stop(), reviewsV2.stop(), ratings.stop()]));

  test('GET /api/product/:id returns the title, the reviews JSON, the version that answered and the request id', async () => {
    const frontend = await startFrontend({ reviewsUrl: reviewsV2.url });
    try {
      const res = await get(`${frontend.url}/api/product/0`, { 'x-request-id': 'chain-1' });
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-request-id'], 'chain-1');
      const body = JSON.parse(res.text) as ProductJson;
      assert.equal(body.id, 0);
      assert.equal(body.title, 'The Comedy of Errors');
      assert.equal(body.reviewsVersion, 'v2');
      assert.equal(body.requestId, 'chain-1');
      assert.equal(body.reviews.version, 'v2');
      assert.deepEqual(body.reviews.reviews.map((r) => r.rating), [{ stars: 5, color: 'black' }, { stars: 4, color: 'black' }]);
    } finally {
      await frontend.close();
    }
  });

  test('GET / shows the reviews version badge, the stars from ratings and the x-request-id', async () => {
    const frontend = await startFrontend({ reviewsUrl: reviewsV2.url });
    try {
      const res = await get(`${frontend.url}/`, { 'x-request-id': 'page-1' });
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /text\/html/);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.match(res.text, /<h1 data-testid="title">The Comedy of Errors<\/h1>/);
      assert.match(res.text, /<span class="badge" data-testid="reviews-version">reviews v2<\/span>/);
      assert.match(res.text, /data-stars="5" style="color:black" aria-label="5 of 5 stars">★★★★★</);
      assert.match(res.text, /data-stars="4" style="color:black" aria-label="4 of 5 stars">★★★★☆</);
      assert.match(res.text, /<code data-testid="request-id">page-1<\/code>/);
    } finally {
      await frontend.close();
    }
  });

  test('with reviews v1 the page shows "reviews v1" and no stars; /productpage is the same page', async () => {
    const frontend = await startFrontend({ reviewsUrl: reviewsV1.url });
    try {
      for (const path of ['/', '/productpage']) {
        const res = await get(`${frontend.url}${path}`);
        assert.equal(res.status, 200);
        assert.match(res.text, /data-testid="reviews-version">reviews v1</);
        assert.match(res.text, /Reviewer1/);
        assert.doesNotMatch(res.text, /★/);
      }
    } finally {
      await frontend.close();
    }
  });

  test('through SKIFF_OUTBOUND_PROXY both hops are absolute-form requests with the mesh Host, and one trace', async () => {
    const names: Record<string, string> = { 'ratings:9080': ratings.url };
    const proxy = await startForwardProxy(names);
    // reviews' HTTP/JSON call to ratings: this forward proxy reads absolute-form HTTP/1.1 (the gRPC
    // call through a sidecar is covered by the mesh tests).
    const reviews = await startAppProcess('apps/reviews/src/main.ts', { SERVICE_VERSION: 'v2', SKIFF_OUTBOUND_PROXY: proxy.url, RATINGS_PROTOCOL: 'http' });
    names['reviews:9080'] = reviews.url;
    const dispatcher = createOutboundDispatcher(proxy.url);
    const frontend = await startFrontend({ dispatcher }); // default REVIEWS_URL http://reviews:9080
    try {
      const res = await get(`${frontend.url}/api/product/2`, { 'x-request-id': 'mesh-1', traceparent: TRACE, 'end-user': 'jason' });
      assert.equal(res.status, 200, res.text);
      const body = JSON.parse(res.text) as ProductJson;
      assert.equal(body.title, 'Twelfth Night');
      assert.equal(body.reviews.reviews[0]?.rating?.stars, 5);

      assert.deepEqual(
        proxy.seen.map((s) => [s.requestLine, s.host]),
        [
          ['GET http://reviews:9080/reviews/2 HTTP/1.1', 'reviews:9080'],
          ['GET http://ratings:9080/ratings/2 HTTP/1.1', 'ratings:9080'],
        ],
      );
      for (const hop of proxy.seen) {
        assert.equal(hop.headers['x-request-id'], 'mesh-1');
        assert.equal(hop.headers.traceparent, TRACE);
        assert.equal(hop.headers['end-user'], 'jason');
      }
    } finally {
      await frontend.close();
      await dispatcher.close();
      await reviews.stop();
      await proxy.close();
    }
  });

  test('reviews v2 without ratings: the page says ratings are unavailable and still lists the reviews', async () => {
    const lonely = await startAppProcess('apps/reviews/src/main.ts', { SERVICE_VERSION: 'v2', RATINGS_URL: await deadUrl() });
    const frontend = await startFrontend({ reviewsUrl: lonely.url });
    try {
      const res = await get(`${frontend.url}/`);
      assert.equal(res.status, 200);
      assert.match(res.text, /reviews v2/);
      // gRPC UNAVAILABLE (nothing listens), as HTTP 503.
      assert.match(res.text, /data-testid="ratings-error">ratings unavailable \(status 503\)</);
      assert.match(res.text, /Reviewer2/);
    } finally {
      await frontend.close();
      await lonely.stop();
    }
  });
});

describe('what frontend sends to reviews', () => {
  let recorder: Awaited<ReturnType<typeof startRecorder>>;
  let frontend: Listening;
  before(async () => {
    recorder = await startRecorder((_req, res) => res.set('x-skiff-version', 'v1').json({ id: 0, version: 'v1', reviews: [] }));
    frontend = await startFrontend({ reviewsUrl: recorder.url });
  });
  after(() => Promise.all([frontend.close(), recorder.close()]));

  async function forwardedHeaders(path: string, headers: Record<string, string>): Promise<Record<string, unknown>> {
    const before = recorder.requests.length;
    const res = await get(`${frontend.url}${path}`, headers);
    assert.equal(res.status, 200, res.text);
    assert.equal(recorder.requests.length, before + 1);
    return recorder.requests[before]?.headers ?? {};
  }

  test('copies exactly the trace headers, and nothing private', async () => {
    const sent: Record<string, string> = { 'uberctx-tenant': 'acme', authorization: 'Bearer secret', cookie: 'theme=dark', 'x-custom': 'mine' };
    for (const name of PROPAGATED_HEADERS) sent[name] = `${name}-value`;
    sent['end-user'] = 'jason';
    const received = await forwardedHeaders('/api/product/0', sent);
    assert.equal(recorder.requests.at(-1)?.url, '/reviews/0');
    for (const name of [...PROPAGATED_HEADERS, 'uberctx-tenant']) assert.equal(received[name], sent[name], name);
    for (const name of ['authorization', 'cookie', 'x-custom']) assert.equal(received[name], undefined, name);
  });

  test('a request without x-request-id gets one, shown to the caller and sent to reviews', async () => {
    const res = await get(`${frontend.url}/api/product/0`);
    const body = JSON.parse(res.text) as ProductJson;
    assert.match(body.requestId, /^[0-9a-f-]{36}$/);
    assert.equal(res.headers['x-request-id'], body.requestId);
    assert.equal(recorder.requests.at(-1)?.headers['x-request-id'], body.requestId);
  });

  test('end-user comes from the end-user header, else the user cookie, else ?user=', async () => {
    assert.equal((await forwardedHeaders('/?user=query', { 'end-user': 'header', cookie: 'a=b; user=cookie' }))['end-user'], 'header');
    assert.equal((await forwardedHeaders('/?user=query', { cookie: 'a=b; user=cookie' }))['end-user'], 'cookie');
    assert.equal((await forwardedHeaders('/?user=query', { cookie: 'a=b' }))['end-user'], 'query');
    assert.equal((await forwardedHeaders('/', {}))['end-user'], undefined);
  });

  test('a user name that is not a plain name is ignored rather than forwarded', async () => {
    assert.equal((await forwardedHeaders('/', { 'end-user': 'jason smith' }))['end-user'], undefined);
    assert.equal((await forwardedHeaders(`/?user=${encodeURIComponent('<b>x</b>')}`, {}))['end-user'], undefined);
  });

  test('the page shows the signed-in user', async () => {
    const res = await get(`${frontend.url}/`, { cookie: 'user=jason' });
    assert.match(res.text, /signed in as <b>jason<\/b>/);
  });
});

describe('when reviews fails, frontend still answers', () => {
  test('reviews down: /api/product is a 502 JSON with details, the page is a 200 that says so', async () => {
    const frontend = await startFrontend({ reviewsUrl: await deadUrl() });
    try {
      const api = await get(`${frontend.url}/api/product/0`, { 'x-request-id': 'down-1' });
      assert.equal(api.status, 502);
      const body = JSON.parse(api.text) as { error: string; message: string; requestId: string; title: string; upstream: { service: string; status: number } };
      assert.equal(body.error, 'reviews unavailable');
      assert.deepEqual(body.upstream, { service: 'reviews', status: 502 });
      assert.equal(body.requestId, 'down-1');
      assert.equal(body.title, 'The Comedy of Errors');
      assert.match(body.message, /ECONNREFUSED/);

      const page = await get(`${frontend.url}/`);
      assert.equal(page.status, 200);
      assert.match(page.text, /data-testid="reviews-error">reviews unavailable \(status 502\)</);
      assert.match(page.text, /The Comedy of Errors/);
    } finally {
      await frontend.close();
    }
  });

  test('reviews answers 500: the upstream status is reported', async () => {
    const failing = await startRecorder((_req, res) => res.status(500).json({ error: 'injected failure' }));
    const frontend = await startFrontend({ reviewsUrl: failing.url });
    try {
      const api = await get(`${frontend.url}/api/product/0`);
      assert.equal(api.status, 502);
      assert.equal((JSON.parse(api.text) as { upstream: { status: number } }).upstream.status, 500);
      const page = await get(`${frontend.url}/`);
      assert.equal(page.status, 200);
      assert.match(page.text, /reviews unavailable \(status 500\)/);
      assert.match(page.text, /injected failure/);
    } finally {
      await Promise.all([frontend.close(), failing.close()]);
    }
  });

  test('reviews too slow: 504 after reviewsTimeoutMs', async () => {
    const slow = await startRecorder((_req, res) => void setTimeout(() => res.json({ reviews: [] }), 1_000));
    const frontend = await startFrontend({ reviewsUrl: slow.url, reviewsTimeoutMs: 100 });
    try {
      const started = Date.now();
      const api = await get(`${frontend.url}/api/product/0`);
      assert.equal(api.status, 502);
      assert.equal((JSON.parse(api.text) as { upstream: { status: number } }).upstream.status, 504);
      assert.ok(Date.now() - started < 900);
    } finally {
      await Promise.all([frontend.close(), slow.close()]);
    }
  });

  test('reviews answers 200 with something that is not JSON: treated as a failure, not a crash', async () => {
    const odd = await startRecorder((_req, res) => res.type('html').send('<html>maintenance</html>'));
    const frontend = await startFrontend({ reviewsUrl: odd.url });
    try {
      const api = await get(`${frontend.url}/api/product/0`);
      assert.equal(api.status, 502);
      assert.match(api.text, /not with JSON/);
      assert.equal((await get(`${frontend.url}/`)).status, 200);
    } finally {
      await Promise.all([frontend.close(), odd.close()]);
    }
  });
});

test('the page escapes whatever reviews sends', async () => {
  const hostile = await startRecorder((_req, res) =>
    res.json({ version: '<i>v9</i>', reviews: [{ reviewer: '<script>alert(1)</script>', text: '"><img src=x onerror=alert(2)>', rating: { stars: 99, color: 'red;background:url(x)' } }] }),
  );
  const frontend = await startFrontend({ reviewsUrl: hostile.url });
  try {
    const page = await get(`${frontend.url}/`);
    assert.doesNotMatch(page.text, /<script>alert|<img src=x|<i>v9/);
    assert.match(page.text, /&#60;script&#62;alert\(1\)&#60;\/script&#62;/);
    assert.match(page.text, /data-stars="5" style="color:black"/);
  } finally {
    await Promise.all([frontend.close(), hostile.close()]);
  }
});

test('/login remembers the user in a cookie, /logout forgets it, bad names are refused', async () => {
  const frontend = await startFrontend({ reviewsUrl: await deadUrl() });
  try {
    const login = await request(`${frontend.url}/login?user=jason`);
    await login.body.dump();
    assert.equal(login.statusCode, 303);
    assert.equal(login.headers.location, '/');
    assert.match(String(login.headers['set-cookie']), /^user=jason; Path=\/; HttpOnly; SameSite=Lax$/);

    const logout = await request(`${frontend.url}/logout`);
    await logout.body.dump();
    assert.equal(logout.statusCode, 303);
    assert.match(String(logout.headers['set-cookie']), /^user=; Path=\/; Expires=Thu, 01 Jan 1970/);

    const bad = await get(`${frontend.url}/login?user=${encodeURIComponent('a b')}`);
    assert.equal(bad.status, 400);
    assert.match(bad.text, /user must be 1-64 letters/);
  } finally {
    await frontend.close();
  }
});

test('bad product ids are JSON 400s and unknown routes JSON 404s', async () => {
  const frontend = await startFrontend({ reviewsUrl: await deadUrl() });
  try {
    const bad = await get(`${frontend.url}/api/product/x1`);
    assert.equal(bad.status, 400);
    assert.match(bad.text, /product id must be a non-negative integer, got \\"x1\\"/);
    const missing = await get(`${frontend.url}/nowhere`);
    assert.equal(missing.status, 404);
    assert.equal((JSON.parse(missing.text) as { message: string }).message, 'frontend has no route for GET /nowhere');
  } finally {
    await frontend.close();
  }
});
