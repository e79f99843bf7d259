// The RequestEvent each outcome produces carries Envoy's response flag, which metrics
// (response_flags label) and access logs report: UT, UO, UH, URX, FI, DI.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ProxyAgent, request } from 'undici';
import { compileTrafficPolicy, type ProxySnapshotInput, type TrafficPolicy } from '@skiff/api';
import type { RequestEvent } from './core/request-event.js';
import { startProxy, type RunningProxy } from './proxy.js';
import { clientProxyOptions, ScriptedDiscoveryServer, startUpstream, until } from './test-support.js';

type Route = ProxySnapshotInput['routeConfigs'][number]['virtualHosts'][number]['routes'][number];
const noRetries = { attempts: 0, retryOn: [], retriableStatusCodes: [] };

describe('response flags in request events', () => {
  let discovery: ScriptedDiscoveryServer;
  let proxy: RunningProxy;
  let viaProxy: ProxyAgent;
  let good: Awaited<ReturnType<typeof startUpstream>>;
  let broken: Awaited<ReturnType<typeof startUpstream>>;
  let slow: Awaited<ReturnType<typeof startUpstream>>;
  const events: RequestEvent[] = [];
  let version = 0;

  async function push(routes: Route[], trafficPolicy?: TrafficPolicy) {
    const v = `f${++version}`;
    const ep = (port: number, workload: string) => [{ address: '127.0.0.1', port, workload: `${workload}.default`, labels: { version: 'v1' } }];
    discovery.push({
      version: v,
      routeConfigs: [{ name: '80', virtualHosts: [{ name: 'svc', domains: ['svc'], routes }] }],
      clusters: [
        { name: 'good', service: 'svc.default.svc.cluster.local', port: 80, endpoints: ep(good.port, 'good') },
        { name: 'broken', service: 'svc.default.svc.cluster.local', port: 80, endpoints: ep(broken.port, 'broken') },
        { name: 'slow', service: 'svc.default.svc.cluster.local', port: 80, endpoints: ep(slow.port, 'slow'), ...(trafficPolicy ? { policy: compileTrafficPolicy(trafficPolicy) } : {}) },
        { name: 'empty', service: 'svc.default.svc.cluster.local', port: 80, endpoints: [] },
      ],
    });
    await until(() => proxy.holder.current?.version === v, `snapshot ${v}`);
  }
  const to = (cluster: string, extra: Partial<Extract<Route['action'], { kind: 'route' }>> = {}): Route['action'] => ({ kind: 'route', clusters: [{ cluster, weight: 100 }], ...extra });

  /** Sends `count` requests at once and returns their statuses and the events they produced. */
  async function outcome(count = 1): Promise<{ statuses: number[]; flags: string[] }> {
    const from = events.length;
    const statuses = await Promise.all(
      Array.from({ length: count }, async () => {
        const res = await request('http://svc/', { dispatcher: viaProxy });
        await res.body.text();
        return res.statusCode;
      }),
    );
    await until(() => events.length - from === count, `${count} request events`);
    return { statuses, flags: events.slice(from).map((e) => e.responseFlags) };
  }

  before(async () => {
    discovery = new ScriptedDiscoveryServer();
    const port = await discovery.listen();
    good = await startUpstream('good');
    broken = await startUpstream('broken', () => ({ status: 503 }));
    slow = await startUpstream('slow', () => ({ delayMs: 300 }));
    proxy = await startProxy(clientProxyOptions(port, { observer: (event) => events.push(event) }));
    viaProxy = new ProxyAgent({ uri: `http://127.0.0.1:${proxy.ports['outbound']}`, proxyTunnel: false });
  });

  after(async () => {
    await viaProxy?.close();
    await proxy?.close();
    discovery?.close();
    for (const u of [good, broken, slow]) u?.server.close();
  });

  test('a normal answer has "-" and names the destination workload and service', async () => {
    await push([{ name: 'ok', action: to('good') }]);
    const from = events.length;
    assert.deepEqual(await outcome(), { statuses: [200], flags: ['-'] });
    const e = events[from];
    assert.equal(e?.reporter, 'source');
    assert.equal(e?.destination.workload, 'good');
    assert.equal(e?.destination.service, 'svc.default.svc.cluster.local');
    assert.equal(e?.upstreamCluster, 'good');
  });

  test('FI for a fault abort, DI for a fault delay', async () => {
    await push([{ name: 'abort', action: to('good', { fault: { abort: { httpStatus: 500, percent: 100 } } }) }]);
    assert.deepEqual(await outcome(), { statuses: [500], flags: ['FI'] });
    await push([{ name: 'delay', action: to('good', { fault: { delay: { fixedDelayMs: 20, percent: 100 } } }) }]);
    assert.deepEqual(await outcome(), { statuses: [200], flags: ['DI'] });
  });

  test('UT for a route timeout, UH for a cluster without endpoints', async () => {
    await push([{ name: 'timeout', action: to('slow', { timeoutMs: 50, retries: noRetries }) }]);
    assert.deepEqual(await outcome(), { statuses: [504], flags: ['UT'] });
    await push([{ name: 'empty', action: to('empty') }]);
    assert.deepEqual(await outcome(), { statuses: [503], flags: ['UH'] });
  });

  test('URX when retries are used up and the last answer still asked for one; "-" without retries', async () => {
    await push([{ name: 'retry', action: to('broken', { retries: { attempts: 2, retryOn: ['5xx'], retriableStatusCodes: [] } }) }]);
    assert.deepEqual(await outcome(), { statuses: [503], flags: ['URX'] });
    await push([{ name: 'no-retry', action: to('broken', { retries: noRetries }) }]);
    assert.deepEqual(await outcome(), { statuses: [503], flags: ['-'] });
  });

  test('UO for requests the circuit breaker turns away', async () => {
    await push([{ name: 'cb', action: to('slow', { retries: noRetries }) }], { connectionPool: { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1 } } });
    const { statuses, flags } = await outcome(8);
    const overflowed = flags.filter((f) => f === 'UO').length;
    assert.ok(overflowed >= 5, `flags ${flags.join(' ')}`);
    assert.equal(statuses.filter((s) => s === 503).length, overflowed, 'each 503 is a UO');
  });
});
