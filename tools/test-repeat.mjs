#!/usr/bin/env node
// Runs one test file many times, one run after another, to find a flake before CI does:
//
//   npm run test:repeat -- apps/mesh-e2e/src/gateway-tls.test.ts --times 50
//
// Each run gets its own seed for Math.random in the test process (node --random-seed), so a
// unit test's random inputs and the ports the test draws (free-port.ts picks them at random) come
// out the same when a run is repeated with --seed; the processes a whole-mesh test starts draw
// their own randomness. Every failure is reported with its run, seed, the ports drawn, the failed
// tests and their first error line, and the run's output is kept in a file.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { nodeTestArgs } from './node-test-args.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const HELP = `usage: npm run test:repeat -- <file.test.ts> [--times N] [--seed S]

Runs one test file N times (default 10), one run after another, and reports every failure with
its seed, the ports the test drew and what failed. Exit 0 when every run passed, 1 when any
failed, 2 on a usage error.

  --times N   how many runs (1..1000, default 10)
  --seed S    run once more with this seed (from an earlier report) instead
  -h, --help  this text`;

function usage(message) {
  console.error(`test:repeat: ${message}\n\n${HELP}`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({ allowPositionals: true, options: { times: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
} catch (error) {
  usage(error.message);
}
if (parsed.values.help) {
  console.log(HELP);
  process.exit(0);
}
const [file, ...extra] = parsed.positionals;
if (!file || extra.length > 0) usage('give exactly one test file');
if (!file.endsWith('.test.ts') || !existsSync(join(root, file))) usage(`${file} is not a test file here (a path like libs/routing/src/match.test.ts)`);
const times = parsed.values.seed !== undefined ? 1 : Number(parsed.values.times ?? 10);
if (!Number.isInteger(times) || times < 1 || times > 1000) usage(`--times must be a whole number from 1 to 1000, got "${parsed.values.times}"`);
if (parsed.values.seed !== undefined && !/^\d{1,9}$/.test(parsed.values.seed)) usage(`--seed must be a number, got "${parsed.values.seed}"`);

const dir = mkdtempSync(join(tmpdir(), 'skiff-test-repeat-'));
const failures = [];
const started = Date.now();
console.log(`▶ ${file}, ${times} run${times === 1 ? '' : 's'}; outputs in ${dir}`);

for (let run = 1; run <= times; run++) {
  const seed = parsed.values.seed !== undefined ? Number(parsed.values.seed) : Math.floor(Math.random() * 1e9);
  const countsFile = join(dir, `run-${run}.counts.json`);
  const portsFile = join(dir, `run-${run}.ports`);
  const outputFile = join(dir, `run-${run}.log`);
  const runStarted = Date.now();
  const { code, output } = await new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      nodeTestArgs({ countsFile, files: [file], nodeFlags: [`--random-seed=${seed}`] }),
      { cwd: root, env: { ...process.env, NODE_ENV: 'test', SKIFF_PORTS_LOG: portsFile }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let text = '';
    child.stdout.on('data', (chunk) => (text += chunk));
    child.stderr.on('data', (chunk) => (text += chunk));
    child.on('close', (status, signal) => resolve({ code: status ?? signal, output: text }));
  });
  writeFileSync(outputFile, output);
  let counts;
  try {
    counts = JSON.parse(readFileSync(countsFile, 'utf8'));
  } catch {
    counts = undefined;
  }
  const ports = existsSync(portsFile) ? readFileSync(portsFile, 'utf8').trim().split(/\s+/).filter(Boolean).join(' ') : '';
  const seconds = ((Date.now() - runStarted) / 1000).toFixed(1);
  const failed = code !== 0 || !counts || counts.fail + counts.cancelled > 0 || counts.tests === 0;
  if (failed) {
    failures.push({ run, seed, ports, code, counts, outputFile });
    const what = counts ? `${counts.fail} failed, ${counts.cancelled} cancelled of ${counts.tests}` : `the runner reported nothing (exit ${code})`;
    console.log(`✖ run ${run}/${times} (${seconds} s): ${what}; seed ${seed}`);
  } else {
    console.log(`✔ run ${run}/${times} (${seconds} s): ${counts.pass} passed${counts.skipped ? `, ${counts.skipped} skipped` : ''}`);
  }
}

const minutes = ((Date.now() - started) / 60_000).toFixed(1);
if (failures.length === 0) {
  console.log(`\n✔ ${file}: ${times} of ${times} runs passed (${minutes} min)`);
  process.exit(0);
}
console.log(`\n✖ ${file}: ${failures.length} of ${times} runs failed (${minutes} min)`);
for (const f of failures) {
  console.log(`\nrun ${f.run}: seed ${f.seed} (again: npm run test:repeat -- ${file} --seed ${f.seed}); exit ${f.code}`);
  console.log(`  ports drawn: ${f.ports || '(none)'}`);
  for (const failure of f.counts?.failures ?? []) console.log(`  ✖ ${failure.name}: ${failure.message}`);
  console.log(`  output: ${f.outputFile}`);
}
process.exit(1);
