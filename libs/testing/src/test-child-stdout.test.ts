// tools/test-child-stdout.mjs keeps a test file's own text off the stdout that Node's test runner
// reads results from. Without it, Node 20's runner fails a file whose output has a "✔" line right
// after a result frame (see that file): here, 200 tests each printing one, run as `npm test` runs
// them, must all be counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const preload = fileURLToPath(new URL('../../../tools/test-child-stdout.mjs', import.meta.url));

test('a test file that prints "✔" lines between its results has every result counted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-child-stdout-'));
  try {
    const file = join(dir, 'prints.test.mjs');
    writeFileSync(
      file,
      `import { test } from 'node:test';
for (let i = 0; i < 200; i++) {
  test('t' + i, async () => {
    process.stdout.write('✔ control-plane ready (1.6 s)\\n');
    console.log('▶ and a console.log line');
    await new Promise((resolve) => setImmediate(resolve));
  });
}
`,
    );
    // No NODE_TEST_CONTEXT from this file's own runner: the child must be a runner of its own.
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const run = spawnSync(process.execPath, ['--import', preload, '--test', '--test-reporter=spec', file], { encoding: 'utf8', env, timeout: 60_000 });
    const output = `${run.stdout}\n${run.stderr}`;
    assert.equal(run.status, 0, `the runner failed (exit ${run.status ?? run.signal}):\n${output.slice(-2000)}`);
    assert.match(run.stdout, /ℹ pass 200\n/, output.slice(-2000));
    assert.match(output, /✔ control-plane ready/, 'the text itself is still shown');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
