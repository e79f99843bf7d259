// `skiff scenario run ab` against a real local mesh: the CLI writes the A/B VirtualService,
// waits for every proxy to ACK it, probes through the gateway as jason (header and cookie) and
// as others, and puts the config file back afterwards.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoRoot, startTestMesh, type TestMesh } from '@skiff/testing';

describe('skiff scenario run ab', { timeout: 180_000 }, () => {
  let mesh: TestMesh;
  before(async () => {
    mesh = await startTestMesh();
  });
  after(() => mesh?.stop());

  test('jason gets v2 by header and by cookie, others v1; exit 0; reviews.yaml is put back', async (t) => {
    const original = readFileSync(join(mesh.configDir, 'reviews.yaml'), 'utf8');
    const args = ['--import', 'tsx', join(repoRoot, 'bin/skiff.mjs'), 'scenario', 'run', 'ab', '--config', mesh.configDir, '--gateway', `${mesh.gateway}/api/product/1`, '--control-plane', mesh.controlPlane, '--mesh-token-file', mesh.state?.meshTokenFile ?? '', '--json'];
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, args, { cwd: repoRoot, timeout: 120_000 }, (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr })),
    );
    const lines = run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { probe?: { label: string; counts: Record<string, number>; ok: boolean }; result?: { ok: boolean } });
    const probes = lines.flatMap((l) => (l.probe ? [l.probe] : []));
    t.diagnostic(probes.map((p) => `${p.label}: ${JSON.stringify(p.counts)}`).join('; '));
    assert.equal(run.code, 0, `${run.stderr}\n${run.stdout}`);
    assert.deepEqual(
      probes.map((p) => [p.label, p.counts]),
      [
        ['jason, by the end-user header', { v2: 30 }],
        ['jason, signed in (cookie user=jason)', { v2: 30 }],
        ['another user (cookie user=ben)', { v1: 30 }],
        ['nobody signed in', { v1: 30 }],
      ],
    );
    assert.equal(lines.at(-1)?.result?.ok, true);
    assert.equal(readFileSync(join(mesh.configDir, 'reviews.yaml'), 'utf8'), original, 'the config file is as it was');
  });
});
