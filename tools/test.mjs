#!/usr/bin/env node
// Runs Skiff's tests with Node's own test runner: every file in one run, then the few that need
// the machine to themselves (see ALONE); the output ends with one summary line for all of them
// (a run that executed no test shows as "tests 0").
//
//   node tools/test.mjs --all          typecheck, lint, then every test (what `npm test` runs)
//   node tools/test.mjs --unit         unit tests only (no whole-mesh tests)
//   node tools/test.mjs libs/routing   one project's tests (what `nx test <project>` runs)
//   node tools/test.mjs --help
//
// Node 20 does not expand globs given to --test, so this script finds the files itself.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeTestArgs } from './node-test-args.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);

if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: node tools/test.mjs [--all | --unit | <project-dir>...] [-- <node --test flags>]

  --all          typecheck, lint, then every test file (unit and whole-mesh)
  --unit         every unit test, skipping the whole-mesh tests in apps/mesh-e2e
  <project-dir>  only the tests under that folder, e.g. libs/routing (or one *.test.ts file)
  --skip-checks  with --all: skip typecheck and lint

Environment: TEST_CONCURRENCY (default 2) files run at once.`);
  process.exit(0);
}

const sep = args.indexOf('--');
const passThrough = sep >= 0 ? args.slice(sep + 1) : [];
const own = sep >= 0 ? args.slice(0, sep) : args;
const all = own.includes('--all');
const unitOnly = own.includes('--unit');
const skipChecks = own.includes('--skip-checks');
const dirs = own.filter((a) => !a.startsWith('--'));

function step(title, command, commandArgs) {
  process.stdout.write(`\n▶ ${title}\n`);
  const started = Date.now();
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit', env: process.env });
  if (result.status !== 0) {
    console.error(`✖ ${title} failed (exit ${result.status ?? result.signal}). Fix the errors above, then run again.`);
    process.exit(result.status ?? 1);
  }
  process.stdout.write(`✔ ${title} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}

function findTests(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const searchDirs = dirs.length > 0 ? dirs : ['libs', 'apps'];
let files = searchDirs.flatMap((d) => (d.endsWith('.test.ts') ? [d] : findTests(join(root, d))));
if (unitOnly) files = files.filter((f) => !f.startsWith('apps/mesh-e2e/'));
// Unit tests first: they are fast and their failures are the easiest to read.
files.sort((a, b) => Number(a.startsWith('apps/mesh-e2e/')) - Number(b.startsWith('apps/mesh-e2e/')) || a.localeCompare(b));

/** The JS file of a package's bin, found through its package.json (layouts differ by version). */
function binOf(pkg, name) {
  const require = createRequire(join(root, 'package.json'));
  const manifestPath = require.resolve(`${pkg}/package.json`);
  const bin = JSON.parse(readFileSync(manifestPath, 'utf8')).bin;
  return join(manifestPath, '..', typeof bin === 'string' ? bin : bin[name]);
}

if (all && !skipChecks) {
  step('typecheck (tsc --noEmit)', process.execPath, [binOf('typescript', 'tsc'), '-p', 'tsconfig.json']);
  // The dashboard's browser code has its own tsconfig (DOM types, no node).
  step('typecheck the dashboard client', process.execPath, [binOf('typescript', 'tsc'), '-p', 'apps/dashboard/client/tsconfig.json']);
  step('lint (nx run-many -t lint)', process.execPath, [binOf('nx', 'nx'), 'run-many', '-t', 'lint', '--output-style=static']);
}

// Files that must have the machine to themselves, because what they check includes how long a
// request takes through a whole mesh, and on these 2 cores another whole-mesh file beside them
// stretches that by up to a second; or because they take the whole machine from a file beside
// them. They run after the others, one at a time:
// - compose: ten containers, and the workshop labs' expected output includes timings ("everyone
//   but jason gets the page in under a second"). With routing.test.ts alongside, its pages took up
//   to 1.7 s; alone, under 0.3 s.
// - scripted scenarios: the fault scenario's jason pages wait 2 s for ratings under frontend's 3 s
//   timeout on reviews. In CI, beside another file, they took 2963..3014 ms (once 504 after 3.1 s);
//   beside workshop-labs.test.ts here 2446..2503 ms; alone 2353..2391 ms.
// - large bodies: the other way round. Its 1 GiB transfers through four proxies with mutual TLS
//   keep both cores busy for about 45 s, and a file beside it starves: resilience.test.ts's
//   restarted control plane took 6.5 to 7.5 s to be ready beside it here (3.1 to 3.8 s for the
//   same start without it), and in a fresh-clone run of .ci/run here more than its 20 s limit
//   (CI's run before failed the same test).
const ALONE = new Set(['apps/mesh-e2e/src/compose.test.ts', 'apps/mesh-e2e/src/scripted-scenarios.test.ts', 'apps/mesh-e2e/src/large-bodies.test.ts']);
const phases = [
  { title: `tests: ${files.filter((f) => !ALONE.has(f)).length} files`, files: files.filter((f) => !ALONE.has(f)), concurrency: process.env.TEST_CONCURRENCY ?? '2' },
  { title: 'tests that need the machine to themselves, one at a time', files: files.filter((f) => ALONE.has(f)), concurrency: '1' },
].filter((phase) => phase.files.length > 0);

const countsDir = mkdtempSync(join(tmpdir(), 'skiff-test-counts-'));
const total = { tests: 0, suites: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
const failed = [];
let status = 0;
const started = Date.now();
for (const [index, phase] of phases.entries()) {
  process.stdout.write(`\n▶ ${phase.title}${phase.files.length < 4 ? `: ${phase.files.join(', ')}` : ''}\n`);
  const countsFile = join(countsDir, `${index}.json`);
  const result = spawnSync(
    process.execPath,
    nodeTestArgs({ countsFile, files: phase.files, testFlags: [`--test-concurrency=${phase.concurrency}`, ...passThrough] }),
    { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
  );
  if (result.status !== 0) status = result.status ?? 1;
  try {
    const counts = JSON.parse(readFileSync(countsFile, 'utf8'));
    for (const key of Object.keys(total)) total[key] += counts[key];
    failed.push(...(counts.failures ?? []));
  } catch {
    status ||= 1; // the runner died before it could report: not a pass
    total.fail++;
    console.error(`✖ the test runner for "${phase.title}" ended (exit ${result.status ?? result.signal}) without reporting its counts`);
  }
}
rmSync(countsDir, { recursive: true, force: true });
// What failed, together, just above the summary of all runs: their output is long and CI may
// keep only its end (one run's spec output ends with its own list of failures). Each with its file, how long it ran (a hang shows as the test timeout) and its error.
if (failed.length > 0 && phases.length > 1) {
  process.stdout.write(`\n✖ what failed (${failed.length}):\n`);
  for (const f of failed) {
    const where = f.file ? relative(root, f.file) : 'unknown file';
    process.stdout.write(`  ✖ ${f.kind === 'suite' ? 'suite ' : ''}"${f.name}" in ${where} after ${(f.ms / 1000).toFixed(1)} s${f.failureType ? ` (${f.failureType})` : ''}: ${f.message}\n`);
    for (const line of f.detail ?? []) process.stdout.write(`      ${line}\n`);
  }
}
if (phases.length > 1) {
  // One summary for all runs, last, so a run that executed nothing shows as "tests 0".
  const line = Object.entries(total).map(([key, value]) => `${key} ${value}`).join(', ');
  process.stdout.write(`\n${total.fail + total.cancelled > 0 || status !== 0 ? '✖' : '✔'} all ${files.length} test files: ${line}; ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}
process.exit(status);
