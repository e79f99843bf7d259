// `skiff scenario run canary` against a real local mesh: the CLI process moves the weights in
// the mesh's config directory, sends traffic through the gateway, reads reviews-v2's sidecar
// metrics each interval, and promotes a healthy v2 or rolls back a failing one.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseConfigFile, type VirtualService } from '@skiff/api';
import { repoRoot, startTestMesh, type TestMesh } from '@skiff/testing';

const CANARY = `apiVersion: skiff.dev/v1alpha1
kind: Canary
metadata:
  name: reviews
spec:
  service: reviews
  primary: v1
  canary: v2
  analysis:
    interval: 2s
    threshold: 2
    stepWeights: [25, 50]
    metrics:
    - name: request-success-rate
      thresholdRange: { min: 99 }
    - name: request-duration
      thresholdRange: { max: 500 }
`;

interface Run {
  code: number;
  steps: Array<{ weight: number; action: string; canary: { requests: number; successRate?: number }; traffic: { byOutcome: Record<string, number> }; state: { canaryWeight: number } }>;
  result: { phase: string; verdict: string; file: string } | undefined;
  stderr: string;
}

function runScenario(mesh: TestMesh): Promise<Run> {
  const file = join(mkdtempSync(join(tmpdir(), 'skiff-canary-')), 'canary.yaml');
  writeFileSync(file, CANARY);
  const args = ['--import', 'tsx', join(repoRoot, 'bin/skiff.mjs'), 'scenario', 'run', 'canary', '--file', file, '--config', mesh.configDir, '--gateway', `${mesh.gateway}/api/product/1`, '--control-plane', mesh.controlPlane, '--rate', '25', '--json'];
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

  test('steps 25% -> 50% -> promoted; the config and the live traffic end at 100% v2; exit 0', async (t) => {
    const run = await runScenario(mesh);
    t.diagnostic(run.steps.map((s) => `${s.weight}% ${s.action} (v2 ${s.canary.requests} req, ${s.canary.successRate}% ok; gateway saw ${JSON.stringify(s.traffic.byOutcome)})`).join('; '));
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.steps.map((s) => [s.weight, s.action]), [[25, 'advance'], [50, 'promote']]);
    assert.equal(run.result?.phase, 'Succeeded');
    for (const s of run.steps) assert.ok(s.canary.requests > 0, 'v2 was measured on its own traffic every interval');
    // At 25%, of ~50 answers in a step the gateway saw some from v2 and more from v1.
    const first = run.steps[0]?.traffic.byOutcome ?? {};
    assert.ok((first['v2'] ?? 0) > 0 && (first['v1'] ?? 0) > (first['v2'] ?? 0), JSON.stringify(first));
    assert.deepEqual(reviewsWeights(mesh), { v1: 0, v2: 100 });
    await new Promise((r) => setTimeout(r, 1500)); // the last push reaches the sidecars
    assert.deepEqual(await versionsSeen(mesh, 20), { v2: 20 });
  });
});

describe('skiff scenario run canary: a failing v2 is rolled back', { timeout: 180_000 }, () => {
  let mesh: TestMesh;
  before(async () => {
    mesh = await startTestMesh({ appEnv: { 'reviews-v2': { FAIL_PERCENT: '50' } } });
  });
  after(() => mesh?.stop());

  test('v2 never goes past its first step, is rolled back after 2 failed checks, and v1 takes 100% again; exit 1', async (t) => {
    const run = await runScenario(mesh);
    t.diagnostic(run.steps.map((s) => `${s.weight}% ${s.action} (v2 ${s.canary.requests} req, ${s.canary.successRate?.toFixed(1)}% ok)`).join('; '));
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.result?.phase, 'Failed');
    assert.deepEqual(run.steps.map((s) => [s.weight, s.action]), [[25, 'hold'], [25, 'rollback']]);
    for (const s of run.steps) assert.ok((s.canary.successRate ?? 100) < 99, `v2's measured success rate ${s.canary.successRate} is below the threshold`);
    assert.deepEqual(reviewsWeights(mesh), { v1: 100, v2: 0 });
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(await versionsSeen(mesh, 20), { v1: 20 });
  });
});
