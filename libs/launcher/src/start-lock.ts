// One mesh starts at a time on a machine. Starting a mesh is CPU-bound for its first seconds
// (a dozen Node processes loading their code, making keys, asking the CA for certificates), and on
// 2 cores two meshes starting together (test files side by side) took a sidecar from 6.5 s to
// 15.6 s to become ready; with anything else busy, past the 20 s readiness limit (seen in
// fresh-clone CI runs: the proxy's admin port said "waiting for a certificate" for 20 s). A lock
// file naming the holder serializes the starts, across processes and within one; a lock whose
// process is gone is taken over.
//
// The lock only spares the CPU, so it is never worth waiting on forever: after `maxWaitMs` a start
// takes it over, saying who held it. (A holder that hangs would otherwise stop every start on the
// machine.) A holder releases the lock only while it still names that holder.
import { unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimPidFile, readHolder } from './pid-file.js';

const LOCK = process.env['SKIFF_START_LOCK'] ?? join(tmpdir(), 'skiff-start.lock');
/** Longer than any start takes on a loaded 2-core machine (40 s seen), well short of a test's timeout. */
export const START_LOCK_MAX_WAIT_MS = 120_000;
let queue: Promise<unknown> = Promise.resolve();

export interface StartLockOptions {
  /** Told once, when a start has to wait, with the holder's pid. */
  onWait?: (holder: number) => void;
  /** Told when a start stops waiting after maxWaitMs and takes the lock over. */
  onGiveUp?: (holder: number, waitedMs: number) => void;
  file?: string;
  maxWaitMs?: number;
}

/** True once this process holds the lock; false when it cannot be taken (no usable temp directory). */
async function acquire(file: string, options: StartLockOptions): Promise<boolean> {
  const started = Date.now();
  const maxWaitMs = options.maxWaitMs ?? START_LOCK_MAX_WAIT_MS;
  let told = false;
  for (;;) {
    // Within this process starts are queued, so a lock naming this pid is left from a crash.
    const claim = claimPidFile(file, true);
    if (claim.kind !== 'held') return claim.kind === 'claimed';
    if (!told && Number.isInteger(claim.holder)) {
      told = true;
      options.onWait?.(claim.holder);
    }
    const waited = Date.now() - started;
    if (waited >= maxWaitMs) {
      options.onGiveUp?.(claim.holder, waited);
      try {
        unlinkSync(file);
      } catch {
        // released just now
      }
      return claimPidFile(file, true).kind === 'claimed';
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs `start` while no other mesh on this machine is starting (or once it has waited maxWaitMs). */
export function withStartLock<T>(start: () => Promise<T>, options: StartLockOptions = {}): Promise<T> {
  const file = options.file ?? LOCK;
  const run = queue.then(async () => {
    const held = await acquire(file, options);
    const release = () => {
      try {
        // Not if a start that waited too long took it over meanwhile.
        if (held && readHolder(file)?.pid === process.pid) unlinkSync(file);
      } catch {
        // already gone
      }
    };
    process.once('exit', release);
    try {
      return await start();
    } finally {
      process.off('exit', release);
      release();
    }
  });
  queue = run.catch(() => undefined);
  return run;
}
