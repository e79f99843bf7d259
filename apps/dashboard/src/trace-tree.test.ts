import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TraceSpan } from '@skiff/telemetry';
import { axisTicks, buildWaterfall } from './trace-tree.js';

function span(spanId: string, parentSpanId: string | undefined, startTime: number, durationMs: number, service = 'frontend.default'): TraceSpan {
  return {
    traceId: 't1',
    spanId,
    ...(parentSpanId === undefined ? {} : { parentSpanId }),
    name: `op ${spanId}`,
    service,
    kind: 'server',
    startTime,
    durationMs,
    attributes: {},
    error: false,
  };
}

// gateway -> frontend -> (reviews -> ratings), as the sample app's spans arrive: shuffled.
const spans = [
  span('ratings', 'reviews', 1030, 10),
  span('gw', undefined, 1000, 100),
  span('reviews', 'front', 1020, 40),
  span('front', 'gw', 1010, 80),
  span('late', 'front', 1070, 15),
];

describe('buildWaterfall', () => {
  const w = buildWaterfall(spans);

  test('parents before children, depth by the parent chain, siblings by start', () => {
    assert.deepEqual(
      w.rows.map((r) => [r.span.spanId, r.depth]),
      [
        ['gw', 0],
        ['front', 1],
        ['reviews', 2],
        ['ratings', 3],
        ['late', 2],
      ],
    );
  });

  test('offsets and bars relative to the trace', () => {
    assert.equal(w.startTime, 1000);
    assert.equal(w.totalMs, 100);
    const reviews = w.rows.find((r) => r.span.spanId === 'reviews');
    assert.equal(reviews?.offsetMs, 20);
    assert.equal(reviews?.leftPct, 20);
    assert.equal(reviews?.widthPct, 40);
  });

  test('the trace ends at the latest end, not the root end', () => {
    const w2 = buildWaterfall([span('a', undefined, 0, 10), span('b', 'a', 5, 20)]);
    assert.equal(w2.totalMs, 25);
    assert.equal(w2.rows[1]?.widthPct, 80);
  });

  test('a span whose parent has not arrived is a root, marked orphan', () => {
    const w2 = buildWaterfall([span('x', 'missing', 10, 5), span('y', undefined, 0, 20)]);
    assert.deepEqual(
      w2.rows.map((r) => [r.span.spanId, r.depth, r.orphan]),
      [
        ['y', 0, false],
        ['x', 0, true],
      ],
    );
  });

  test('duplicates once, cycles terminate, every span shown', () => {
    const w2 = buildWaterfall([span('a', 'b', 0, 1), span('b', 'a', 1, 1), span('a', 'b', 0, 1), span('c', 'c', 2, 1)]);
    assert.deepEqual(w2.rows.map((r) => r.span.spanId).sort(), ['a', 'b', 'c']);
  });

  test('empty and zero-length traces', () => {
    assert.deepEqual(buildWaterfall([]), { startTime: 0, totalMs: 0, rows: [] });
    const w2 = buildWaterfall([span('a', undefined, 5, 0)]);
    assert.equal(w2.rows[0]?.widthPct, 0);
    assert.equal(w2.rows[0]?.leftPct, 0);
  });
});

test('axisTicks are round numbers covering the trace', () => {
  assert.deepEqual(axisTicks(100), [0, 50, 100]);
  assert.deepEqual(axisTicks(37), [0, 10, 20, 30]);
  assert.deepEqual(axisTicks(0.9), [0, 0.5]);
  assert.deepEqual(axisTicks(0), [0]);
});
