import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileHasErrors, formatIssues, parseConfigFile } from '@skiff/api';
import { repoRoot } from '@skiff/testing';
import { labActions, parseLab, unmetExpectations } from './lab-markdown.js';

test('a lab reads as files to save, commands to run (compose ones marked) and what they print', () => {
  const lab = ['# Lab', '```yaml file=config/a.yaml', 'kind: X', '```', 'text', '```sh', 'curl a', '```', '- item', '  ```text expect', '  200', '  ```', '```sh compose', 'docker x', '```', '```text expect-regex', '^2\\d\\d$', '```', '```yaml', 'not: a file', '```'].join('\n');
  assert.deepEqual(parseLab(lab), [
    { kind: 'file', path: 'config/a.yaml', text: 'kind: X\n', line: 2 },
    { kind: 'sh', script: 'curl a\n', compose: false, localOnly: false, line: 6 },
    { kind: 'expect', lines: ['200'], regex: false, line: 10 },
    { kind: 'sh', script: 'docker x\n', compose: true, localOnly: false, line: 13 },
    { kind: 'expect', lines: ['^2\\d\\d$'], regex: true, line: 16 },
  ]);
  assert.throws(() => parseLab('```sh\ncurl'), /line 1: a fenced block is never closed/);
});

test('expectations: substrings, or one regular expression per line against any line of the output', () => {
  const expect = { kind: 'expect' as const, lines: ['20 "v1"', 'b'], regex: false, line: 1 };
  assert.deepEqual(unmetExpectations(expect, '     20 "v1"\nb\n'), []);
  assert.deepEqual(unmetExpectations(expect, '     19 "v1"\n'), ['"20 \\"v1\\"" not in the output', '"b" not in the output']);
  const regex = { kind: 'expect' as const, lines: ['^\\s*([3-6]\\d) v2$'], regex: true, line: 1 };
  assert.deepEqual(unmetExpectations(regex, '  51 v1\n  49 v2\n'), []);
  assert.equal(unmetExpectations(regex, '  71 v1\n  29 v2\n').length, 1);
});

test('every lab has a check, and every file it saves is valid Istio config', () => {
  const dir = join(repoRoot, 'docs/workshop');
  const labs = readdirSync(dir).filter((f) => /^\d\d-.+\.md$/.test(f));
  // Numbered 01..N with no gap, and each one listed in the workshop's index.
  assert.deepEqual(labs.map((f) => Number(f.slice(0, 2))), labs.map((_, i) => i + 1));
  const index = readFileSync(join(dir, 'README.md'), 'utf8');
  for (const lab of labs) assert.ok(index.includes(`](${lab})`), `docs/workshop/README.md links ${lab}`);
  for (const lab of labs) {
    const blocks = parseLab(readFileSync(join(dir, lab), 'utf8'));
    assert.ok(blocks.some((b) => b.kind === 'expect'), `${lab} has no expected output to check`);
    for (const b of blocks) {
      if (b.kind !== 'file') continue;
      assert.match(b.path, /^config\/[\w.-]+\.yaml$/, `${lab}:${b.line}: files are saved in config/`);
      const parsed = parseConfigFile(b.path, b.text);
      assert.equal(fileHasErrors(parsed.issues), false, `${lab}:${b.line}: ${formatIssues(parsed.issues)}`);
    }
  }
});

test('each mode follows its own commands: compose forms replace the block before them, local-only blocks drop out of compose', () => {
  const lab = ['```sh', 'curl local', '```', '```text expect', 'A', '```', '```sh compose', 'docker x', '```', '```sh local', 'npm run canary', '```', '```text expect', 'B', '```', '```yaml file=config/a.yaml', 'k: v', '```', '```sh', 'curl gw', '```', '```text expect', 'C', '```'].join('\n');
  const blocks = parseLab(lab);
  const show = (mode: 'local' | 'compose') => labActions(blocks, mode).map((a) => (a.kind === 'run' ? `run ${a.script.trim()}` : a.kind === 'expect' ? `expect ${a.block.lines.join()}` : `file ${a.path}`));
  assert.deepEqual(show('local'), ['run curl local', 'expect A', 'run npm run canary', 'expect B', 'file config/a.yaml', 'run curl gw', 'expect C']);
  assert.deepEqual(show('compose'), ['run docker x', 'expect A', 'file config/a.yaml', 'run curl gw', 'expect C']);
});

test('an expectation after the compose form belongs to the step too, checked in both modes (lab 11 lost three checks that way)', () => {
  const lab = ['```sh', 'curl local', '```', '```sh compose', 'docker x', '```', '```text expect', 'A', '```', '```sh', 'curl b', '```', '```text expect', 'B', '```'].join('\n');
  const blocks = parseLab(lab);
  const show = (mode: 'local' | 'compose') => labActions(blocks, mode).map((a) => (a.kind === 'run' ? `run ${a.script.trim()}` : a.kind === 'expect' ? `expect ${a.block.lines.join()}` : `file ${a.path}`));
  assert.deepEqual(show('local'), ['run curl local', 'expect A', 'run curl b', 'expect B']);
  assert.deepEqual(show('compose'), ['run docker x', 'expect A', 'run curl b', 'expect B']);
  assert.throws(() => labActions(parseLab('```sh compose\ndocker x\n```\n'), 'local'), /line 1: a compose form with no ```sh``` block before it/);
});
