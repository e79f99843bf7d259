import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Host } from './host.js';
import { createLoadBalancer, everyHost, type HostPredicate, type LoadBalancer } from './load-balancer.js';
import { binomialTolerance, makeHosts, seededRandom } from './test-helpers.js';

const none: HostPredicate = () => false;
const except =
  (...out: Host[]): HostPredicate =>
  (h) => !out.includes(h);

function counts(lb: LoadBalancer, picks: number, isAvailable: HostPredicate = everyHost): Map<Host, number> {
  const seen = new Map<Host, number>();
  for (let i = 0; i < picks; i++) {
    const h = lb.pick({}, isAvailable);
    assert.ok(h, 'a host was available, so pick must return one');
    seen.set(h, (seen.get(h) ?? 0) + 1);
  }
  return seen;
}

function assertUniform(seen: Map<Host, number>, hosts: readonly Host[], picks: number): void {
  const p = 1 / hosts.length;
  const tolerance = binomialTolerance(picks, p);
  for (const h of hosts) {
    const c = seen.get(h) ?? 0;
    assert.ok(Math.abs(c - picks * p) <= tolerance, `${h.key} picked ${c} times, expected ${picks * p} ± ${tolerance.toFixed(1)}`);
  }
}

describe('createLoadBalancer', () => {
  test('builds the balancer the policy names', () => {
    const hosts = makeHosts(2);
    assert.equal(createLoadBalancer({ kind: 'ROUND_ROBIN' }, hosts, Math.random).kind, 'ROUND_ROBIN');
    assert.equal(createLoadBalancer({ kind: 'RANDOM' }, hosts, Math.random).kind, 'RANDOM');
    assert.equal(createLoadBalancer({ kind: 'LEAST_REQUEST' }, hosts, Math.random).kind, 'LEAST_REQUEST');
    assert.equal(createLoadBalancer({ kind: 'CONSISTENT_HASH', key: { sourceIp: true } }, hosts, Math.random).kind, 'CONSISTENT_HASH');
  });

  for (const kind of ['ROUND_ROBIN', 'RANDOM', 'LEAST_REQUEST'] as const) {
    test(`${kind}: no hosts, or none available, gives undefined`, () => {
      assert.equal(createLoadBalancer({ kind }, [], Math.random).pick({}, everyHost), undefined);
      assert.equal(createLoadBalancer({ kind }, makeHosts(3), Math.random).pick({}, none), undefined);
    });
  }
});

describe('ROUND_ROBIN', () => {
  test('visits hosts in order from its (random) start and wraps', () => {
    const hosts = makeHosts(3);
    const lb = createLoadBalancer({ kind: 'ROUND_ROBIN' }, hosts, () => 0.5); // start at index 1
    const order = Array.from({ length: 7 }, () => lb.pick({}, everyHost));
    assert.deepEqual(order, [hosts[1], hosts[2], hosts[0], hosts[1], hosts[2], hosts[0], hosts[1]]);
  });

  test('skips unavailable hosts and keeps strict rotation among the rest', () => {
    const hosts = makeHosts(4);
    const [a, b, c, d] = hosts as [Host, Host, Host, Host];
    const lb = createLoadBalancer({ kind: 'ROUND_ROBIN' }, hosts, () => 0);
    const order = Array.from({ length: 6 }, () => lb.pick({}, except(b)));
    assert.deepEqual(order, [a, c, d, a, c, d]);
    // b back: it takes its turn again right where the cursor is.
    assert.deepEqual([lb.pick({}, everyHost), lb.pick({}, everyHost), lb.pick({}, everyHost)], [a, b, c]);
  });
});

describe('RANDOM', () => {
  test('uniform over hosts (each count within 5 binomial sigmas)', () => {
    const hosts = makeHosts(5);
    const picks = 50_000;
    assertUniform(counts(createLoadBalancer({ kind: 'RANDOM' }, hosts, seededRandom(1)), picks), hosts, picks);
  });

  test('never picks an unavailable host and stays uniform over the rest', () => {
    const hosts = makeHosts(5);
    const out = [hosts[0] as Host, hosts[3] as Host];
    const picks = 30_000;
    const seen = counts(createLoadBalancer({ kind: 'RANDOM' }, hosts, seededRandom(2)), picks, except(...out));
    for (const h of out) assert.equal(seen.get(h), undefined);
    assertUniform(seen, hosts.filter((h) => !out.includes(h)), picks);
  });
});

describe('LEAST_REQUEST (power of two choices)', () => {
  test('prefers the idle host: P(idle) = 1 - (1 - 1/n)^2 with two draws, not 1/n', () => {
    const hosts = makeHosts(3);
    (hosts[1] as Host).active = 5;
    (hosts[2] as Host).active = 5;
    const picks = 30_000;
    const seen = counts(createLoadBalancer({ kind: 'LEAST_REQUEST' }, hosts, seededRandom(3)), picks);
    const p = 1 - (2 / 3) ** 2; // 5/9: picked unless both draws miss it
    const idle = seen.get(hosts[0] as Host) ?? 0;
    const tolerance = binomialTolerance(picks, p);
    assert.ok(Math.abs(idle - picks * p) <= tolerance, `idle host picked ${idle}, expected ${(picks * p).toFixed(0)} ± ${tolerance.toFixed(0)}`);
  });

  test('equal load: uniform', () => {
    const hosts = makeHosts(4);
    const picks = 40_000;
    assertUniform(counts(createLoadBalancer({ kind: 'LEAST_REQUEST' }, hosts, seededRandom(4)), picks), hosts, picks);
  });

  test('keeps in-flight requests balanced where random would not', () => {
    // Requests that stay in flight: least-request must keep the spread within a few requests.
    const hosts = makeHosts(4);
    const lb = createLoadBalancer({ kind: 'LEAST_REQUEST' }, hosts, seededRandom(5));
    for (let i = 0; i < 400; i++) (lb.pick({}, everyHost) as Host).active++;
    const loads = hosts.map((h) => h.active);
    assert.ok(Math.max(...loads) - Math.min(...loads) <= 6, `loads ${loads.join(',')} should be within 6 of each other`);
  });

  test('skips unavailable hosts even when they are idlest', () => {
    const hosts = makeHosts(3);
    (hosts[1] as Host).active = 1;
    (hosts[2] as Host).active = 2;
    const lb = createLoadBalancer({ kind: 'LEAST_REQUEST' }, hosts, seededRandom(6));
    const seen = counts(lb, 2000, except(hosts[0] as Host));
    assert.equal(seen.get(hosts[0] as Host), undefined);
    assert.ok((seen.get(hosts[1] as Host) ?? 0) > (seen.get(hosts[2] as Host) ?? 0));
  });
});
