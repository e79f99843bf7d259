import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseCanary } from '@skiff/scenarios';
import { DEFAULT_CANARY } from '../commands/scenario.js';
import { repoRoot } from '../test-support.js';
import { subsetLabels, writeWeight } from './canary-runner.js';
import { percentile } from './percentile.js';

const spec = parseCanary('built-in', DEFAULT_CANARY);

function repoConfigCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-canary-config-'));
  cpSync(join(repoRoot, 'config'), dir, { recursive: true });
  return dir;
}

test('the built-in canary moves the repo config\'s reviews weights in config/reviews.yaml, atomically', () => {
  const dir = repoConfigCopy();
  const file = writeWeight(dir, spec, 25);
  assert.equal(file, join(dir, 'reviews.yaml'));
  const text = readFileSync(file, 'utf8');
  assert.match(text, /subset: v1\n\s+weight: 75/);
  assert.match(text, /subset: v2\n\s+weight: 25/);
  assert.match(text, /^# Canary: 90% of calls to reviews go to v1/, 'the file\'s own comments stay');
  assert.deepEqual(readdirSync(dir).filter((n) => n.includes('tmp')), [], 'no temporary file left behind');
});

test('with no VirtualService for the service, the runner writes its own file', () => {
  const dir = repoConfigCopy();
  writeFileSync(join(dir, 'reviews.yaml'), readFileSync(join(dir, 'reviews.yaml'), 'utf8').split('---')[1] as string);
  const file = writeWeight(dir, spec, 10);
  assert.equal(file, join(dir, 'canary-reviews.yaml'));
  assert.match(readFileSync(file, 'utf8'), /subset: v2\n\s+weight: 10/);
});

test('subsets come from the DestinationRule; a missing one is an error that says why it is needed', () => {
  const dir = repoConfigCopy();
  assert.deepEqual(subsetLabels(dir, spec, 'v2'), { version: 'v2' });
  assert.throws(() => subsetLabels(dir, spec, 'v3'), /no DestinationRule in .* defines subset "v3" of reviews; the canary moves weight between DestinationRule subsets/);
  assert.throws(() => subsetLabels(join(dir, 'nope'), spec, 'v2'), /config directory .*nope does not exist; pass --config <dir>/);
});

test('percentile by nearest rank', () => {
  assert.equal(percentile([5, 1, 3, 2, 4], 0.5), 3);
  assert.equal(percentile([5, 1, 3, 2, 4], 0.99), 5);
  assert.equal(percentile([7], 0.99), 7);
});
