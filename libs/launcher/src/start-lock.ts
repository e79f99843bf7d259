// One mesh starts at a time on a machine. Starting a mesh is CPU-bound for its first seconds
// (a dozen Node processes loading their code, making keys, asking the CA for certificates), and on
// 2 cores two meshes starting together (test files side by side) took a sidecar from 6.5 s to
// 15.6 s to become ready; with anything else busy, past the 20 s readiness limit (seen in
// fresh-clone CI runs: the proxy's admin port said "waiting for a certificate" for 20 s). A lock
// file holding the pid serializes the starts, across processes and within one; a lock whose
// process is gone is taken over.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOCK = process.env['SKIFF_START_LOCK'] ?? join(tmpdir(), 'skiff-start.lock');
let queue: Promise<unknown> = Promise.resolve();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True once this process holds the lock; false when it cannot be taken (no usable temp directory). */
async function acquire(file: string, onWait: (holder: number) => void): Promise<boolean> {
  let told = false;
  for (;;) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return false;
    }
    let holder = Number.NaN;
    try {
      holder = Number(readFileSync(file, 'utf8'));
    } catch {
      continue; // released in between
    }
    // Within this process starts are queued, so a lock naming this pid is left from a crash.
    if (!Number.isInteger(holder) || holder <= 0 || holder === process.pid || !alive(holder)) {
      try {
        unlinkSync(file);
      } catch {
        // someone else took it over first
      }
      continue;
    }
    if (!told) {
      told = true;
      onWait(holder);
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
