import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { processStartTime } from './pid-file.js';
import { withStartLock } from './start-lock.js';

const lockIn = () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-start-lock-test-'));
  return { file: join(dir, 'lock'), done: () => rmSync(dir, { recursive: true, force: true }) };
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A process that stays alive (a minute at most) until the test kills it. */
const liveProcess = () => spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);

test('within one process, starts run one after the other', async () => {
  const { file, done } = lockIn();
  try {
    const events: string[] = [];
    const start = (name: string) => async () => {
      events.push(`${name} begins`);
      await sleep(50);
      events.push(`${name} ends`);
    };
    await Promise.all([withStartLock(start('a'), { file }), withStartLock(start('b'), { file })]);
    assert.deepEqual(events, ['a begins', 'a ends', 'b begins', 'b ends']);
  } finally {
    done();
  }
});

test('a start waits while another live process holds the lock, and goes on when it is gone', async () => {
  const { file, done } = lockIn();
  const holder = liveProcess();
  try {
    writeFileSync(file, String(holder.pid));
    let waitedFor: number | undefined;
    let ran = false;
    const started = withStartLock(async () => (ran = true), { onWait: (pid) => (waitedFor = pid), file });
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
    assert.equal(await withStartLock(async () => 'started', { onWait: () => (waited = true), file }), 'started');
    assert.equal(waited, false);
  } finally {
    done();
  }
});

test('a lock naming a live pid that now belongs to another process (the pid was reused) is taken over at once', async () => {
  const { file, done } = lockIn();
  const other = liveProcess();
  try {
    // The pid is alive, but the start time is not the one this process started at.
    writeFileSync(file, `${other.pid} 1`);
    let waited = false;
    assert.equal(await withStartLock(async () => 'started', { onWait: () => (waited = true), file }), 'started');
    assert.equal(waited, false);
  } finally {
    other.kill();
    done();
  }
});

test('a holder that never finishes is waited for maxWaitMs, then the lock is taken over and said so', async () => {
  const { file, done } = lockIn();
  const hung = liveProcess();
  try {
    writeFileSync(file, `${hung.pid} ${processStartTime(hung.pid as number) ?? ''}`.trim());
    const gaveUp: number[] = [];
    const started = Date.now();
    let heldDuring = '';
    await withStartLock(async () => (heldDuring = readFileSync(file, 'utf8')), { onGiveUp: (holder) => gaveUp.push(holder), maxWaitMs: 300, file });
    assert.ok(Date.now() - started >= 300, 'it waited first');
    assert.deepEqual(gaveUp, [hung.pid]);
    assert.match(heldDuring, new RegExp(`^${process.pid}\\b`), 'and held the lock while it started');
    assert.equal(existsSync(file), false, 'released afterwards');
  } finally {
    hung.kill();
    done();
  }
});

test('a start whose lock was taken over meanwhile leaves the new holder its lock', async () => {
  const { file, done } = lockIn();
  const newHolder = liveProcess();
  try {
    await withStartLock(async () => writeFileSync(file, String(newHolder.pid)), { file });
    assert.equal(readFileSync(file, 'utf8'), String(newHolder.pid));
  } finally {
    newHolder.kill();
    done();
  }
});
