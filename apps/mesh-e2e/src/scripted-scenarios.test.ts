// Every scripted scenario of `skiff scenario run` (besides ab, which has its own file) against
// one real local mesh with mTLS, through the real CLI with --json: each must pass, the figures
// behind its verdict must be what Istio's task says, and the mesh must be left as it was found.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { appAdmin, repoRoot, startTestMesh, type TestMesh } from '@skiff/testing';

interface Line {
  probe?: { step: string; label: string; counts: Record<string, number>; ok: boolean; reasons: string[] };
  watch?: { step: string; title: string; lines: string[]; ok?: boolean; reasons?: string[] };
  result?: { ok: boolean; verdict: string };
}

describe('skiff scenario run <fault|circuit-breaker|mirror|mtls|authz>', { timeout: 600_000 }, () => {
  let mesh: TestMesh;
  let configBefore: Record<string, string>;
  before(async () => {
    mesh = await startTestMesh();
    configBefore = snapshotConfig();
  });
  after(() => mesh?.stop());

  function snapshotConfig(): Record<string, string> {
    return Object.fromEntries(readdirSync(mesh.configDir).sort().map((f) => [f, readFileSync(join(mesh.configDir, f), 'utf8')]));
  }

  async function run(t: TestContext, name: string): Promise<{ probes: NonNullable<Line['probe']>[]; watches: NonNullable<Line['watch']>[] }> {
    const args = ['--import', 'tsx', join(repoRoot, 'bin/skiff.mjs'), 'scenario', 'run', name, '--config', mesh.configDir, '--gateway', `${mesh.gateway}/api/product/1`, '--control-plane', mesh.controlPlane, '--mesh-token-file', mesh.state?.meshTokenFile ?? '', '--json'];
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, args, { cwd: repoRoot, timeout: 240_000 }, (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr })),
    );
    const lines = out.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
    const probes = lines.flatMap((l) => (l.probe ? [l.probe] : []));
    const watches = lines.flatMap((l) => (l.watch ? [l.watch] : []));
    t.diagnostic([...probes.map((p) => `${p.step} / ${p.label}: ${JSON.stringify(p.counts)} ${p.reasons.filter((r) => r.includes('took')).join('')}`), ...watches.map((w) => `${w.step} / ${w.title}: ${w.lines.join(' | ')}`)].join('\n'));
    assert.equal(out.code, 0, `${out.stderr}\n${out.stdout}`);
    assert.equal(lines.at(-1)?.result?.ok, true);
    assert.deepEqual(snapshotConfig(), configBefore, 'the config directory is as it was');
    return { probes, watches };
  }

  const probe = (probes: NonNullable<Line['probe']>[], step: string, label: string) => {
    const found = probes.find((p) => p.step.startsWith(step) && p.label === label);
    assert.ok(found, `no probe "${label}" in step "${step}"`);
    return found;
  };

  test('fault: delay and abort for jason only, a timeout cuts the delay, retries hide a flaky v2', async (t) => {
    const { probes } = await run(t, 'fault');
    assert.deepEqual(probe(probes, 'delay', 'jason').counts, { v2: 4 });
    assert.deepEqual(probe(probes, 'abort', 'jason').counts, { 'v2, ratings 500': 20 });
    assert.deepEqual(probe(probes, 'abort', 'everyone else').counts, { v1: 20 });
    assert.deepEqual(probe(probes, 'timeout', 'jason').counts, { 'HTTP 502, reviews 504': 4 });
    const flaky = probe(probes, 'retries: reviews v2 fails', 'everyone').counts;
    assert.ok((flaky['HTTP 502, reviews 500'] ?? 0) >= 6, `without retries about 30% fail: ${JSON.stringify(flaky)}`);
    const retried = probe(probes, 'retries: 3 attempts', 'everyone').counts;
    assert.ok((retried['HTTP 502, reviews 500'] ?? 0) <= 4, `with 3 retries almost none fail: ${JSON.stringify(retried)}`);
    assert.deepEqual(await appAdmin(mesh, 'reviews-v2').behaviour(), { failPercent: 0, extraLatencyMs: 0 }, 'v2 behaves again');
  });

  test('circuit-breaker: a burst overflows with 503 while one caller at a time passes; a failing v2 is ejected', async (t) => {
    const { probes } = await run(t, 'circuit-breaker');
    assert.deepEqual(probe(probes, 'connection pool', 'one caller at a time').counts, { v1: 5 });
    const burst = probe(probes, 'connection pool', 'a burst of 20 callers at once').counts;
    assert.ok((burst['HTTP 503'] ?? 0) >= 10 && (burst['v1'] ?? 0) >= 1, JSON.stringify(burst));
    const ejected = probe(probes, 'outlier detection', '30 requests, one after another').counts;
    assert.ok((ejected['v1'] ?? 0) >= 26, JSON.stringify(ejected));
    assert.deepEqual(await appAdmin(mesh, 'reviews-v1').behaviour(), { failPercent: 0, extraLatencyMs: 0 });
    assert.deepEqual(await appAdmin(mesh, 'reviews-v2').behaviour(), { failPercent: 0, extraLatencyMs: 0 });
  });

  test('mirror: v2 gets a copy of every request and fails half of them, while users only ever see v1', async (t) => {
    const { probes, watches } = await run(t, 'mirror');
    for (const p of probes) assert.deepEqual(p.counts, { v1: 30 }, `${p.step}: users see v1 only`);
    const mirrored = watches.filter((w) => w.ok !== undefined);
    assert.equal(mirrored.length, 3);
    assert.match(mirrored[0]?.reasons?.[0] ?? '', /reviews-v2 received 0 copies of 30 requests/);
    assert.match(mirrored[1]?.reasons?.[0] ?? '', /reviews-v2 received 30 copies of 30 requests/);
    const failingShadow = mirrored[2]?.lines[1] ?? '';
    const success = Number(/success\s+([\d.]+)%/.exec(failingShadow)?.[1]);
    assert.ok(success > 15 && success < 85, `the shadow failing 50% shows it: ${failingShadow}`);
  });

  test('mtls: PERMISSIVE serves a plaintext client, STRICT refuses it; callers are shown with their identities', async (t) => {
    const { probes, watches } = await run(t, 'mtls');
    assert.deepEqual(probe(probes, 'PERMISSIVE', 'a plaintext client, straight to reviews-v1').counts, { v1: 10 });
    assert.deepEqual(probe(probes, 'STRICT', 'a plaintext client, straight to reviews-v1').counts, { 'no HTTP answer': 10 });
    assert.deepEqual(probe(probes, 'STRICT', 'users, through the mesh').counts, { v1: 10 });
    const permissive = watches[0]?.lines.join('\n') ?? '';
    assert.match(permissive, /10 × spiffe:\/\/cluster\.local\/ns\/default\/sa\/frontend over mTLS -> spiffe:\/\/cluster\.local\/ns\/default\/sa\/reviews/);
    assert.match(permissive, /10 × no identity \(unknown\) over plaintext/);
    assert.doesNotMatch(watches[1]?.lines.join('\n') ?? '', /plaintext/, 'under STRICT no plaintext request got through');
  });

  test('authz: ratings admits reviews and refuses frontend with 403; DENY wins over ALLOW', async (t) => {
    const { probes } = await run(t, 'authz');
    assert.deepEqual(probe(probes, 'no policy', 'frontend calls ratings').counts, { 'HTTP 200': 10 });
    assert.deepEqual(probe(probes, 'ALLOW', 'frontend calls ratings').counts, { 'HTTP 403': 10 });
    assert.deepEqual(probe(probes, 'ALLOW', 'users (reviews v2 calls ratings)').counts, { v2: 10 });
    assert.deepEqual(probe(probes, 'add DENY', 'users (reviews v2 calls ratings)').counts, { 'v2, ratings 403': 10 });
  });

  test('Ctrl-C (SIGINT) during a step stops the run, puts config and behaviour back; exit 130', async () => {
    const args = ['--import', 'tsx', join(repoRoot, 'bin/skiff.mjs'), 'scenario', 'run', 'fault', '--config', mesh.configDir, '--gateway', `${mesh.gateway}/api/product/1`, '--control-plane', mesh.controlPlane, '--mesh-token-file', mesh.state?.meshTokenFile ?? '', '--json'];
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Stop it inside step 4, after reviews v2 was told to fail: the behaviour must come back too.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`step 4 never started: ${out} ${stderr}`)), 120_000);
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('"index":4')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    const result = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line).find((l) => l.result)?.result;
    assert.deepEqual(result, { ok: false, verdict: 'interrupted' });
    assert.deepEqual(snapshotConfig(), configBefore, 'the config directory is as it was');
    assert.deepEqual(await appAdmin(mesh, 'reviews-v2').behaviour(), { failPercent: 0, extraLatencyMs: 0 }, 'v2 behaves again');
  });
});
