import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot, runCli, show } from '../test-support.js';

test('skiff scenario: list, --help, and usage errors that say what to do', async () => {
  const list = await runCli(['scenario', 'list']);
  assert.equal(list.code, 0, show(list));
  assert.match(list.stdout, /^canary\s+shift reviews from v1 to v2/m);
  const help = await runCli(['scenario', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--file <canary.yaml>/);
  const unknown = await runCli(['scenario', 'run', 'blue-green']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown scenario "blue-green"; scenarios: canary/);
  const rate = await runCli(['scenario', 'run', 'canary', '--rate', 'fast']);
  assert.equal(rate.code, 2);
  assert.match(rate.stderr, /--rate must be a number of requests per second/);
});

test('skiff scenario run canary with no mesh running: exit 1, says to start it, and changes no config', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-scenario-'));
  cpSync(join(repoRoot, 'config'), dir, { recursive: true });
  const before = readFileSync(join(dir, 'reviews.yaml'), 'utf8');
  const run = await runCli(['scenario', 'run', 'canary', '--config', dir, '--control-plane', 'http://127.0.0.1:1']);
  assert.equal(run.code, 1, show(run));
  assert.match(run.stderr, /cannot reach the control plane at http:\/\/127\.0\.0\.1:1 .*is the mesh running \(npm start\)\?/);
  assert.equal(readFileSync(join(dir, 'reviews.yaml'), 'utf8'), before);
});
