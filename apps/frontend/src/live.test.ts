import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { pino } from 'pino';
import WebSocket from 'ws';
import { createApp } from './app.js';
import { attachLiveUpdates } from './live.js';
import { createOutboundDispatcher } from './upstream.js';
import { listen, startRecorder } from './test-support.js';

/** A reviews stand-in whose version the test flips, as a routing change would. */
async function startReviews() {
  const state = { version: 'v1' };
  const reviews = await startRecorder((req, res) => res.json({ id: 1, version: state.version, reviews: [{ reviewer: 'Reviewer1', text: 'x', ...(state.version === 'v2' ? { rating: { stars: 5, color: 'black' } } : {}) }] }));
  return { reviews, state };
}

async function startFrontend(reviewsUrl: string, options: { maxClients?: number } = {}) {
  const dispatcher = createOutboundDispatcher();
  const frontend = await listen(createApp({ reviewsUrl, dispatcher }));
  const live = attachLiveUpdates(frontend.server, { client: { reviewsUrl, dispatcher, timeoutMs: 1_000 }, logger: pino({ level: 'silent' }), everyMs: 50, ...options });
  return {
    frontend,
    async close() {
      live.close();
      await frontend.close();
      await dispatcher.close();
    },
  };
}

/** The next `n` messages of a socket, parsed. */
function messages(ws: WebSocket, n: number): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    const got: Array<Record<string, unknown>> = [];
    const onMessage = (data: WebSocket.RawData) => {
      got.push(JSON.parse(data.toString()) as Record<string, unknown>);
      if (got.length === n) {
        ws.off('message', onMessage);
        resolve(got);
      }
    };
    ws.on('message', onMessage);
    ws.once('error', reject);
  });
}

/** The status an upgrade is refused with. */
function refusal(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => reject(new Error(`${url} was accepted`)));
    ws.once('error', () => undefined);
  });
}

describe('live updates over a WebSocket (/api/live/{id})', () => {
  test('each update asks reviews again, with an id of its own and the user from the cookie, so a change shows without a reload', async () => {
    const { reviews, state } = await startReviews();
    const app = await startFrontend(reviews.url);
    const ws = new WebSocket(`ws://127.0.0.1:${app.frontend.port}/api/live/1`, { headers: { cookie: 'user=jason' } });
    try {
      const [first] = await messages(ws, 1);
      assert.equal(first?.['status'], 200);
      assert.equal(first?.['reviewsVersion'], 'v1');
      state.version = 'v2';
      const later = await messages(ws, 3);
      assert.equal(later.at(-1)?.['reviewsVersion'], 'v2', 'the flip shows in a later update');
      const asked = reviews.requests.filter((r) => r.url === '/reviews/1');
      assert.ok(asked.length >= 4, `one call to reviews per update (${asked.length})`);
      assert.ok(asked.every((r) => r.headers['end-user'] === 'jason'), 'the signed-in user goes along, as on the page');
      assert.equal(new Set(asked.map((r) => r.headers['x-request-id'])).size, asked.length, 'every update has its own request id');
    } finally {
      ws.close();
      await app.close();
      await reviews.close();
    }
  });

  test('reviews down: updates say so with its status; the socket stays open', async () => {
    const app = await startFrontend('http://127.0.0.1:1');
    const ws = new WebSocket(`ws://127.0.0.1:${app.frontend.port}/api/live/0`);
    try {
      const [update] = await messages(ws, 1);
      assert.equal(update?.['status'], 502);
      assert.deepEqual((update?.['upstream'] as { service: string }).service, 'reviews');
    } finally {
      ws.close();
      await app.close();
    }
  });

  test('wrong path 404, bad id 400, and past maxClients 503; a closed page stops its updates', async () => {
    const { reviews } = await startReviews();
    const app = await startFrontend(reviews.url, { maxClients: 1 });
    const base = `ws://127.0.0.1:${app.frontend.port}`;
    try {
      assert.equal(await refusal(`${base}/api/elsewhere`), 404);
      assert.equal(await refusal(`${base}/api/live/abc`), 400);
      const first = new WebSocket(`${base}/api/live/1`);
      await messages(first, 1);
      assert.equal(await refusal(`${base}/api/live/1`), 503);
      first.close();
      await once(first, 'close');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const before = reviews.requests.length;
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(reviews.requests.length, before, 'no more calls to reviews once the page is gone');
      const again = new WebSocket(`${base}/api/live/1`);
      await messages(again, 1);
      again.close();
    } finally {
      await app.close();
      await reviews.close();
    }
  });
});
