import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LineSplitter, RingBuffer } from './output-lines.js';

describe('RingBuffer', () => {
  test('keeps the last items, oldest first', () => {
    const buffer = new RingBuffer<number>(3);
    for (let i = 1; i <= 7; i++) buffer.push(i);
    assert.deepEqual(buffer.toArray(), [5, 6, 7]);
    assert.deepEqual(buffer.toArray(2), [6, 7]);
    assert.equal(buffer.size, 3);
  });

  test('below capacity returns everything pushed', () => {
    const buffer = new RingBuffer<string>(5);
    buffer.push('a');
    buffer.push('b');
    assert.deepEqual(buffer.toArray(), ['a', 'b']);
    assert.deepEqual(buffer.toArray(10), ['a', 'b']);
  });

  test('rejects a capacity that is not a positive integer', () => {
    assert.throws(() => new RingBuffer(0), /positive integer/);
  });
});

describe('LineSplitter', () => {
  test('joins lines split across chunks and strips \\r', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    splitter.write('hel');
    splitter.write('lo\r\nwor');
    splitter.write('ld\n\nlast');
    assert.deepEqual(lines, ['hello', 'world', '']);
    splitter.flush();
    assert.deepEqual(lines, ['hello', 'world', '', 'last']);
  });

  test('cuts a line that never ends', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line), 4);
    splitter.write('abcdefghij');
    assert.deepEqual(lines, ['abcd', 'efgh']);
    splitter.flush();
    assert.deepEqual(lines, ['abcd', 'efgh', 'ij']);
  });
});
