// `skiff scenario run canary` against a real local mesh: the CLI process moves the weights in
// the mesh's config directory, sends traffic through the gateway, reads reviews-v2's sidecar
// metrics each interval, and promotes a healthy v2 or rolls back a failing one.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseConfigFile, type VirtualService } from '@skiff/api';
import { prometheusMissing, repoRoot, startPrometheus, startTestMesh, type TestMesh } from '@skiff/testing';
import { canarySpec } from './fixtures.js';

// threshold and the p99 bound are parameters: a healthy canary's first interval on a busy CI
// machine can be slow (cold connections and JIT), which Flagger's rules answer with a hold.
const canary = (threshold: number, maxP99Ms: number, interval = '2s') => canarySpec({ threshold, maxP99Ms, interval, stepWeights: [25, 50] });

interface Run {
  code: number;
  steps: Array<{ weight: number; action: string; canary: { requests: number; successRate?: number }; traffic: { byOutcome: Record<string, number> }; state: { canaryWeight: number } }>;
  result: { phase: string; verdict: string; file: string } | undefined;
  stderr: string;
}

function scenarioArgs(mesh: TestMesh, spec: string, extra: string[] = []): string[] {
  const file = join(mkdtempSync(join(tmpdir(), 'skiff-canary-')), 'canary.yaml');
  writeFileSync(file, spec);
  return ['--import', 'tsx', join(repoRoot, 'bin/skiff.mjs'), 'scenario', 'run', 'canary', '--file', file, '--config', mesh.configDir, '--gateway', `${mesh.gateway}/api/product/1`, '--control-plane', mesh.controlPlane, '--mesh-token-file', mesh.state?.meshTokenFile ?? '', '--rate', '25', '--json', ...extra];
}

function runScenario(mesh: TestMesh, spec: string, extra: string[] = []): Promise<Run> {
  const args = scenarioArgs(mesh, spec, extra);
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: repoRoot, timeout: 120_000 }, (error, stdout, stderr) => {
      const lines = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { step?: Run['steps'][number]; result?: Run['result'] });
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, steps: lines.flatMap((l) => (l.step ? [l.step] : [])), result: lines.find((l) => l.result)?.result, stderr });
    });
  });
}

function reviewsWeights(mesh: TestMesh): Record<string, number | undefined> {
  const parsed = parseConfigFile('reviews.yaml', readFileSync(join(mesh.configDir, 'reviews.yaml'), 'utf8'));
  const vs = parsed.resources.find((r) => r.kind === 'VirtualService') as VirtualService;
  return Object.fromEntries((vs.spec.http?.[0]?.route ?? []).map((r) => [r.destination.subset ?? '', r.weight]));
}

async function versionsSeen(mesh: TestMesh, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${mesh.gateway}/api/product/1`);
    const body = (await res.json()) as { reviews?: { version?: string } };
    const key = res.status === 200 ? (body.reviews?.version ?? 'none') : `HTTP ${res.status}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

describe('skiff scenario run canary: a healthy v2 is promoted', { timeout: 180_000 }, () => {
  let mesh: TestMesh;
  before(async () => {
    mesh = await startTestMesh();
  });
  after(() => mesh?.stop());

  test('Ctrl-C (SIGINT) after the first step stops the canary and gives v1 100% again; exit 130', async () => {
    const child = spawn(process.execPath, scenarioArgs(mesh, canary(3, 2000)), { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no step within 30 s: ${out} ${stderr}`)), 30_000);
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('"step"')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    const result = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { result?: { phase: string } }).find((l) => l.result)?.result;
    assert.equal(result?.phase, 'Interrupted');
    assert.deepEqual(reviewsWeights(mesh), { v1: 100, v2: 0 });
  });

  test('steps 25% -> 50% -> promoted; the config and the live traffic end at 100% v2; exit 0', async (t) => {
    const run = await runScenario(mesh, canary(3, 2000));
    t.diagnostic(run.steps.map((s) => `${s.weight}% ${s.action} (v2 ${s.canary.requests} req, ${s.canary.successRate}% ok; gateway saw ${JSON.stringify(s.traffic.byOutcome)})`).join('; '));
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.result?.phase, 'Succeeded');
    // A slow first interval may hold (at most threshold - 1 times); the weight never goes down.
    assert.deepEqual(run.steps.filter((s) => s.action !== 'hold').map((s) => [s.weight, s.action]), [[25, 'advance'], [50, 'promote']]);
    assert.ok(run.steps.filter((s) => s.action === 'hold').length <= 2);
    for (const s of run.steps.filter((x) => x.action !== 'hold')) assert.ok(s.canary.requests > 0, 'v2 was measured on its own traffic');
    // At 25% the gateway saw some answers from v2 and more from v1.
    const at25 = run.steps.filter((s) => s.weight === 25).map((s) => s.traffic.byOutcome);
    const v1 = at25.reduce((n, c) => n + (c['v1'] ?? 0), 0);
    const v2 = at25.reduce((n, c) => n + (c['v2'] ?? 0), 0);
    assert.ok(v2 > 0 && v1 > v2, `at 25%: v1 ${v1}, v2 ${v2}`);
    assert.deepEqual(reviewsWeights(mesh), { v1: 0, v2: 100 });
    await new Promise((r) => setTimeout(r, 1500)); // the last push reaches the sidecars
    assert.deepEqual(await versionsSeen(mesh, 20), { v2: 20 });
  });
});

describe('skiff scenario run canary: a failing v2 is rolled back', { timeout: 180_000 }, () => {
  let mesh: TestMesh;
  before(async () => {
    // 90%, not 50%: an interval measures about ten of v2's answers, and at 50% one interval in
    // 2^10 came out all good, passed its check and advanced the canary (seen once in CI: "25%
    // advance (v2 11 req, 100.0% ok)"). At 90% that is one in 10^10.
    mesh = await startTestMesh({ appEnv: { 'reviews-v2': { FAIL_PERCENT: '90' } } });
  });
  after(() => mesh?.stop());

  test('v2 never goes past its first step, is rolled back after 2 failed checks, and v1 takes 100% again; exit 1', async (t) => {
    const run = await runScenario(mesh, canary(2, 2000));
    t.diagnostic(run.steps.map((s) => `${s.weight}% ${s.action} (v2 ${s.canary.requests} req, ${s.canary.successRate?.toFixed(1)}% ok)`).join('; '));
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.result?.phase, 'Failed');
    assert.deepEqual(run.steps.map((s) => [s.weight, s.action]), [[25, 'hold'], [25, 'rollback']]);
    // Each interval failed on v2's own answers (or had none to judge, which also fails a check).
    for (const s of run.steps) assert.ok(s.canary.successRate === undefined || s.canary.successRate < 99, `v2's measured success rate ${s.canary.successRate} is below the threshold`);
    assert.deepEqual(reviewsWeights(mesh), { v1: 100, v2: 0 });
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(await versionsSeen(mesh, 20), { v1: 20 });
  });

  test('--prometheus: the same analysis on Flagger\'s PromQL over a real Prometheus rolls the failing v2 back too', { skip: prometheusMissing() ?? false }, async (t) => {
    const prometheus = await startPrometheus(mesh);
    t.after(() => prometheus.stop());
    // 1 s scrapes: a 5 s interval holds 5 samples per series, enough for rate() and increase().
    const run = await runScenario(mesh, canary(2, 2000, '5s'), ['--prometheus', prometheus.url]);
    t.diagnostic(run.steps.map((s) => `${s.weight}% ${s.action} (Prometheus: v2 ${s.canary.requests} req, ${s.canary.successRate?.toFixed(1)}% ok)`).join('; '));
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.result?.phase, 'Failed');
    assert.deepEqual(run.steps.map((s) => [s.weight, s.action]), [[25, 'hold'], [25, 'rollback']]);
    // Prometheus saw v2's own answers, and half of them failing.
    assert.ok(run.steps.some((s) => s.canary.requests > 0 && s.canary.successRate !== undefined && s.canary.successRate < 99), 'a measured interval from Prometheus shows the failures');
    assert.deepEqual(reviewsWeights(mesh), { v1: 100, v2: 0 });
  });
});
