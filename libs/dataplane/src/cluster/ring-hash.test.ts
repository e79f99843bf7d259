import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { everyHost, type HostPredicate } from './load-balancer.js';
import type { Host } from './host.js';
import { DEFAULT_POINTS_PER_HOST, RingHashBalancer } from './ring-hash.js';
import { binomialTolerance, makeHosts, seededRandom } from './test-helpers.js';

const KEYS = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);
const noRandom = () => {
  throw new Error('a keyed pick must not use randomness');
};

function owners(ring: RingHashBalancer, isAvailable: HostPredicate = everyHost): Map<string, Host> {
  return new Map(KEYS.map((k) => [k, ring.pick({ hashKey: k }, isAvailable) as Host]));
}

describe('CONSISTENT_HASH (ring hash)', () => {
  test('ring has the configured points per host', () => {
    assert.equal(new RingHashBalancer(makeHosts(3), Math.random).ringSize, 3 * DEFAULT_POINTS_PER_HOST);
    assert.equal(new RingHashBalancer(makeHosts(3), Math.random, 16).ringSize, 48);
  });

  test('same key, same host, also on a ring rebuilt from the same hosts', () => {
    const hosts = makeHosts(5);
    const a = owners(new RingHashBalancer(hosts, noRandom));
    const b = owners(new RingHashBalancer(makeHosts(5), noRandom));
    for (const k of KEYS) assert.equal(a.get(k)?.key, b.get(k)?.key, `key ${k} moved`);
    const ring = new RingHashBalancer(hosts, noRandom);
    assert.equal(ring.pick({ hashKey: 'alice' }, everyHost), ring.pick({ hashKey: 'alice' }, everyHost));
  });

  test('keys spread evenly: each host owns ~1/N (tolerance from ring granularity and sampling)', () => {
    const n = 8;
    const hosts = makeHosts(n);
    const seen = new Map<Host, number>();
    for (const h of owners(new RingHashBalancer(hosts, noRandom)).values()) seen.set(h, (seen.get(h) ?? 0) + 1);
    const p = 1 / n;
    // A host's share of the ring varies by about p/sqrt(points); add key sampling noise.
    const tolerance = binomialTolerance(KEYS.length, p) + 5 * KEYS.length * (p / Math.sqrt(DEFAULT_POINTS_PER_HOST));
    for (const h of hosts) {
      const c = seen.get(h) ?? 0;
      assert.ok(Math.abs(c - KEYS.length * p) <= tolerance, `${h.key} owns ${c} keys, expected ${KEYS.length * p} ± ${tolerance.toFixed(0)}`);
    }
  });

  test('removing one host of N remaps only that host’s keys, ≈1/N of all', () => {
    const n = 10;
    const hosts = makeHosts(n);
    const removed = hosts[4] as Host;
    const before = owners(new RingHashBalancer(hosts, noRandom));
    const after = owners(new RingHashBalancer(hosts.filter((h) => h !== removed), noRandom));
    let moved = 0;
    for (const k of KEYS) {
      if (before.get(k) === after.get(k)) continue;
      moved++;
      assert.equal(before.get(k), removed, `key ${k} moved although its host stayed`);
    }
    const p = 1 / n;
    const tolerance = binomialTolerance(KEYS.length, p) + 5 * KEYS.length * (p / Math.sqrt(DEFAULT_POINTS_PER_HOST));
    assert.ok(Math.abs(moved - KEYS.length * p) <= tolerance, `${moved} keys moved, expected ${KEYS.length * p} ± ${tolerance.toFixed(0)}`);
  });

  test('an unavailable host’s keys go to the next host on the ring, the same as removing it', () => {
    const hosts = makeHosts(6);
    const out = hosts[2] as Host;
    const skipping = owners(new RingHashBalancer(hosts, noRandom), (h) => h !== out);
    const removed = owners(new RingHashBalancer(hosts.filter((h) => h !== out), noRandom));
    for (const k of KEYS) assert.equal(skipping.get(k), removed.get(k), `key ${k}`);
  });

  test('no key: a random point on the ring, so hosts share the load', () => {
    const hosts = makeHosts(4);
    const ring = new RingHashBalancer(hosts, seededRandom(7));
    const seen = new Map<Host, number>();
    const picks = 20_000;
    for (let i = 0; i < picks; i++) {
      const h = ring.pick({}, everyHost) as Host;
      seen.set(h, (seen.get(h) ?? 0) + 1);
    }
    const p = 1 / hosts.length;
    const tolerance = binomialTolerance(picks, p) + 5 * picks * (p / Math.sqrt(DEFAULT_POINTS_PER_HOST));
    for (const h of hosts) assert.ok(Math.abs((seen.get(h) ?? 0) - picks * p) <= tolerance, `${h.key}: ${seen.get(h)}`);
  });

  test('nothing available, or no hosts: undefined', () => {
    assert.equal(new RingHashBalancer(makeHosts(3), noRandom).pick({ hashKey: 'k' }, () => false), undefined);
    assert.equal(new RingHashBalancer([], noRandom).pick({ hashKey: 'k' }, everyHost), undefined);
  });
});
