import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRouteConfig } from './compile.js';
import { mulberry32, routeConfig } from './test-support.js';
import { pickWeighted, WeightedPicker } from './weighted.js';

const N = 20_000;
const Z = 3.29; // two-sided 99.9%

/** Counts picks per cluster over N draws from a seeded PRNG. */
function countPicks(pick: (random: () => number) => { cluster: string }, seed: number): Map<string, number> {
  const random = mulberry32(seed);
  const counts = new Map<string, number>();
  for (let i = 0; i < N; i++) {
    const c = pick(random).cluster;
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  return counts;
}

/** Asserts a count lies within the 99.9% binomial interval around n*p. */
function assertBinomial(count: number, p: number, label: string): void {
  const mean = N * p;
  const tolerance = Z * Math.sqrt(N * p * (1 - p));
  assert.ok(Math.abs(count - mean) <= tolerance, `${label}: ${count} picks, expected ${mean} ± ${tolerance.toFixed(1)}`);
}

describe('weighted pick, statistically', () => {
  test('90/10 over 20,000 seeded picks stays within the 99.9% binomial interval', () => {
    const clusters = [
      { cluster: 'v1', weight: 90 },
      { cluster: 'v2', weight: 10 },
    ];
    const picker = new WeightedPicker(clusters);
    const counts = countPicks((r) => picker.pick(r), 1);
    assertBinomial(counts.get('v1') ?? 0, 0.9, 'v1');
    assertBinomial(counts.get('v2') ?? 0, 0.1, 'v2');
    assert.equal((counts.get('v1') ?? 0) + (counts.get('v2') ?? 0), N);
  });

  test('33/33/34 likewise', () => {
    const clusters = [
      { cluster: 'a', weight: 33 },
      { cluster: 'b', weight: 33 },
      { cluster: 'c', weight: 34 },
    ];
    const counts = countPicks((r) => pickWeighted(clusters, r), 2);
    assertBinomial(counts.get('a') ?? 0, 0.33, 'a');
    assertBinomial(counts.get('b') ?? 0, 0.33, 'b');
    assertBinomial(counts.get('c') ?? 0, 0.34, 'c');
  });

  test('weights are relative: 1/3 is 25/75 though they do not add up to 100', () => {
    const picker = new WeightedPicker([
      { cluster: 'a', weight: 1 },
      { cluster: 'b', weight: 3 },
    ]);
    const counts = countPicks((r) => picker.pick(r), 3);
    assertBinomial(counts.get('a') ?? 0, 0.25, 'a');
    assertBinomial(counts.get('b') ?? 0, 0.75, 'b');
  });

  test('zero-weight entries are never picked, wherever they sit', () => {
    const picker = new WeightedPicker([
      { cluster: 'zero-first', weight: 0 },
      { cluster: 'x', weight: 50 },
      { cluster: 'zero-middle', weight: 0 },
      { cluster: 'y', weight: 50 },
      { cluster: 'zero-last', weight: 0 },
    ]);
    const counts = countPicks((r) => picker.pick(r), 4);
    assert.deepEqual([...counts.keys()].sort(), ['x', 'y']);
    assertBinomial(counts.get('x') ?? 0, 0.5, 'x');
  });

  test('a compiled route picks with the same distribution', () => {
    const rc = compileRouteConfig(
      routeConfig({
        name: 'r',
        virtualHosts: [
          {
            name: 'v',
            domains: ['*'],
            routes: [{ name: 'split', action: { kind: 'route', clusters: [{ cluster: 'v1', weight: 90 }, { cluster: 'v2', weight: 10 }] } }],
          },
        ],
      }),
    );
    const route = rc.virtualHosts[0]?.routes[0];
    assert.ok(route);
    const counts = countPicks((r) => route.pickCluster(r), 5);
    assertBinomial(counts.get('v2') ?? 0, 0.1, 'v2');
  });
});

describe('weighted pick, at the boundaries', () => {
  const clusters = [
    { cluster: 'zero', weight: 0 },
    { cluster: 'v1', weight: 90 },
    { cluster: 'v2', weight: 10 },
    { cluster: 'zero-tail', weight: 0 },
  ];
  const picker = new WeightedPicker(clusters);

  test('the cut between entries sits exactly at the cumulative weight', () => {
    assert.equal(picker.pick(() => 0).cluster, 'v1');
    assert.equal(picker.pick(() => 0.8999).cluster, 'v1');
    assert.equal(picker.pick(() => 0.9).cluster, 'v2');
    assert.equal(picker.pick(() => 0.9999999).cluster, 'v2');
  });

  test('a random() that returns 1 or NaN still picks a positive-weight entry', () => {
    assert.equal(picker.pick(() => 1).cluster, 'v2');
    assert.equal(picker.pick(() => Number.NaN).cluster, 'v2');
  });

  test('a lone destination takes all traffic whatever its weight (as in Istio)', () => {
    assert.equal(pickWeighted([{ cluster: 'only', weight: 0 }], () => 0.5).cluster, 'only');
    assert.equal(pickWeighted([{ cluster: 'only', weight: 7 }], () => 0.99).cluster, 'only');
  });

  test('nothing to choose from is an error that says what to do', () => {
    assert.throws(() => new WeightedPicker([], 'route "r"'), /^Error: route "r": no entries to choose from; give it at least one destination/);
    assert.throws(() => new WeightedPicker([{ weight: 0 }, { weight: 0 }], 'route "r"'), /route "r": all 2 weights are 0; give at least one destination a positive weight/);
    assert.throws(() => new WeightedPicker([{ weight: 1 }, { weight: -1 }], 'route "r"'), /entry 1 has weight -1/);
  });

  test('total is the sum of the weights', () => {
    assert.equal(picker.total, 100);
  });
});
