import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { withStartLock } from './start-lock.js';

const lockIn = () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-start-lock-test-'));
  return { file: join(dir, 'lock'), done: () => rmSync(dir, { recursive: true, force: true }) };
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('within one process, starts run one after the other', async () => {
  const { file, done } = lockIn();
  try {
    const events: string[] = [];
    const start = (name: string) => async () => {
      events.push(`${name} begins`);
      await sleep(50);
      events.push(`${name} ends`);
    };
    await Promise.all([withStartLock(start('a'), undefined, file), withStartLock(start('b'), undefined, file)]);
    assert.deepEqual(events, ['a begins', 'a ends', 'b begins', 'b ends']);
  } finally {
    done();
  }
});

test('a start waits while another live process holds the lock, and goes on when it is gone', async () => {
  const { file, done } = lockIn();
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
  try {
    writeFileSync(file, String(holder.pid));
    let waitedFor: number | undefined;
    let ran = false;
    const started = withStartLock(async () => (ran = true), (pid) => (waitedFor = pid), file);
    await sleep(300);
    assert.equal(ran, false, 'it waited');
    assert.equal(waitedFor, holder.pid);
    holder.kill();
    await started;
    assert.equal(ran, true);
  } finally {
    holder.kill();
    done();
  }
});

test('a lock left by a process that is gone is taken over at once', async () => {
  const { file, done } = lockIn();
  try {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(file, dead.stdout);
    let waited = false;
    assert.equal(await withStartLock(async () => 'started', () => (waited = true), file), 'started');
    assert.equal(waited, false);
  } finally {
    done();
  }
});
