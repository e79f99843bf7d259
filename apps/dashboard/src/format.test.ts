import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  edgeLabelLines,
  edgeWidth,
  formatScenarioProgress,
  formatDuration,
  formatExpiresIn,
  formatPercent,
  formatRps,
  healthOf,
  nodeLabel,
  nodeSubtitle,
  shareAttribute,
} from './format.js';

describe('formatRps', () => {
  const cases: Array<[number, string]> = [
    [0, '0 rps'],
    [-1, '0 rps'],
    [Number.NaN, '0 rps'],
    [0.05, '0.05 rps'],
    [0.5, '0.5 rps'],
    [1, '1 rps'],
    [12.34, '12.3 rps'],
    [12, '12 rps'],
    [99.96, '100 rps'],
    [250.4, '250 rps'],
  ];
  for (const [rps, text] of cases) test(`${rps} -> ${text}`, () => assert.equal(formatRps(rps), text));
});

describe('formatPercent', () => {
  const cases: Array<[number, string]> = [
    [0, '0%'],
    [0.9, '90%'],
    [0.903, '90%'],
    [0.1, '10%'],
    [0.097, '9.7%'],
    [0.015, '1.5%'],
    [0.01, '1%'],
    [0.0004, '<0.1%'],
    [1, '100%'],
  ];
  for (const [share, text] of cases) test(`${share} -> ${text}`, () => assert.equal(formatPercent(share), text));
});

describe('formatDuration', () => {
  const cases: Array<[number, string]> = [
    [0, '0 ms'],
    [0.42, '0.42 ms'],
    [3.25, '3.3 ms'],
    [14, '14 ms'],
    [14.4, '14 ms'],
    [999.4, '999 ms'],
    [1250, '1.25 s'],
    [2000, '2 s'],
    [12_340, '12.3 s'],
    [125_000, '2m 05s'],
    [-1, '–'],
  ];
  for (const [ms, text] of cases) test(`${ms} -> ${text}`, () => assert.equal(formatDuration(ms), text));
});

describe('formatExpiresIn', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  test('a fresh 24 h certificate reads 23h 59m, rounded down', () => {
    assert.equal(formatExpiresIn('2025-01-01T23:59:59.999Z', now), 'expires in 23h 59m');
    assert.equal(formatExpiresIn(new Date(now + 24 * 3600_000 - 1).toISOString(), now), 'expires in 23h 59m');
  });
  test('days, minutes and seconds', () => {
    assert.equal(formatExpiresIn('2025-01-03T03:00:00Z', now), 'expires in 2d 3h');
    assert.equal(formatExpiresIn('2025-01-01T00:04:10Z', now), 'expires in 4m 10s');
    assert.equal(formatExpiresIn('2025-01-01T00:00:12Z', now), 'expires in 12s');
  });
  test('expired and unreadable', () => {
    assert.equal(formatExpiresIn('2024-12-31T23:55:00Z', now), 'expired 5m 0s ago');
    assert.equal(formatExpiresIn('not a date', now), 'expiry unknown');
  });
});

test('nodeLabel is app and version, or the app alone', () => {
  assert.equal(nodeLabel({ app: 'reviews', version: 'v2' }), 'reviews v2');
  assert.equal(nodeLabel({ app: 'istio-ingressgateway' }), 'istio-ingressgateway');
});

test('nodeSubtitle says gateway, namespace and offline', () => {
  assert.equal(nodeSubtitle({ kind: 'sidecar', namespace: 'default', connected: true }), 'default');
  assert.equal(nodeSubtitle({ kind: 'gateway', namespace: 'istio-system', connected: true }), 'gateway · istio-system');
  assert.equal(nodeSubtitle({ kind: 'sidecar', namespace: 'default', connected: false }), 'default · disconnected');
  assert.equal(nodeSubtitle({ kind: 'unknown', namespace: '', connected: false }), 'outside the mesh · disconnected');
});

test('healthOf: green, orange, red by error rate', () => {
  assert.equal(healthOf(0), 'ok');
  assert.equal(healthOf(0.0005), 'ok');
  assert.equal(healthOf(0.02), 'warn');
  assert.equal(healthOf(0.1), 'bad');
  assert.equal(healthOf(1), 'bad');
});

describe('edgeLabelLines', () => {
  test('rate and share, then p99', () => {
    assert.deepEqual(edgeLabelLines({ rps: 12.34, share: 0.903, errorRate: 0, p99Ms: 14.2 }), ['12.3 rps · 90%', 'p99 14 ms']);
  });
  test('errors only when there are some', () => {
    assert.deepEqual(edgeLabelLines({ rps: 2, share: 1, errorRate: 0.25, p99Ms: 3 }), ['2 rps · 100%', 'p99 3 ms · 25% errors']);
  });
  test('no requests: no p99 line', () => {
    assert.deepEqual(edgeLabelLines({ rps: 0, share: 0, errorRate: 0 }), ['0 rps · 0%']);
  });
  test('a gRPC edge says so; a TCP edge shows connections and bytes', () => {
    assert.deepEqual(edgeLabelLines({ rps: 3, share: 0.8, errorRate: 0, p99Ms: 2, protocol: 'grpc' }), ['gRPC 3 rps · 80%', 'p99 2 ms']);
    assert.deepEqual(edgeLabelLines({ rps: 1, share: 0.5, errorRate: 0, protocol: 'tcp', bytesPerSecond: 1536 }), ['TCP 1 conn/s · 50%', '1.5 KiB/s']);
    assert.deepEqual(edgeLabelLines({ rps: 1, share: 1, errorRate: 0.2, protocol: 'tcp', bytesPerSecond: 100 }), ['TCP 1 conn/s · 100%', '100 B/s · 20% failed']);
  });
});

test('shareAttribute has three decimals', () => {
  assert.equal(shareAttribute(0.9026), '0.903');
  assert.equal(shareAttribute(1), '1.000');
  assert.equal(shareAttribute(0), '0.000');
  assert.equal(shareAttribute(Number.NaN), '0.000');
});

test('edgeWidth grows with the rate but stays bounded', () => {
  assert.equal(edgeWidth(0), 1.5);
  assert.ok(edgeWidth(10) > edgeWidth(1));
  assert.ok(edgeWidth(1e9) <= 6);
});

test('a scenario reads as its step and state; a running one that went quiet says so', () => {
  const at = Date.parse('2026-11-23T10:00:00Z');
  const view = { state: 'running' as const, step: { index: 2, of: 5, title: 't' }, updatedAt: '2026-11-23T10:00:00Z' };
  assert.deepEqual(formatScenarioProgress(view, at + 5_000), { text: 'step 2 of 5 · running', stale: false });
  assert.deepEqual(formatScenarioProgress({ ...view, step: { index: 3, title: 't' } }, at), { text: 'step 3 · running', stale: false });
  assert.deepEqual(formatScenarioProgress(view, at + 90_000), { text: 'step 2 of 5 · no report for 1m 30s; the run may have stopped', stale: true });
  assert.deepEqual(formatScenarioProgress({ ...view, state: 'passed' }, at + 90_000), { text: 'step 2 of 5 · passed', stale: false }, 'a finished run is never stale');
  assert.equal(formatScenarioProgress({ ...view, step: { index: 0, title: 'starting' } }, at).text, 'starting · running');
});
