// One mesh starts at a time on a machine. Starting a mesh is CPU-bound for its first seconds
// (a dozen Node processes loading their code, making keys, asking the CA for certificates), and on
// 2 cores two meshes starting together (test files side by side) took a sidecar from 6.5 s to
// 15.6 s to become ready; with anything else busy, past the 20 s readiness limit (seen in
// fresh-clone CI runs: the proxy's admin port said "waiting for a certificate" for 20 s). A lock
// file holding the pid serializes the starts, across processes and within one; a lock whose
// process is gone is taken over.
import { unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimPidFile } from './pid-file.js';

const LOCK = process.env['SKIFF_START_LOCK'] ?? join(tmpdir(), 'skiff-start.lock');
let queue: Promise<unknown> = Promise.resolve();

/** True once this process holds the lock; false when it cannot be taken (no usable temp directory). */
async function acquire(file: string, onWait: (holder: number) => void): Promise<boolean> {
  let told = false;
  for (;;) {
    // Within this process starts are queued, so a lock naming this pid is left from a crash.
    const claim = claimPidFile(file, true);
    if (claim.kind !== 'held') return claim.kind === 'claimed';
    if (!told && Number.isInteger(claim.holder)) {
      told = true;
      onWait(claim.holder);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs `start` while no other mesh on this machine is starting. */
export function withStartLock<T>(start: () => Promise<T>, onWait: (holder: number) => void = () => undefined, file = LOCK): Promise<T> {
  const run = queue.then(async () => {
    const held = await acquire(file, onWait);
    const release = () => {
      try {
        if (held) unlinkSync(file);
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
