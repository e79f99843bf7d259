// A VirtualService header regex under attack traffic, through a real proxy. "(\w+\s?)*" is
// linear under RE2 (Istio's engine) and catastrophic under a backtracking engine: 32 letters and a
// dash took JavaScript's RegExp ~13 s, blocking the sidecar's event loop for every other request.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ProxyAgent, request } from 'undici';
import { startProxy, type RunningProxy } from './proxy.js';
import { clientProxyOptions, ScriptedDiscoveryServer, startUpstream, until } from './test-support.js';

let discovery: ScriptedDiscoveryServer;
let proxy: RunningProxy;
let viaProxy: ProxyAgent;
let matched: Awaited<ReturnType<typeof startUpstream>>;
let other: Awaited<ReturnType<typeof startUpstream>>;

before(async () => {
  discovery = new ScriptedDiscoveryServer();
  const port = await discovery.listen();
  matched = await startUpstream('matched');
  other = await startUpstream('other');
  proxy = await startProxy(clientProxyOptions(port));
  viaProxy = new ProxyAgent({ uri: `http://127.0.0.1:${proxy.ports['outbound']}`, proxyTunnel: false, connections: 16 });
  const endpoint = (p: number, workload: string) => ({ address: '127.0.0.1', port: p, workload, labels: {} });
  discovery.push({
    version: 'regex',
    routeConfigs: [
      {
        name: '80',
        virtualHosts: [
          {
            name: 'svc',
            domains: ['svc'],
            routes: [
              { name: 'words', matches: [{ headers: [{ name: 'end-user', match: { regex: '(\\w+\\s?)*' } }] }], action: { kind: 'route', clusters: [{ cluster: 'matched', weight: 100 }] } },
              { name: 'rest', action: { kind: 'route', clusters: [{ cluster: 'other', weight: 100 }] } },
            ],
          },
        ],
      },
    ],
    clusters: [
      { name: 'matched', service: 'matched', port: 80, endpoints: [endpoint(matched.port, 'matched')] },
      { name: 'other', service: 'other', port: 80, endpoints: [endpoint(other.port, 'other')] },
    ],
  });
  await until(() => proxy.holder.current?.version === 'regex', 'the snapshot with the regex route');
});

after(async () => {
  await viaProxy?.close();
  await proxy?.close();
  discovery?.close();
  matched?.server.close();
  other?.server.close();
});

async function timed(user: string): Promise<{ ms: number; upstream: string }> {
  const started = performance.now();
  const res = await request('http://svc/', { dispatcher: viaProxy, headers: { 'end-user': user } });
  const upstream = String(res.headers['x-upstream']);
  await res.body.text();
  return { ms: performance.now() - started, upstream };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

test('the regex route still matches what it should', async () => {
  assert.equal((await timed('jason smith')).upstream, 'matched');
  assert.equal((await timed('jason-')).upstream, 'other', 'a dash is no word character, so the whole value does not match');
});

test('a catastrophic-backtracking pattern under attack adds no more than a few ms per request, and never blocks the event loop', async (t) => {
  // Header values up to 8 KiB: 32 letters took 13 s under backtracking; each added letter doubles it.
  const lengths = [32, 64, 1_000, 8_000];
  // The control: values of the same lengths that match at once (no backtracking in any engine),
  // sent in the same moments as the attack, so the machine's load weighs on both alike. (Timing
  // the attack against a baseline measured earlier measured the machine's load as well.)
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const attacked: number[] = [];
  const control: number[] = [];
  const ordinary: string[] = [];
  const caller = (value: (letters: number) => string, expected: string, into: number[], offset: number) => async () => {
    for (let i = 0; i < 50; i++) {
      const result = await timed(value(lengths[(offset + i) % lengths.length] as number));
      assert.equal(result.upstream, expected);
      into.push(result.ms);
    }
  };
  // Three attackers, three callers sending the control, and one ordinary user, all at once.
  await Promise.all([
    ...Array.from({ length: 3 }, (_, a) => caller((n) => `${'a'.repeat(n)}-`, 'other', attacked, a)()),
    ...Array.from({ length: 3 }, (_, a) => caller((n) => 'a'.repeat(n), 'matched', control, a)()),
    (async () => {
      for (let i = 0; i < 40; i++) ordinary.push((await timed('jason')).upstream);
    })(),
  ]);
  loop.disable();

  const maxBlockMs = loop.max / 1e6;
  t.diagnostic(`median ms: attack ${median(attacked).toFixed(2)}, same-length control ${median(control).toFixed(2)}; event loop blocked ${maxBlockMs.toFixed(0)} ms at most`);
  assert.ok(median(attacked) - median(control) < 5, `an attack request took ${median(attacked).toFixed(2)} ms (median) against ${median(control).toFixed(2)} ms for a matching value of the same length`);
  assert.deepEqual(new Set(ordinary), new Set(['matched']), 'every ordinary request was answered, by the matching route');
  // Backtracking blocked the loop 13 s for 32 letters (and forever for 8000); a loaded test
  // machine's scheduling and GC stay far below this bound.
  assert.ok(maxBlockMs < 1_000, `the event loop was blocked for ${maxBlockMs.toFixed(0)} ms`);
});
