import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { identityFromFlags } from './identity-flags.js';

test('a token file is read at each request, so a rotated projected token is the one shown', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-token-'));
  try {
    const file = join(dir, 'skiff-token');
    writeFileSync(file, 'first-token\n');
    const flags = identityFromFlags({ tokenFile: file });
    assert.equal(flags?.token(), 'first-token');
    writeFileSync(file, 'rotated-token\n'); // what the kubelet does before the first one expires
    assert.equal(flags?.token(), 'rotated-token');
    rmSync(file); // mid-swap: the last token read is still shown
    assert.equal(flags?.token(), 'rotated-token');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a token file missing at start is an error naming it; no token at all means no mTLS', () => {
  assert.throws(() => identityFromFlags({ tokenFile: '/nonexistent/skiff-token' }), /--token-file \/nonexistent\/skiff-token: ENOENT/);
  const saved = process.env['SKIFF_BOOTSTRAP_TOKEN'];
  delete process.env['SKIFF_BOOTSTRAP_TOKEN'];
  try {
    assert.equal(identityFromFlags({}), undefined);
  } finally {
    if (saved !== undefined) process.env['SKIFF_BOOTSTRAP_TOKEN'] = saved;
  }
});
