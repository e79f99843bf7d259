import assert from 'node:assert/strict';
import { test } from 'node:test';
import { colorFor, formatPrefix, formatSeconds, indentLines, shouldUseColor } from './output-format.js';

test('the prefix is padded so the bars line up', () => {
  assert.equal(formatPrefix('cp', 8, false), 'cp       │ ');
  assert.equal(formatPrefix('reviews-v1', 8, false), 'reviews-v1 │ ');
});

test('colour wraps the prefix in an ANSI colour and resets it', () => {
  const coloured = formatPrefix('cp', 4, true);
  assert.equal(coloured, `\x1b[${colorFor('cp')}mcp   │ \x1b[0m`);
  assert.equal(colorFor('cp'), colorFor('cp'), 'stable per name');
});

test('colour only on a TTY and only without NO_COLOR', () => {
  assert.equal(shouldUseColor({ isTTY: true }, {}), true);
  assert.equal(shouldUseColor({ isTTY: false }, {}), false);
  assert.equal(shouldUseColor({}, {}), false);
  assert.equal(shouldUseColor({ isTTY: true }, { NO_COLOR: '1' }), false);
});

test('seconds with one decimal, and indented output', () => {
  assert.equal(formatSeconds(420), '0.4 s');
  assert.equal(formatSeconds(12_345), '12.3 s');
  assert.equal(indentLines(['a', 'b']), '  │ a\n  │ b');
  assert.equal(indentLines([]), '  (it printed nothing)');
});
