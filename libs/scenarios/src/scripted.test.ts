import assert from 'node:assert/strict';
import { test } from 'node:test';
import { binomialInterval } from './binomial.js';
import { judgeProbe } from './scripted.js';

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
  assert.ok(low > 53 && low < 54 && high > 106 && high < 107, `${low}..${high}`);
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
