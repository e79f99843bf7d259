import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fnv1a, fnv1aDigits, hash32, mix32 } from './hash.js';

test('FNV-1a matches the published 32-bit test vectors', () => {
  assert.equal(fnv1a(''), 0x811c9dc5);
  assert.equal(fnv1a('a'), 0xe40c292c);
  assert.equal(fnv1a('foobar'), 0xbf9cf968);
});

test('hashing digits in place equals hashing the decimal string, from any prefix state', () => {
  const prefix = fnv1a('10.0.0.1:9080_');
  for (const n of [0, 1, 9, 10, 99, 100, 1023, 65536, 123456789]) assert.equal(fnv1aDigits(n, prefix), fnv1a(String(n), prefix), `n=${n}`);
});

test('the finaliser spreads one changed input bit over about half the output bits', () => {
  let flipped = 0;
  const samples = 2000;
  for (let i = 0; i < samples; i++) {
    let x = mix32(i) ^ mix32(i ^ 1);
    for (; x; x &= x - 1) flipped++;
  }
  const mean = flipped / samples;
  assert.ok(Math.abs(mean - 16) < 1, `mean flipped bits ${mean}`);
  assert.equal(hash32('x'), mix32(fnv1a('x')));
});
