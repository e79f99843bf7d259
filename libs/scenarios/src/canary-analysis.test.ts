import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { evaluateChecks, nextCanaryState, startCanary, type CanaryAnalysis, type CanaryState, type IntervalMeasurement } from './canary-analysis.js';

const analysis: CanaryAnalysis = {
  intervalMs: 5000,
  threshold: 2,
  stepWeight: 10,
  maxWeight: 50,
  metrics: [
    { name: 'request-success-rate', thresholdRange: { min: 99 } },
    { name: 'request-duration', thresholdRange: { max: 500 } },
  ],
};
const healthy: IntervalMeasurement = { requests: 200, successRate: 100, p99Ms: 12 };
const failing: IntervalMeasurement = { requests: 200, successRate: 80, p99Ms: 12 };
const slow: IntervalMeasurement = { requests: 200, successRate: 100, p99Ms: 900 };
const idle: IntervalMeasurement = { requests: 0, successRate: undefined, p99Ms: undefined };

function run(measurements: IntervalMeasurement[]): Array<{ action: string; weight: number; phase: string }> {
  let state: CanaryState = startCanary(analysis);
  const out = [];
  for (const m of measurements) {
    const decision = nextCanaryState(analysis, state, m);
    state = decision.state;
    out.push({ action: decision.action, weight: state.canaryWeight, phase: state.phase });
  }
  return out;
}

describe('canary analysis (Flagger rules)', () => {
  test('starts at one step of weight', () => {
    assert.deepEqual(startCanary(analysis), { phase: 'Progressing', canaryWeight: 10, failedChecks: 0, iterations: 0 });
  });

  test('a healthy canary advances by stepWeight to maxWeight, then is promoted to 100%', () => {
    assert.deepEqual(run([healthy, healthy, healthy, healthy, healthy]).map((s) => `${s.action} ${s.weight}`), ['advance 20', 'advance 30', 'advance 40', 'advance 50', 'promote 100']);
  });

  test('stepWeights: the weight follows the list, and after its last entry the canary is promoted', () => {
    const stepped: CanaryAnalysis = { ...analysis, stepWeights: [10, 25, 50] };
    let state = startCanary(stepped);
    const seen = [state.canaryWeight];
    for (let i = 0; i < 3; i++) {
      state = nextCanaryState(stepped, state, healthy).state;
      seen.push(state.canaryWeight);
    }
    assert.deepEqual(seen, [10, 25, 50, 100]);
    assert.equal(state.phase, 'Succeeded');
  });

  test('a failed check holds the weight; at threshold failed checks the canary is rolled back to 0%', () => {
    assert.deepEqual(run([healthy, failing, failing]).map((s) => `${s.action} ${s.weight} ${s.phase}`), ['advance 20 Progressing', 'hold 20 Progressing', 'rollback 0 Failed']);
  });

  test('failed checks add up across good intervals, as in Flagger', () => {
    assert.deepEqual(run([failing, healthy, slow]).map((s) => `${s.action} ${s.weight}`), ['hold 10', 'advance 20', 'rollback 0']);
  });

  test('no traffic to the canary is a failed check, not a pass', () => {
    const [check] = evaluateChecks(analysis, idle);
    assert.equal(check?.ok, false);
    assert.match(check?.reason ?? '', /no requests/);
    assert.deepEqual(run([idle, idle]).map((s) => s.action), ['hold', 'rollback']);
  });

  test('checks say what they compared', () => {
    assert.deepEqual(evaluateChecks(analysis, { requests: 10, successRate: 98.5, p99Ms: 501 }).map((c) => [c.ok, c.reason]), [
      [false, '98.5% < 99%'],
      [false, '501 ms > 500 ms'],
    ]);
    assert.deepEqual(evaluateChecks(analysis, { requests: 10, successRate: 99, p99Ms: 500 }).map((c) => [c.ok, c.reason]), [
      [true, '99% >= 99%'],
      [true, '500 ms <= 500 ms'],
    ]);
  });

  test('a finished analysis does not move again', () => {
    const done: CanaryState = { phase: 'Failed', canaryWeight: 0, failedChecks: 2, iterations: 3 };
    assert.deepEqual(nextCanaryState(analysis, done, healthy), { state: done, checks: [], action: 'hold' });
  });

  test('whatever the sequence, the weight never rises after a failing interval until a pass, and a rollback leaves 0%', () => {
    // Seeded exhaustive walk over every sequence of 6 intervals of {healthy, failing}.
    for (let mask = 0; mask < 64; mask++) {
      const seq = Array.from({ length: 6 }, (_, i) => ((mask >> i) & 1 ? failing : healthy));
      let state = startCanary(analysis);
      for (const m of seq) {
        const before = state.canaryWeight;
        const decision = nextCanaryState(analysis, state, m);
        if (m === failing && state.phase === 'Progressing') assert.ok(decision.state.canaryWeight <= before, `mask ${mask}: weight rose on a failing interval`);
        if (decision.action === 'rollback') assert.equal(decision.state.canaryWeight, 0);
        state = decision.state;
      }
      const failures = seq.filter((m) => m === failing).length;
      if (failures >= analysis.threshold) assert.equal(state.phase, 'Failed', `mask ${mask}: ${failures} failing intervals must roll back`);
    }
  });
});
