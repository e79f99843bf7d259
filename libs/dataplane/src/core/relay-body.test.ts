import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Pool } from 'undici';
import { ClientGoneError, relayBody } from './relay-body.js';

// Real sockets end to end: a client -> a relaying server (undici pool, one connection) -> an upstream.
const LARGE = Buffer.alloc(4 * 1024 * 1024, 'x');

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function get(url: string, onResponse?: (res: IncomingMessage) => void): Promise<{ status: number; body: Buffer } | { error: string }> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent: false }, (res) => {
      onResponse?.(res);
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', (e) => resolve({ error: e.message }));
      res.on('aborted', () => resolve({ error: 'aborted' }));
    });
    req.on('error', (e) => resolve({ error: e.message }));
    req.end();
  });
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('relayBody', () => {
  let upstream: { server: Server; url: string };
  let relay: { server: Server; url: string };
  let pool: Pool;
  const outcomes: Array<'ok' | string> = [];
  let hold: (res: ServerResponse) => Promise<void> = async () => undefined;

  before(async () => {
    upstream = await listen((req, res) => {
      if (req.url === '/large') {
        res.writeHead(200, { 'content-length': LARGE.length });
        res.end(LARGE);
      } else if (req.url === '/cut') {
        res.writeHead(200, { 'content-length': 1000 });
        res.write(Buffer.alloc(10));
        setTimeout(() => res.destroy(), 20);
      } else {
        res.writeHead(200, { 'content-length': 5 });
        res.end('hello');
      }
    });
    pool = new Pool(upstream.url, { connections: 1 });
    relay = await listen((req, res) => {
      void (async () => {
        await hold(res);
        const response = await pool.request({ method: 'GET', path: req.url ?? '/' }).catch((error: Error) => error);
        if (response instanceof Error) {
          outcomes.push(`request-failed: ${response.message}`);
          if (!res.destroyed) res.destroy();
          return;
        }
        if (!res.destroyed) res.writeHead(response.statusCode, { 'content-length': String(response.headers['content-length']) });
        try {
          await relayBody(response.body, res);
          outcomes.push('ok');
        } catch (error) {
          outcomes.push(error instanceof ClientGoneError ? 'client-gone' : `upstream-failed: ${(error as Error).message}`);
        }
      })();
    });
  });
  after(async () => {
    await pool.destroy();
    relay.server.closeAllConnections();
    upstream.server.closeAllConnections();
    await Promise.all([relay.server, upstream.server].map((s) => new Promise((r) => s.close(r))));
  });

  test('relays a small and a 4 MiB body whole, with backpressure', async () => {
    outcomes.length = 0;
    const small = await get(`${relay.url}/`);
    assert.deepEqual(small, { status: 200, body: Buffer.from('hello') });
    const large = await get(`${relay.url}/large`);
    assert.ok('body' in large && large.body.equals(LARGE));
    assert.deepEqual(outcomes, ['ok', 'ok']);
  });

  test('a client that left before the relay starts frees the pooled connection', async () => {
    outcomes.length = 0;
    let gone!: () => void;
    const clientGone = new Promise<void>((resolve) => (gone = resolve));
    hold = (res) => new Promise((resolve) => res.once('close', () => { gone(); setTimeout(resolve, 20); }));
    const req = httpRequest(`${relay.url}/large`, { agent: false });
    req.on('error', () => undefined);
    req.end();
    setTimeout(() => req.destroy(), 50);
    await clientGone;
    hold = async () => undefined;
    await until(() => outcomes.length === 1);
    // The pool has one connection: the next request only gets through if the unread body was let go.
    const next = await Promise.race([get(`${relay.url}/`), new Promise((r) => setTimeout(() => r('stuck'), 3000))]);
    assert.deepEqual(next, { status: 200, body: Buffer.from('hello') });
    assert.deepEqual(outcomes, ['client-gone', 'ok']);
  });

  test('a client that leaves in the middle of a body frees the pooled connection', async () => {
    outcomes.length = 0;
    await get(`${relay.url}/large`, (res) => {
      res.once('data', () => res.destroy());
    });
    const next = await Promise.race([get(`${relay.url}/`), new Promise((r) => setTimeout(() => r('stuck'), 3000))]);
    assert.deepEqual(next, { status: 200, body: Buffer.from('hello') });
    assert.equal(outcomes[0], 'client-gone');
  });

  test('an upstream that cuts its body short cuts the client off too, rather than leave it hanging', async () => {
    outcomes.length = 0;
    const cut = await get(`${relay.url}/cut`);
    assert.ok('error' in cut, `the client saw ${JSON.stringify(cut)}`);
    assert.match(outcomes[0] ?? '', /^upstream-failed/);
  });
});
