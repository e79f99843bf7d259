import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseCanary } from '@skiff/scenarios';
import { repoRoot, runCli, show } from '../test-support.js';
import { DEFAULT_CANARY, formatProbe, formatProbeProgress, formatStep, formatTick } from './scenario.js';

test('skiff scenario: list, --help, and usage errors that say what to do', async () => {
  const list = await runCli(['scenario', 'list']);
  assert.equal(list.code, 0, show(list));
  assert.match(list.stdout, /^canary\s+shift reviews from v1 to v2/m);
  assert.match(list.stdout, /^ab\s+A\/B routing: jason/m);
  for (const name of ['fault', 'circuit-breaker', 'mirror', 'mtls', 'authz']) assert.match(list.stdout, new RegExp(`^${name}\\s+.+\\(Istio: `, 'm'));
  const help = await runCli(['scenario', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--file <canary.yaml>/);
  const unknown = await runCli(['scenario', 'run', 'blue-green']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown scenario "blue-green"; scenarios: canary, ab, fault, circuit-breaker, mirror, mtls, authz/);
  const file = await runCli(['scenario', 'run', 'ab', '--file', 'x.yaml']);
  assert.equal(file.code, 2);
  assert.match(file.stderr, /--file is for the canary scenario/);
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

test('the live line and the step line say where the canary is and what was seen', () => {
  const spec = parseCanary('built-in', DEFAULT_CANARY);
  assert.equal(formatTick({ iteration: 2, weight: 25, elapsedMs: 5000, intervalMs: 10_000, traffic: { sent: 90, byOutcome: { v1: 60, v2: 20 } } }, spec), 'step 2: v2 at 25% [##########..........] 5/10 s  seen v1 60  v2 20');
  const line = formatStep(
    {
      iteration: 1,
      weight: 10,
      traffic: { sent: 200, byOutcome: { v1: 170, v2: 20, 'HTTP 502': 10 }, p99Ms: 30 },
      canary: { requests: 30, successRate: 66.7, p99Ms: 12 },
      checks: [
        { name: 'request-success-rate', value: 66.7, ok: false, reason: '66.7% < 99%' },
        { name: 'request-duration', value: 12, ok: true, reason: '12 ms <= 500 ms' },
      ],
      action: 'hold',
      state: { phase: 'Progressing', canaryWeight: 10, failedChecks: 1, iterations: 1 },
    },
    spec,
  );
  assert.equal(line, 'step 1: v2 at  10%  seen v1 85% v2 10% failed 10×HTTP 502  v2: 30 req  ✖ request-success-rate 66.7% < 99%; ✔ request-duration 12 ms <= 500 ms  -> hold (failed checks 1/2)');
});

test('a scripted probe prints its verdict with the success rate and p99 of its answers; a terminal sees its progress', () => {
  const probe = { label: 'jason', count: 4, expect: { v2: 100 } };
  const line = formatProbe({ step: 's', probe, counts: { v2: 3, 'HTTP 502, reviews 500': 1 }, latenciesMs: [10, 20, 30, 2500], succeeded: 3, verdict: { ok: false, reasons: ['✖ HTTP 502, reviews 500 1/4, expected 0%', '✖ v2 3/4, expected 100%'] } });
  assert.equal(line, '  ✖ jason: ✖ HTTP 502, reviews 500 1/4, expected 0%; ✖ v2 3/4, expected 100%  [4 answers, 75% 2xx, p99 2500 ms]');
  assert.equal(formatProbeProgress(probe, 1), '  … jason [#####...............] 1/4');
  assert.equal(formatProbeProgress(probe, 4), '  … jason [####################] 4/4');
});
