// The request pipeline's steps through a real proxy: fault injection, timeouts, retries,
// mirroring, rewrites, header operations, circuit breaking and outlier ejection, against real
// upstream servers, with config pushed by a scripted discovery server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ProxyAgent, request } from 'undici';
import { compileTrafficPolicy, type ProxySnapshotInput, type TrafficPolicy } from '@skiff/api';
import { startProxy, type RunningProxy } from './proxy.js';
import { clientProxyOptions, ScriptedDiscoveryServer, startUpstream, until } from './test-support.js';

type Route = ProxySnapshotInput['routeConfigs'][number]['virtualHosts'][number]['routes'][number];

describe('request pipeline', () => {
  let discovery: ScriptedDiscoveryServer;
  let proxy: RunningProxy;
  let viaProxy: ProxyAgent;
  let good: Awaited<ReturnType<typeof startUpstream>>;
  let flaky: Awaited<ReturnType<typeof startUpstream>>;
  let slow: Awaited<ReturnType<typeof startUpstream>>;
  let shadow: Awaited<ReturnType<typeof startUpstream>>;
  let failing: Awaited<ReturnType<typeof startUpstream>>;
  // Fails each request's first attempt (by x-request-id), so the test does not depend on interleaving.
  const failedOnce = new Set<string>();
  let version = 0;

  const endpoint = (port: number, workload: string) => ({ address: '127.0.0.1', port, workload, labels: {} });

  /** Pushes a snapshot whose host "svc:80" has the given routes, and waits until it is in force. */
  async function push(routes: Route[], trafficPolicy?: TrafficPolicy, clusterEndpoints?: Record<string, ReturnType<typeof endpoint>[]>) {
    const v = `p${++version}`;
    const endpoints = clusterEndpoints ?? {
      good: [endpoint(good.port, 'good')],
      flaky: [endpoint(flaky.port, 'flaky')],
      slow: [endpoint(slow.port, 'slow')],
      shadow: [endpoint(shadow.port, 'shadow')],
      failing: [endpoint(failing.port, 'failing')],
    };
    discovery.push({
      version: v,
      routeConfigs: [{ name: '80', virtualHosts: [{ name: 'svc', domains: ['svc'], routes }] }],
      clusters: Object.entries(endpoints).map(([name, eps]) => ({ name, service: name, port: 80, endpoints: eps, ...(trafficPolicy ? { policy: compileTrafficPolicy(trafficPolicy) } : {}) })),
    });
    await until(() => proxy.holder.current?.version === v, `snapshot ${v}`);
  }

  const to = (cluster: string, extra: Partial<Extract<Route['action'], { kind: 'route' }>> = {}): Route['action'] => ({ kind: 'route', clusters: [{ cluster, weight: 100 }], ...extra });

  const call = async (path = '/', headers: Record<string, string> = {}) => {
    const started = performance.now();
    const res = await request(`http://svc${path}`, { dispatcher: viaProxy, headers });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text(), ms: performance.now() - started };
  };

  before(async () => {
    discovery = new ScriptedDiscoveryServer();
    const port = await discovery.listen();
    good = await startUpstream('good');
    flaky = await startUpstream('flaky', (req) => {
      const id = String(req.headers['x-request-id']);
      if (failedOnce.has(id)) return { status: 200 };
      failedOnce.add(id);
      return { status: 503 };
    });
    slow = await startUpstream('slow', () => ({ delayMs: 300 }));
    shadow = await startUpstream('shadow', () => ({ delayMs: 500 }));
    failing = await startUpstream('failing', () => ({ status: 503, delayMs: 200 }));
    proxy = await startProxy(clientProxyOptions(port));
    viaProxy = new ProxyAgent({ uri: `http://127.0.0.1:${proxy.ports['outbound']}`, proxyTunnel: false });
  });

  after(async () => {
    await viaProxy?.close();
    await proxy?.close();
    discovery?.close();
    for (const u of [good, flaky, slow, shadow, failing]) u?.server.close();
  });

  test('fault abort answers the configured status without calling the upstream', async () => {
    await push([{ name: 'abort', action: to('good', { fault: { abort: { httpStatus: 418, percent: 100 } } }) }]);
    const before = good.received.length;
    const res = await call();
    assert.equal(res.status, 418);
    assert.equal(res.text, 'fault filter abort');
    assert.equal(good.received.length, before);
  });

  test('fault delay holds the request for the fixed delay', async () => {
    await push([{ name: 'delay', action: to('good', { fault: { delay: { fixedDelayMs: 250, percent: 100 } } }) }]);
    const res = await call();
    assert.equal(res.status, 200);
    assert.ok(res.ms >= 245, `took ${res.ms} ms`);
  });

  test('a route timeout answers 504 "upstream request timeout"', async () => {
    await push([{ name: 'timeout', action: to('slow', { timeoutMs: 100 }) }]);
    const res = await call();
    assert.equal(res.status, 504);
    assert.equal(res.text.trim(), 'upstream request timeout');
    assert.ok(res.ms >= 95 && res.ms < 290, `took ${res.ms} ms`);
  });

  test('retries on 5xx hide a flaky upstream, and every attempt reaches it', async () => {
    await push([{ name: 'retry', action: to('flaky', { retries: { attempts: 3, retryOn: ['5xx'], retriableStatusCodes: [] } }) }]);
    const before = flaky.received.length;
    const results = await Promise.all(Array.from({ length: 10 }, () => call()));
    assert.deepEqual(new Set(results.map((r) => r.status)), new Set([200]));
    assert.equal(flaky.received.length - before, 20, 'one failed and one good attempt per request');
  });

  test('without a matching retry condition the 503 reaches the caller', async () => {
    await push([{ name: 'no-retry', action: to('flaky', { retries: { attempts: 3, retryOn: ['connect-failure'], retriableStatusCodes: [] } }) }]);
    const res = await call();
    assert.equal(res.status, 503);
    assert.equal(res.headers['x-upstream'], 'flaky', "the upstream's own 503 is relayed");
  });

  test('DestinationRule http.maxRetries caps the retries in flight to the cluster; a refused retry relays the last answer', async () => {
    const retry = to('failing', { retries: { attempts: 2, retryOn: ['5xx'], retriableStatusCodes: [] } });
    // Without the cap: four requests, three attempts each.
    await push([{ name: 'retry-all', action: retry }]);
    let before = failing.received.length;
    let results = await Promise.all(Array.from({ length: 4 }, () => call()));
    assert.deepEqual(results.map((r) => r.status), [503, 503, 503, 503]);
    assert.equal(failing.received.length - before, 12);
    // maxRetries 1: the first attempts fail together; one request takes the retry slot (for each
    // of its two 200 ms retries in turn) and the other three, refused it, get their first answer.
    await push([{ name: 'retry-capped', action: retry }], { connectionPool: { http: { maxRetries: 1 } } });
    before = failing.received.length;
    results = await Promise.all(Array.from({ length: 4 }, () => call()));
    assert.equal(failing.received.length - before, 6, 'four first attempts and two retries');
    for (const r of results) {
      assert.equal(r.status, 503);
      assert.equal(r.headers['x-upstream'], 'failing', "the upstream's own answer is relayed, not a proxy reply");
    }
  });

  test('a retried POST within the replay bound is replayed byte-identical (length-framed and chunked); one past the bound streams once and is not retried', async () => {
    await push([{ name: 'retry-post', action: to('flaky', { retries: { attempts: 3, retryOn: ['5xx'], retriableStatusCodes: [] } }) }]);
    const post = async (id: string, body: string | Readable) => {
      const res = await request('http://svc/upload', { dispatcher: viaProxy, method: 'POST', body, headers: { 'x-request-id': id } });
      return { status: res.statusCode, upstream: res.headers['x-upstream'], text: await res.body.text() };
    };
    const digest = (text: string) => createHash('sha256').update(text).digest('hex');
    // 256 KiB, under the 1 MiB bound: the failed first attempt and the retry carry the same bytes.
    const small = randomBytes(192 * 1024).toString('base64');
    for (const [framing, body] of [['content-length', small], ['chunked', Readable.from([small.slice(0, 100_000), small.slice(100_000)])]] as const) {
      const before = flaky.received.length;
      const res = await post(`replay-${framing}-${version}`, body);
      assert.equal(res.status, 200, `${framing}: ${res.text}`);
      const attempts = flaky.received.slice(before);
      assert.equal(attempts.length, 2, `${framing}: one failed attempt and its retry`);
      for (const attempt of attempts) assert.equal(digest(attempt.body), digest(small), `${framing}: every attempt carries the whole body`);
    }
    // 2 MiB, past the bound: it streams to the first attempt, whose 503 is the answer.
    const large = randomBytes(1536 * 1024).toString('base64');
    const before = flaky.received.length;
    const res = await post(`no-replay-${version}`, large);
    assert.equal(res.status, 503);
    assert.equal(res.upstream, 'flaky', "the upstream's own answer, not a proxy reply");
    assert.equal(flaky.received.length - before, 1, 'not retried');
    assert.equal(digest(flaky.received.at(-1)?.body ?? ''), digest(large));
  });

  test('per-try timeout cuts each attempt short and the overall answer is 504', async () => {
    await push([{ name: 'per-try', action: to('slow', { retries: { attempts: 2, perTryTimeoutMs: 50, retryOn: ['5xx'], retriableStatusCodes: [] } }) }]);
    const before = slow.received.length;
    const res = await call();
    assert.equal(res.status, 504);
    await until(() => slow.received.length - before === 3, 'three attempts to reach the upstream');
  });

  test('mirroring sends a copy with a -shadow Host and does not wait for it', async () => {
    await push([{ name: 'mirror', action: to('good', { mirror: { cluster: 'shadow', percent: 100 } }) }]);
    const before = shadow.received.length;
    const res = await call('/m');
    assert.equal(res.text, 'good GET /m');
    assert.ok(res.ms < 400, `the 500 ms mirror must not slow the caller (took ${res.ms} ms)`);
    await until(() => shadow.received.length > before, 'the mirrored copy');
    assert.equal(shadow.received.at(-1)?.headers.host, 'svc-shadow');
  });

  test('rewrite and header operations reach the upstream; response ops reach the caller', async () => {
    await push([
      {
        name: 'rewrite',
        matches: [{ uri: { prefix: '/v1/' } }],
        action: to('good', { rewrite: { uri: '/', authority: 'good.internal' } }),
        headers: { request: { set: { 'x-set': 'yes' }, remove: ['x-drop'] }, response: { add: { 'x-added': 'r' } } },
      },
    ]);
    const res = await call('/v1/items?a=1', { 'x-drop': 'gone' });
    assert.equal(res.text, 'good GET /items?a=1');
    const seen = good.received.at(-1);
    assert.equal(seen?.headers.host, 'good.internal');
    assert.equal(seen?.headers['x-set'], 'yes');
    assert.equal(seen?.headers['x-drop'], undefined);
    assert.equal(res.headers['x-added'], 'r');
  });

  test('the circuit breaker answers 503 overflow beyond maxConnections + pending', async () => {
    await push([{ name: 'cb', action: to('slow', { retries: { attempts: 0, retryOn: [], retriableStatusCodes: [] } }) }], {
      connectionPool: { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1 } },
    });
    const results = await Promise.all(Array.from({ length: 8 }, () => call()));
    const overflowed = results.filter((r) => r.status === 503);
    assert.ok(overflowed.length >= 5, `expected most of 8 concurrent requests to overflow, got ${overflowed.length}`);
    assert.match(overflowed[0]?.text ?? '', /reset reason: overflow/);
    assert.equal(overflowed[0]?.headers['x-envoy-overloaded'], 'true');
    assert.ok(results.some((r) => r.status === 200));
  });

  test('outlier detection ejects a failing host and returns it after the ejection time', async () => {
    const failing = await startUpstream('failing', () => ({ status: 500 }));
    try {
      await push(
        [{ name: 'od', action: to('pair', { retries: { attempts: 0, retryOn: [], retriableStatusCodes: [] } }) }],
        { loadBalancer: { simple: 'ROUND_ROBIN' }, outlierDetection: { consecutive5xxErrors: 1, interval: '0.1s', baseEjectionTime: '2s', maxEjectionPercent: 100 } },
        { pair: [endpoint(good.port, 'good'), endpoint(failing.port, 'failing')] },
      );
      for (let i = 0; i < 4; i++) await call();
      const afterEjection = failing.received.length;
      assert.ok(afterEjection >= 1);
      const statuses = await Promise.all(Array.from({ length: 10 }, () => call()));
      assert.equal(failing.received.length, afterEjection, 'no request reaches the ejected host');
      assert.deepEqual(new Set(statuses.map((s) => s.status)), new Set([200]));
      // Long enough that the 14 calls above always finish inside it, even on a loaded machine
      // (at 0.5 s they once did not); the detector's timing itself is tested with a fake clock.
      await new Promise((r) => setTimeout(r, 2_300));
      for (let i = 0; i < 6; i++) await call();
      assert.ok(failing.received.length > afterEjection, 'the host is back after its ejection time');
    } finally {
      failing.server.close();
    }
  });
});
