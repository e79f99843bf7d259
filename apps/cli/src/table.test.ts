import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTable } from './table.js';

test('columns are padded to their widest cell, with no trailing spaces', () => {
  const out = formatTable(['NAME', 'PORT'], [['reviews.default', '9080'], ['a', '1']], { gap: 2 });
  assert.equal(out, ['NAME             PORT', 'reviews.default  9080', 'a                1'].join('\n'));
});

test('an empty last cell leaves no trailing space; indent prefixes every line', () => {
  const out = formatTable(['A', 'B'], [['x', '']], { indent: '  ', gap: 1 });
  assert.equal(out, '  A B\n  x');
});

test('width counts characters, not UTF-16 units, so astral characters like 𝔁 line up', () => {
  const out = formatTable(['K', 'V'], [['𝔁', '1'], ['ab', '2']], { gap: 1 });
  assert.deepEqual(out.split('\n').map((l) => [...l].indexOf(l.at(-1) as string)), [3, 3, 3]);
});
