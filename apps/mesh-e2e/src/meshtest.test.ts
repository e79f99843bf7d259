// `skiff test`, as a CI pipeline runs it: a MeshTest file with, for every expectation kind, a case
// that must pass and one that is wrong on purpose, judged offline against the config, then sent
// --live through a mesh running that config. Offline and live must agree case by case, and each
// must be what the case's name says; the JUnit file a CI system reads must say the same.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { POLICY_CASES, POLICY_CONFIG, POLICY_TESTS } from '@skiff/meshtest/policy.fixture';
import { applyConfig, repoRoot, startTestMesh, type TestMesh } from '@skiff/testing';

interface Run {
  code: number | null;
  results: Array<{ name: string; outcome: string; failures: string[] }>;
  stderr: string;
}

function skiffTest(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'skiff.mjs'), 'test', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      try {
        resolve({ code, results: (JSON.parse(stdout) as { results: Run['results'] }).results, stderr });
      } catch {
        reject(new Error(`skiff test ${args.join(' ')} exited ${code} without JSON:\n${stdout}\n${stderr}`));
      }
    });
  });
}

const verdicts = (run: Run) => Object.fromEntries(run.results.map((r) => [r.name, r.outcome]));

describe('skiff test: offline verdicts, and live ones through a running mesh', { timeout: 240_000 }, () => {
  let dir: string;
  let mesh: TestMesh;
  let offline: Run;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-meshtest-'));
    mkdirSync(join(dir, 'config'));
    writeFileSync(join(dir, 'config', 'policy.yaml'), POLICY_CONFIG);
    writeFileSync(join(dir, 'tests.yaml'), POLICY_TESTS);
    offline = await skiffTest(['-f', join(dir, 'tests.yaml'), '--config', join(dir, 'config'), '--junit', join(dir, 'offline.xml')]);
    mesh = await startTestMesh({ config: { 'policy.yaml': POLICY_CONFIG } });
    // The RequestAuthentication trusts the test issuer of this mesh's control plane, wherever it listens.
    await applyConfig(mesh, { 'policy.yaml': POLICY_CONFIG.replace('http://127.0.0.1:15014/', `${mesh.controlPlane}/`) });
  });

  after(async () => {
    await mesh?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('offline, each case passes or fails as its name says, and the exit status is 1 because some fail', () => {
    assert.equal(offline.code, 1, offline.stderr);
    const wrong = offline.results.filter((r) => (r.outcome === 'pass') !== POLICY_CASES[r.name]?.pass);
    assert.deepEqual(wrong.map((r) => `${r.name}: ${r.outcome} ${r.failures.join('; ')}`), []);
    assert.equal(offline.results.length, Object.keys(POLICY_CASES).length);
  });

  test('live, through the mesh, every case a live run can ask gets the offline verdict', async () => {
    const live = await skiffTest(['-f', join(dir, 'tests.yaml'), '--live', '--control-plane', mesh.controlPlane, '--mesh-token-file', (mesh.state as { meshTokenFile: string }).meshTokenFile, '--junit', join(dir, 'live.xml')]);
    assert.equal(live.code, 1, live.stderr);
    const offlineVerdicts = verdicts(offline);
    const disagree = live.results.filter((r) => POLICY_CASES[r.name]?.live !== false && r.outcome !== offlineVerdicts[r.name]);
    assert.deepEqual(disagree.map((r) => `${r.name}: live ${r.outcome} (${r.failures.join('; ')}), offline ${offlineVerdicts[r.name]}`), []);
    const offlineOnly = live.results.filter((r) => POLICY_CASES[r.name]?.live === false);
    assert.ok(offlineOnly.length > 0);
    for (const r of offlineOnly) assert.match(r.failures[0] ?? '', /principal and namespace are for offline runs: live, the caller's identity is its sidecar's certificate/);
    const xml = readFileSync(join(dir, 'live.xml'), 'utf8');
    assert.match(xml, new RegExp(`<testsuites name="skiff test" tests="${live.results.length}" failures="${live.results.filter((r) => r.outcome === 'fail').length}"`));
    assert.match(xml, /<testcase name="the canary splits 80\/20" classname="reviews-policy \(live\)"/);
  });

  test('a passing file exits 0; a test file with a misspelt field exits 2 naming file, case and field', async () => {
    writeFileSync(join(dir, 'ok.yaml'), `apiVersion: skiff.dev/v1alpha1\nkind: MeshTest\nmetadata: {name: ok}\nspec:\n  cases:\n  - name: jason goes to v2\n    request: {from: frontend, url: "http://reviews:9080/reviews/1", headers: {end-user: jason}}\n    expect: {destination: {host: reviews, subset: v2}, status: 200}\n`);
    const ok = await skiffTest(['-f', join(dir, 'ok.yaml'), '--config', join(dir, 'config')]);
    assert.equal(ok.code, 0, ok.stderr);
    writeFileSync(join(dir, 'typo.yaml'), readFileSync(join(dir, 'ok.yaml'), 'utf8').replace('status: 200', 'stauts: 200'));
    const typo = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [join(repoRoot, 'bin', 'skiff.mjs'), 'test', '-f', join(dir, 'typo.yaml'), '--config', join(dir, 'config')], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.once('exit', (code) => resolve({ code, stderr }));
    });
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /typo\.yaml: MeshTest ok, case "jason goes to v2": expect\.stauts: unknown field; did you mean "status"\?/);
  });
});
