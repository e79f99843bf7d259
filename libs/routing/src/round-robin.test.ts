import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RoundRobin } from './round-robin.js';

function take<T>(rr: RoundRobin<T>, n: number, accept?: (item: T) => boolean): Array<T | undefined> {
  return Array.from({ length: n }, () => rr.next(accept));
}

describe('RoundRobin', () => {
  test('cycles through the list in order', () => {
    assert.deepEqual(take(new RoundRobin(['a', 'b', 'c']), 7), ['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  test('an empty list gives undefined', () => {
    assert.equal(new RoundRobin<string>().next(), undefined);
    assert.equal(new RoundRobin<string>([]).next(), undefined);
  });

  test('start offsets the first pick', () => {
    assert.deepEqual(take(new RoundRobin(['a', 'b', 'c'], 2), 4), ['c', 'a', 'b', 'c']);
    assert.deepEqual(take(new RoundRobin(['a', 'b', 'c'], 7), 2), ['b', 'c']);
  });

  test('a replaced list continues from the same position instead of restarting', () => {
    const rr = new RoundRobin(['a', 'b', 'c']);
    assert.deepEqual(take(rr, 2), ['a', 'b']);
    rr.replace(['A', 'B', 'C', 'D']);
    assert.deepEqual(rr.items, ['A', 'B', 'C', 'D']);
    assert.deepEqual(take(rr, 4), ['C', 'D', 'A', 'B']);
  });

  test('a shorter replacement wraps the position into range', () => {
    const rr = new RoundRobin(['a', 'b', 'c', 'd', 'e']);
    take(rr, 3); // next would be index 3
    rr.replace(['x', 'y']);
    assert.deepEqual(take(rr, 3), ['y', 'x', 'y'], 'index 3 wraps to 1 in a list of 2');
    rr.replace([]);
    assert.equal(rr.next(), undefined);
    rr.replace(['z']);
    assert.deepEqual(take(rr, 2), ['z', 'z']);
  });

  test('accept skips rejected entries and keeps the rotation fair among the rest', () => {
    const rr = new RoundRobin([1, 2, 3, 4]);
    const healthy = (n: number) => n !== 2;
    assert.deepEqual(take(rr, 6, healthy), [1, 3, 4, 1, 3, 4]);
  });

  test('when accept rejects everything, next gives undefined after one lap', () => {
    const rr = new RoundRobin([1, 2, 3]);
    let calls = 0;
    assert.equal(
      rr.next(() => {
        calls++;
        return false;
      }),
      undefined,
    );
    assert.equal(calls, 3);
  });

  test('each entry gets an equal share', () => {
    const rr = new RoundRobin(['a', 'b', 'c']);
    const counts = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const x = rr.next() as string;
      counts.set(x, (counts.get(x) ?? 0) + 1);
    }
    assert.deepEqual([...counts.values()], [1000, 1000, 1000]);
  });
});
