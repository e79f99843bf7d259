import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot, runCli, show } from '../test-support.js';

test('every command skiff --help lists answers --help with its usage, and docs/cli.md lists it', async () => {
  const top = await runCli(['--help']);
  assert.equal(top.code, 0, show(top));
  const commands = [...top.stdout.matchAll(/^ {2}([a-z-]+) {2,}/gm)].map((m) => m[1] as string);
  assert.ok(commands.includes('run') && commands.includes('ls') && commands.includes('test'), commands.join(', '));
  const docs = readFileSync(join(repoRoot, 'docs', 'cli.md'), 'utf8');
  const runs = await Promise.all(commands.map((c) => runCli([c, '--help'])));
  commands.forEach((c, i) => {
    const run = runs[i] as Awaited<ReturnType<typeof runCli>>;
    assert.equal(run.code, 0, `skiff ${c} --help: ${show(run)}`);
    assert.match(run.stdout, new RegExp(`usage: skiff ${c}\\b`), `skiff ${c} --help`);
    assert.match(docs, new RegExp(`\`skiff ${c}\\b`), `docs/cli.md does not list skiff ${c}`);
  });
});
