import assert from 'node:assert/strict';
import { test } from 'node:test';
import { binomialInterval } from './binomial.js';
import { judgeMirror, judgeProbe } from './scripted.js';

const probe = (expect: Record<string, number>) => ({ label: 'p', count: 40, expect });

test('0% and 100% must hold exactly', () => {
  assert.deepEqual(judgeProbe(probe({ v2: 100 }), { v2: 40 }), { ok: true, reasons: ['✔ v2 40/40, expected 100%'] });
  const one = judgeProbe(probe({ v2: 100 }), { v2: 39, v1: 1 });
  assert.equal(one.ok, false);
  assert.deepEqual(one.reasons, ['✖ v1 1/40, expected 0%', '✖ v2 39/40, expected 100%']);
  assert.equal(judgeProbe(probe({ v1: 100 }), { v1: 39, 'HTTP 503': 1 }).ok, false, 'a failure nobody expected fails the probe');
});

test('other shares hold inside the 99.9% binomial interval', () => {
  const { low, high } = binomialInterval(400, 0.2);
  assert.ok(low >= 53 && low <= 55 && high >= 106 && high <= 108, `close to the normal approximation's 53.7..106.3 when n * p is large: ${low}..${high}`);
  assert.equal(judgeProbe({ label: 'p', count: 400, expect: { v1: 80, v2: 20 } }, { v1: 310, v2: 90 }).ok, true);
  assert.equal(judgeProbe({ label: 'p', count: 400, expect: { v1: 80, v2: 20 } }, { v1: 350, v2: 50 }).ok, false);
});

test('no answers is a failure, not a vacuous pass', () => {
  assert.deepEqual(judgeProbe(probe({ v1: 100 }), {}), { ok: false, reasons: ['no answers at all', '✖ v1 0/0, expected 100%'] });
});

test('a correct 30% split passes 1000 seeded trials (the interval is not luck)', () => {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  let failures = 0;
  for (let trial = 0; trial < 1000; trial++) {
    const counts: Record<string, number> = { v1: 0, v2: 0 };
    for (let i = 0; i < 200; i++) {
      const k = random() < 0.3 ? 'v2' : 'v1';
      counts[k] = (counts[k] ?? 0) + 1;
    }
    if (!judgeProbe({ label: 'p', count: 200, expect: { v1: 70, v2: 30 } }, counts).ok) failures++;
  }
  assert.ok(failures <= 5, `${failures} of 1000 correct trials failed`);
});

/** P(X = k) for X ~ Binomial(n, p), summed over [from, to], computed directly (small n only). */
function binomialMass(n: number, p: number, from: number, to: number): number {
  let total = 0;
  for (let k = from; k <= to; k++) {
    let c = 1;
    for (let i = 0; i < k; i++) c = (c * (n - i)) / (i + 1);
    total += c * p ** k * (1 - p) ** (n - k);
  }
  return total;
}

test('the interval is exact: each tail outside it holds at most 0.05%, and one more count would not', () => {
  for (const [n, p] of [[60, 0.0081], [60, 0.3], [20, 0.5], [400, 0.2], [5, 0.01]] as const) {
    const { low, high } = binomialInterval(n, p);
    assert.ok(binomialMass(n, p, 0, low - 1) <= 0.0005 && binomialMass(n, p, 0, low) > 0.0005, `n=${n} p=${p}: low ${low}`);
    assert.ok(binomialMass(n, p, high + 1, n) <= 0.0005 && binomialMass(n, p, high, n) > 0.0005, `n=${n} p=${p}: high ${high}`);
  }
  // The normal approximation allowed at most 2 of 60 at 0.81%, which a correct mesh exceeds 1.3% of the time.
  assert.deepEqual(binomialInterval(60, 0.0081), { low: 0, high: 4 });
  assert.deepEqual(binomialInterval(1_000_000, 0.5).low > 498_000, true, 'large n does not underflow');
  assert.throws(() => binomialInterval(10.5, 0.5), /whole number/);
});

test('bounds instead of shares: atLeast / atMost on counts; latency bounds on every answer', () => {
  const burst = { label: 'burst', count: 20, expect: { v1: { atLeast: 1 }, 'HTTP 503': { atLeast: 10 } } };
  assert.equal(judgeProbe(burst, { v1: 2, 'HTTP 503': 18 }).ok, true);
  assert.equal(judgeProbe(burst, { v1: 20 }).ok, false, 'a burst that never overflows fails');
  assert.deepEqual(judgeProbe(burst, { v1: 11, 'HTTP 503': 9 }).reasons, ['✖ HTTP 503 9/20, expected at least 10', '✔ v1 11/20, expected at least 1']);
  const slow = { label: 'jason', count: 2, expect: { v2: 100 }, latencyMs: { atLeast: 2000, atMost: 3900 } };
  assert.equal(judgeProbe(slow, { v2: 2 }, [2100, 2500]).ok, true);
  assert.deepEqual(judgeProbe(slow, { v2: 2 }, [40, 2500]).reasons, ['✔ v2 2/2, expected 100%', '✖ took 40..2500 ms, expected 2000..3900 ms']);
});

test('a mirror must deliver its share of copies: none, all (a few may be in flight), or a binomial share', () => {
  const watch = { kind: 'mirror', service: 'reviews', primary: 'reviews-v1', shadow: 'reviews-v2' } as const;
  assert.equal(judgeMirror({ ...watch, percent: 100 }, 30, 30).ok, true);
  assert.equal(judgeMirror({ ...watch, percent: 100 }, 100, 97).ok, true, '2% + 1 may still be in flight');
  assert.equal(judgeMirror({ ...watch, percent: 100 }, 100, 90).ok, false);
  assert.equal(judgeMirror({ ...watch, percent: 100 }, 0, 0).ok, false, 'no traffic proves nothing');
  assert.equal(judgeMirror({ ...watch, percent: 0 }, 30, 1).ok, false);
  assert.deepEqual(judgeMirror({ ...watch, percent: 0 }, 30, 0).reasons, ['✔ reviews-v2 received 0 copies of 30 requests to reviews-v1, expected 0']);
  assert.equal(judgeMirror({ ...watch, percent: 50 }, 200, 100).ok, true);
  assert.equal(judgeMirror({ ...watch, percent: 50 }, 200, 150).ok, false);
});
