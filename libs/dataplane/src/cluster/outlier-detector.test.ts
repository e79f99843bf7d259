import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Host } from './host.js';
import { OutlierDetector, type OutlierEvent, type OutlierDetectorOptions } from './outlier-detector.js';
import { DEFAULT_OUTLIER_DETECTION, type OutlierDetectionPolicy } from './traffic-policy.js';
import { FakeClock, makeHosts } from './test-helpers.js';

const S = 1000;

function setup(policy: Partial<OutlierDetectionPolicy> = {}, n = 4, options: OutlierDetectorOptions = {}) {
  const clock = new FakeClock();
  const hosts = makeHosts(n);
  const detector = new OutlierDetector({ ...DEFAULT_OUTLIER_DETECTION, maxEjectionPercent: 100, ...policy }, hosts, clock.now, options);
  const fail = (h: Host, times: number, status = 500) => {
    for (let i = 0; i < times; i++) detector.recordResult(h, { status });
  };
  return { clock, hosts, detector, fail, h0: hosts[0] as Host, h1: hosts[1] as Host };
}

describe('OutlierDetector: consecutive errors', () => {
  test('ejects at exactly the consecutive 5xx threshold', () => {
    const { detector, fail, h0 } = setup({ consecutive5xxErrors: 3 });
    fail(h0, 2);
    assert.equal(detector.isEjected(h0), false);
    fail(h0, 1);
    assert.equal(detector.isEjected(h0), true);
    assert.equal(detector.availability()(h0), false);
    assert.equal(detector.stats.ejectionsActive, 1);
    assert.equal(detector.stats.ejectionsEnforcedConsecutive5xx, 1);
  });

  test('a success (any non-5xx, 4xx included) resets the run', () => {
    const { detector, fail, h0 } = setup({ consecutive5xxErrors: 3 });
    fail(h0, 2);
    detector.recordResult(h0, { status: 404 });
    fail(h0, 2);
    assert.equal(detector.isEjected(h0), false);
    fail(h0, 1);
    assert.equal(detector.isEjected(h0), true);
  });

  test('gateway errors: 502/503/504, connect failures and timeouts; a plain 500 breaks the run', () => {
    const { detector, fail, h0, h1 } = setup({ consecutive5xxErrors: 0, consecutiveGatewayErrors: 3 });
    fail(h0, 1, 502);
    fail(h0, 1, 500);
    fail(h0, 2, 503);
    assert.equal(detector.isEjected(h0), false, 'the 500 should have reset the gateway counter');
    detector.recordResult(h1, { connectFailure: true });
    detector.recordResult(h1, { timeout: true });
    detector.recordResult(h1, { status: 504 });
    assert.equal(detector.isEjected(h1), true);
    assert.equal(detector.stats.ejectionsEnforcedConsecutiveGatewayFailure, 1);
  });

  test('local failures count as 5xx too (split_external_local_origin_errors off)', () => {
    const { detector, h0 } = setup({ consecutive5xxErrors: 3 });
    detector.recordResult(h0, { connectFailure: true });
    detector.recordResult(h0, { reset: true });
    detector.recordResult(h0, { timeout: true });
    assert.equal(detector.isEjected(h0), true);
  });

  test('a threshold of 0 disables its detector; gateway errors are off by default', () => {
    const { detector, fail, h0 } = setup({ consecutive5xxErrors: 0 });
    fail(h0, 20, 503);
    assert.equal(detector.isEjected(h0), false);
  });

  test('outcomes without a status (client went away) and hosts of other clusters count for nothing', () => {
    const { detector, h0 } = setup({ consecutive5xxErrors: 1 });
    detector.recordResult(h0, {});
    detector.recordResult(h0, { status: 0 });
    assert.equal(detector.isEjected(h0), false);
    const stranger = makeHosts(1, 200)[0] as Host;
    detector.recordResult(stranger, { status: 500 });
    assert.equal(stranger.ejected, false);
  });
});

describe('OutlierDetector: ejection time', () => {
  test('returns at base ejection time (on a sweep tick), without any sweep call', () => {
    const { clock, detector, fail, h0 } = setup({ consecutive5xxErrors: 1, baseEjectionTimeMs: 30 * S, intervalMs: 10 * S });
    fail(h0, 1);
    clock.advance(30 * S - 1);
    assert.equal(detector.isEjected(h0), true);
    clock.advance(1);
    assert.equal(detector.isEjected(h0), false);
    assert.equal(detector.stats.ejectionsActive, 0);
  });

  test('an ejection between sweeps ends at the next sweep after its time, as in Envoy', () => {
    const { clock, detector, fail, h0 } = setup({ consecutive5xxErrors: 1, baseEjectionTimeMs: 30 * S, intervalMs: 10 * S });
    clock.advance(1 * S); // ticks are at 0, 10 s, 20 s ... after creation
    fail(h0, 1);
    clock.advance(35 * S); // 36 s: time served, but the next sweep is at 40 s
    assert.equal(detector.isEjected(h0), true);
    clock.advance(4 * S);
    assert.equal(detector.isEjected(h0), false);
  });

  test('grows with each ejection in a row: base × n, capped at max ejection time', () => {
    const base = 30 * S;
    const { clock, detector, fail, h0 } = setup({ consecutive5xxErrors: 1, baseEjectionTimeMs: base, intervalMs: 10 * S, maxEjectionTimeMs: 100 * S });
    const durations: number[] = [];
    for (let i = 0; i < 5; i++) {
      fail(h0, 1);
      const from = clock.t;
      while (detector.isEjected(h0)) clock.advance(S);
      durations.push(clock.t - from);
    }
    assert.deepEqual(durations, [30 * S, 60 * S, 90 * S, 100 * S, 100 * S]);
    assert.equal(h0.ejectionCount, 5);
  });

  test('healthy intervals bring the multiplier back down, one per interval', () => {
    const { clock, detector, fail, h0 } = setup({ consecutive5xxErrors: 1, baseEjectionTimeMs: 30 * S, intervalMs: 10 * S });
    fail(h0, 1);
    clock.advance(30 * S);
    fail(h0, 1); // second in a row: 60 s
    clock.advance(60 * S);
    assert.equal(detector.isEjected(h0), false);
    assert.equal(h0.ejectionBackoff, 2);
    clock.advance(10 * S); // one healthy interval
    fail(h0, 1); // multiplier 2 - 1 + 1 = 2: 60 s again, not 90 s
    assert.equal(h0.ejectionBackoff, 2);
    assert.equal(h0.ejectedUntil - clock.t, 60 * S);
    clock.advance(60 * S + 50 * S); // back, then five healthy intervals: decays to 0
    fail(h0, 1);
    assert.equal(h0.ejectedUntil - clock.t, 30 * S);
  });

  test('errors while ejected do not re-eject or extend; the return clears the counters', () => {
    const { clock, detector, fail, h0 } = setup({ consecutive5xxErrors: 2, baseEjectionTimeMs: 30 * S, intervalMs: 10 * S });
    fail(h0, 2);
    const until = h0.ejectedUntil;
    fail(h0, 5); // requests that were in flight when it was ejected
    assert.equal(h0.ejectedUntil, until);
    assert.equal(h0.ejectionCount, 1);
    clock.advance(30 * S);
    assert.equal(detector.isEjected(h0), false);
    fail(h0, 1);
    assert.equal(detector.isEjected(h0), false, 'one error after return is not a run of two');
  });

  test('sweep() brings the stats up to date without traffic', () => {
    const { clock, detector, fail, h0 } = setup({ consecutive5xxErrors: 1 });
    fail(h0, 1);
    clock.advance(30 * S);
    assert.equal(detector.stats.ejectionsActive, 1);
    detector.sweep();
    assert.equal(detector.stats.ejectionsActive, 0);
    assert.equal(h0.ejected, false);
  });
});

describe('OutlierDetector: how many hosts may be out', () => {
  test('maxEjectionPercent: 10% of 10 hosts is one; the next ejection overflows', () => {
    const { detector, fail, hosts } = setup({ consecutive5xxErrors: 1, maxEjectionPercent: 10 }, 10);
    fail(hosts[0] as Host, 1);
    fail(hosts[1] as Host, 1);
    assert.equal(detector.isEjected(hosts[0] as Host), true);
    assert.equal(detector.isEjected(hosts[1] as Host), false);
    assert.equal(detector.stats.ejectionsOverflow, 1);
  });

  test('Istio’s default 10% ejects nothing from a 3-host cluster (Envoy ≥ 1.27); always-eject-one allows one', () => {
    const strict = setup({ consecutive5xxErrors: 1, maxEjectionPercent: 10 }, 3);
    strict.fail(strict.h0, 1);
    assert.equal(strict.detector.isEjected(strict.h0), false);
    const lenient = setup({ consecutive5xxErrors: 1, maxEjectionPercent: 10 }, 3, { alwaysEjectOneHost: true });
    lenient.fail(lenient.h0, 1);
    lenient.fail(lenient.h1, 1);
    assert.equal(lenient.detector.isEjected(lenient.h0), true);
    assert.equal(lenient.detector.isEjected(lenient.h1), false);
  });

  test('the share counts after the ejection: 50% of 4 allows two, not three', () => {
    const { detector, fail, hosts } = setup({ consecutive5xxErrors: 1, maxEjectionPercent: 50 }, 4);
    for (const h of hosts.slice(0, 3)) fail(h, 1);
    assert.deepEqual(
      hosts.map((h) => detector.isEjected(h)),
      [true, true, false, false],
    );
  });

  test('an overflowed host needs a fresh run of errors to try again', () => {
    const { clock, detector, fail, h0, h1 } = setup({ consecutive5xxErrors: 3, maxEjectionPercent: 25 }, 4);
    fail(h0, 3);
    fail(h1, 3); // refused: h0 is out
    clock.advance(30 * S); // h0 back
    fail(h1, 2);
    assert.equal(detector.isEjected(h1), false);
    fail(h1, 1);
    assert.equal(detector.isEjected(h1), true);
  });

  test('panic: below minHealthPercent healthy, every host is used again', () => {
    const { detector, fail, hosts } = setup({ consecutive5xxErrors: 1, minHealthPercent: 60 }, 4);
    fail(hosts[0] as Host, 1);
    assert.equal(detector.inPanic(), false); // 75% healthy
    assert.equal(detector.availability()(hosts[0] as Host), false);
    fail(hosts[1] as Host, 1);
    assert.equal(detector.inPanic(), true); // 50% < 60%
    assert.ok(hosts.every(detector.availability()));
  });

  test('panic threshold 0 (Istio default): all ejected means no host at all', () => {
    const { detector, fail, hosts } = setup({ consecutive5xxErrors: 1 }, 2);
    for (const h of hosts) fail(h, 1);
    assert.equal(detector.inPanic(), false);
    assert.equal(hosts.some(detector.availability()), false);
  });
});

describe('OutlierDetector: events and snapshots', () => {
  test('reports ejections, overflows and returns', () => {
    const events: OutlierEvent[] = [];
    const { clock, detector, fail, h0, h1 } = setup({ consecutive5xxErrors: 1, maxEjectionPercent: 25 }, 4, { onEvent: (e) => events.push(e) });
    fail(h0, 1);
    fail(h1, 1);
    clock.advance(30 * S);
    detector.sweep();
    assert.deepEqual(
      events.map((e) => [e.action, e.host.key, e.reason, e.durationMs]),
      [
        ['eject', h0.key, 'consecutive_5xx', 30 * S],
        ['overflow', h1.key, 'consecutive_5xx', undefined],
        ['uneject', h0.key, undefined, undefined],
      ],
    );
  });

  test('a detector for the next snapshot keeps hosts that are still ejected', () => {
    const { clock, fail, hosts, h0 } = setup({ consecutive5xxErrors: 1 });
    fail(h0, 1);
    const next = new OutlierDetector({ ...DEFAULT_OUTLIER_DETECTION, maxEjectionPercent: 100 }, hosts, clock.now);
    assert.equal(next.stats.ejectionsActive, 1);
    assert.equal(next.isEjected(h0), true);
    clock.advance(30 * S);
    assert.equal(next.isEjected(h0), false);
    assert.equal(next.stats.ejectionsActive, 0);
  });
});
