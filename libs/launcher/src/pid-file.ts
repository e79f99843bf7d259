// A file named for a resource and holding the pid of the process that has it: the port
// reservations and the start lock. A file whose process is gone is stale and taken over.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';

export type Claim = { kind: 'claimed' } | { kind: 'held'; holder: number } | { kind: 'unusable' };

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Creates `file` with this pid unless a live process holds it. `ownIsStale`: a file naming this
 * process is left over (the caller knows it does not hold it) rather than held.
 */
export function claimPidFile(file: string, ownIsStale: boolean): Claim {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return { kind: 'claimed' };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return { kind: 'unusable' };
    }
    let holder = Number.NaN;
    try {
      holder = Number(readFileSync(file, 'utf8'));
    } catch {
      continue; // released in between
    }
    const valid = Number.isInteger(holder) && holder > 0;
    if (valid && holder === process.pid && !ownIsStale) return { kind: 'held', holder };
    if (valid && holder !== process.pid && alive(holder)) return { kind: 'held', holder };
    try {
      unlinkSync(file);
    } catch {
      // another process took it over first: the next attempt sees its claim
    }
  }
  return { kind: 'held', holder: Number.NaN };
}
