// Walks every workshop lab (docs/workshop/NN-*.md) as a learner would in local mode, in order,
// on one real mesh: saves each YAML block into the config directory (and waits until every proxy
// runs it, as the learner waits for the dashboard to show it), runs each shell block with bash,
// and checks what it printed against the lab's expected output. Only what a learner's machine
// differs in is translated: the mesh's ports (the test's own, not `npm start`'s), its config
// directory, and `git checkout config/<file>` (the test's config is not a git checkout).
// After each lab the config directory and the apps' behaviour must be as the sample has them:
// the clean-up is complete.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { fixedPorts, type MeshPorts } from '@skiff/launcher';
import { appAdmin, applyConfig, repoRoot, startTestMesh, type TestMesh } from '@skiff/testing';
import { parseLab, unmetExpectations } from './lab-markdown.js';

const LABS = join(repoRoot, 'docs/workshop');
const SKIFF = `node --import tsx ${join(repoRoot, 'bin/skiff.mjs')}`;

/** Every port `npm start` uses, mapped to the test mesh's port for the same thing. */
function portMap(from: MeshPorts, to: MeshPorts): Map<number, number> {
  const map = new Map<number, number>();
  for (const key of ['xds', 'monitoring', 'dashboard', 'gateway', 'gatewayAdmin', 'gatewayMetrics'] as const) map.set(from[key], to[key]);
  for (const [name, ports] of Object.entries(from.workloads)) {
    const mine = to.workloads[name];
    if (!mine) continue;
    for (const key of ['app', 'admin', 'outbound', 'inbound', 'metrics'] as const) map.set(ports[key], mine[key]);
  }
  return map;
}

function readDir(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).filter((f) => !f.startsWith('.')).sort().map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

describe('the workshop labs, walked as a learner would (local mode)', { timeout: 900_000 }, () => {
  let mesh: TestMesh;
  let original: string;
  let translate: (script: string) => string;
  before(async () => {
    mesh = await startTestMesh();
    original = mkdtempSync(join(tmpdir(), 'skiff-lab-config-'));
    cpSync(mesh.configDir, original, { recursive: true });
    const ports = portMap(fixedPorts(0), mesh.plan.ports);
    const admin = (workload: string) => mesh.plan.urls.admin[workload] ?? assert.fail(`no admin URL for ${workload}`);
    translate = (script) =>
      script
        .replace(/localhost:(\d+)/g, (_, port: string) => `127.0.0.1:${ports.get(Number(port)) ?? assert.fail(`the lab uses localhost:${port}, which npm start does not listen on`)}`)
        .replace(/git checkout config\/([\w.-]+)/g, (_, file: string) => `cp '${join(original, file)}' '${join(mesh.configDir, file)}'`)
        .replace(/npm run scenario -- ([\w-]+)/g, (_, name: string) => `${SKIFF} scenario run ${name} --config '${mesh.configDir}' --gateway ${mesh.gateway}/api/product/1 --control-plane ${mesh.controlPlane}`)
        .replace(/npm run skiff -- proxy-config (\w+) ([\w-]+)/g, (_, kind: string, workload: string) => `${SKIFF} proxy-config ${kind} ${workload} --admin ${admin(workload)}`)
        .replace(/npm run skiff -- simulate /g, `${SKIFF} simulate --control-plane ${mesh.controlPlane} `)
        .replace(/npm run skiff -- (\S+)/g, (_, command: string) => assert.fail(`the walker does not know how to point "skiff ${command}" at the test mesh`))
        .replace(/(^|[\s'"=])config\//gm, `$1${mesh.configDir}/`);
  });
  after(async () => {
    await mesh?.stop();
    if (original) rmSync(original, { recursive: true, force: true });
  });

  async function run(t: TestContext, script: string, line: number): Promise<string> {
    const translated = translate(script);
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile('bash', ['-e', '-o', 'pipefail', '-c', translated], { cwd: repoRoot, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
    t.diagnostic(`line ${line}: ${script.trim().split('\n').join(' ; ').slice(0, 140)} -> ${out.stdout.trim().split('\n').slice(-6).join(' | ').slice(0, 300)}`);
    assert.equal(out.code, 0, `line ${line}: the commands failed (exit ${out.code}):\n${translated}\nstdout:\n${out.stdout}\nstderr:\n${out.stderr}`);
    return out.stdout;
  }

  /** Follows the lab's blocks in order; returns how many expected outputs it checked. */
  async function walk(t: TestContext, lab: string): Promise<number> {
    let output: string | undefined;
    let checks = 0;
    for (const block of parseLab(readFileSync(join(LABS, lab), 'utf8'))) {
      if (block.kind === 'file') {
        await applyConfig(mesh, { [basename(block.path)]: block.text });
      } else if (block.kind === 'sh') {
        if (block.compose) continue;
        const was = readDir(mesh.configDir);
        output = await run(t, block.script, block.line);
        // Commands that remove or restore config files: wait until the mesh runs the result.
        const now = readDir(mesh.configDir);
        const changed = Object.fromEntries([...new Set([...Object.keys(was), ...Object.keys(now)])].filter((f) => was[f] !== now[f]).map((f) => [f, now[f] ?? null]));
        if (Object.keys(changed).length > 0) await applyConfig(mesh, changed);
      } else {
        assert.ok(output !== undefined, `${lab}:${block.line}: expected output with no command before it`);
        assert.deepEqual(unmetExpectations(block, output), [], `${lab}:${block.line}: the output was:\n${output}`);
        checks++;
      }
    }
    return checks;
  }

  /** Puts back the sample's config and the apps' behaviour; returns what the lab had left different. */
  async function restoreSample(): Promise<{ files: Record<string, string | null>; behaviour: Record<string, unknown> }> {
    const now = readDir(mesh.configDir);
    const initial = readDir(original);
    const files = Object.fromEntries([...new Set([...Object.keys(now), ...Object.keys(initial)])].filter((f) => now[f] !== initial[f]).map((f) => [f, initial[f] ?? null]));
    const behaviour: Record<string, unknown> = {};
    for (const workload of ['reviews-v1', 'reviews-v2']) {
      const app = appAdmin(mesh, workload);
      const was = await app.behaviour();
      if (was.failPercent !== 0 || was.extraLatencyMs !== 0) behaviour[workload] = was;
      await app.setBehaviour({ failPercent: 0, extraLatencyMs: 0 });
    }
    if (Object.keys(files).length > 0) await applyConfig(mesh, files);
    return { files, behaviour };
  }

  const labs = readdirSync(LABS).filter((f) => /^\d\d-.+\.md$/.test(f)).sort();
  for (const lab of labs) {
    test(lab, async (t) => {
      let checks: number;
      try {
        checks = await walk(t, lab);
      } catch (error) {
        // A lab that failed half-way must not fail the ones after it.
        await restoreSample();
        throw error;
      }
      assert.ok(checks > 0, `${lab} checked nothing`);
      assert.deepEqual(await restoreSample(), { files: {}, behaviour: {} }, `${lab}'s clean-up puts back the sample's config and the apps' behaviour`);
    });
  }
});
