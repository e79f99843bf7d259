// Follows a workshop lab (docs/workshop/NN-*.md) on a running mesh as a learner would: saves each
// YAML block into the config directory and waits until every proxy runs it (as the learner waits
// for the dashboard to show it), runs each command with bash, and checks what it printed against
// the lab's expected output. The target says what differs from a learner's machine: the ports,
// the config directory, `git checkout config/<file>` (a test's config is not a git checkout),
// and how to reach the apps' test hooks to put them back.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { TestContext } from 'node:test';
import { applyConfig, repoRoot, type TestMesh } from '@skiff/testing';
import { labActions, parseLab, unmetExpectations, type LabMode } from './lab-markdown.js';

export const LABS_DIR = join(repoRoot, 'docs/workshop');
/** The longest a lab's command may take: a canary run in lab 3, under CI's load, stays well within it. */
const MAX_COMMAND_MS = 60_000;

export interface Behaviour {
  failPercent: number;
  extraLatencyMs: number;
}

export interface LabTarget {
  mode: LabMode;
  /** What applyConfig needs: the config directory, how to save into it, the control plane. */
  mesh: Pick<TestMesh, 'configDir' | 'controlPlane' | 'writeConfig'>;
  /** The sample config the mesh started with (a directory). */
  originalConfig: string;
  /** A lab's commands as they must run against this mesh. */
  translate(script: string): string;
  /** A file the lab saves, as it must read on this mesh (a port on this machine the file names); default: as written. */
  translateFile?(text: string): string;
  /** reviews' test hook, read and reset. */
  behaviour(workload: string): Promise<Behaviour>;
  resetBehaviour(workload: string): Promise<void>;
}

export function labFiles(): string[] {
  return readdirSync(LABS_DIR).filter((f) => /^\d\d-.+\.md$/.test(f)).sort();
}

export function readDir(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).filter((f) => !f.startsWith('.')).sort().map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

/** The files that differ between two listings, with the text `to` has (null: not in `to`). */
function changes(from: Record<string, string>, to: Record<string, string>): Record<string, string | null> {
  return Object.fromEntries([...new Set([...Object.keys(from), ...Object.keys(to)])].filter((f) => from[f] !== to[f]).map((f) => [f, to[f] ?? null]));
}

async function run(t: TestContext, target: LabTarget, script: string, line: number): Promise<string> {
  const translated = target.translate(script);
  const started = Date.now();
  const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile('bash', ['-e', '-o', 'pipefail', '-c', translated], { cwd: repoRoot, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
  t.diagnostic(`line ${line} (${Date.now() - started} ms): ${script.trim().split('\n').join(' ; ').slice(0, 140)} -> ${out.stdout.trim().split('\n').slice(-6).join(' | ').slice(0, 300)}`);
  assert.equal(out.code, 0, `line ${line}: the commands failed (exit ${out.code}):\n${translated}\nstdout:\n${out.stdout}\nstderr:\n${out.stderr}`);
  // A command that sits silent for a minute looks hung to a learner, even if it ends well.
  assert.ok(Date.now() - started < MAX_COMMAND_MS, `line ${line}: the commands took ${Date.now() - started} ms; a learner would think them hung`);
  return out.stdout;
}

/** Follows the lab in the target's mode; returns how many expected outputs it checked. */
export async function walkLab(t: TestContext, target: LabTarget, lab: string): Promise<number> {
  let output: string | undefined;
  let checks = 0;
  for (const action of labActions(parseLab(readFileSync(join(LABS_DIR, lab), 'utf8')), target.mode)) {
    if (action.kind === 'file') {
      const applied = await applyConfig(target.mesh, { [basename(action.path)]: target.translateFile?.(action.text) ?? action.text });
      t.diagnostic(`line ${action.line}: saved ${action.path}; in force on every proxy after ${applied.ms} ms`);
    } else if (action.kind === 'run') {
      const was = readDir(target.mesh.configDir);
      output = await run(t, target, action.script, action.line);
      // Commands that remove or restore config files: wait until the mesh runs the result.
      const changed = changes(was, readDir(target.mesh.configDir));
      if (Object.keys(changed).length > 0) t.diagnostic(`line ${action.line}: the config change is in force after ${(await applyConfig(target.mesh, changed)).ms} ms`);
    } else {
      assert.ok(output !== undefined, `${lab}:${action.block.line}: expected output with no command before it`);
      assert.deepEqual(unmetExpectations(action.block, output), [], `${lab}:${action.block.line}: the output was:\n${output}`);
      checks++;
    }
  }
  return checks;
}

/** Puts back the sample's config and reviews' and ratings' behaviour; returns what the lab had left different. */
export async function restoreSample(target: LabTarget): Promise<{ files: Record<string, string | null>; behaviour: Record<string, Behaviour> }> {
  const files = changes(readDir(target.mesh.configDir), readDir(target.originalConfig));
  const behaviour: Record<string, Behaviour> = {};
  for (const workload of ['reviews-v1', 'reviews-v2', 'ratings']) {
    const was = await target.behaviour(workload);
    if (was.failPercent !== 0 || was.extraLatencyMs !== 0) {
      behaviour[workload] = was;
      await target.resetBehaviour(workload);
    }
  }
  if (Object.keys(files).length > 0) await applyConfig(target.mesh, files);
  return { files, behaviour };
}

/** One test per lab, in order; a lab that fails half-way is cleaned up after, so the next can run. */
export function labTests(test: (name: string, fn: (t: TestContext) => Promise<void>) => unknown, target: () => LabTarget): void {
  for (const lab of labFiles()) {
    test(lab, async (t) => {
      let checks: number;
      try {
        checks = await walkLab(t, target(), lab);
      } catch (error) {
        await restoreSample(target());
        throw error;
      }
      assert.ok(checks > 0, `${lab} checked nothing`);
      assert.deepEqual(await restoreSample(target()), { files: {}, behaviour: {} }, `${lab}'s clean-up puts back the sample's config and reviews' and ratings' behaviour`);
    });
  }
}
