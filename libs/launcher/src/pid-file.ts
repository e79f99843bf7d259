// A file named for a resource and holding the process that has it: the port reservations and the
// start lock. A file whose process is gone is stale and taken over.
//
// A process is named by its pid and, on Linux, its start time (/proc/<pid>/stat): pids are reused
// (pid_max is 32768 on these machines, and a test run spawns thousands of processes), so a pid
// alone can make a lock left by a killed process look held by whatever process got its pid next.
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';

export type Claim = { kind: 'claimed' } | { kind: 'held'; holder: number } | { kind: 'unusable' };

/**
 * The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses),
 * so [0] is field 3 (state). Throws where /proc cannot be read.
 */
export function procStatFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** When `pid` started, in clock ticks since boot; undefined where /proc cannot tell. */
export function processStartTime(pid: number): string | undefined {
  try {
    return procStatFields(pid)[19]; // field 22
  } catch {
    return undefined;
  }
}

export function alive(pid: number, startTime?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (startTime === undefined) return true;
  const now = processStartTime(pid);
  return now === undefined || now === startTime; // a different start time: the pid was reused
}

const ownStartTime = processStartTime(process.pid);

/** What a pid file holds for this process: "<pid> <start time>" (just the pid where unknown). */
export function ownIdentity(): string {
  return ownStartTime === undefined ? String(process.pid) : `${process.pid} ${ownStartTime}`;
}

/** The holder a pid file names, or undefined when it names none. */
export function readHolder(file: string): { pid: number; startTime?: string } | undefined {
  const [pidText, startTime] = readFileSync(file, 'utf8').trim().split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return startTime === undefined ? { pid } : { pid, startTime };
}

/**
 * Creates `file` naming this process unless a live process holds it. `ownIsStale`: a file naming
 * this process is left over (the caller knows it does not hold it) rather than held.
 */
export function claimPidFile(file: string, ownIsStale: boolean): Claim {
  for (let attempt = 0; attempt < 3; attempt++) {
    const created = createWithContent(file, ownIdentity());
    if (created !== 'exists') return created ? { kind: 'claimed' } : { kind: 'unusable' };
    let holder: ReturnType<typeof readHolder>;
    try {
      holder = readHolder(file);
    } catch {
      continue; // released in between
    }
    if (holder && holder.pid === process.pid && !ownIsStale) return { kind: 'held', holder: holder.pid };
    if (holder && holder.pid !== process.pid && alive(holder.pid, holder.startTime)) return { kind: 'held', holder: holder.pid };
    try {
      unlinkSync(file);
    } catch {
      // another process took it over first: the next attempt sees its claim
    }
  }
  return { kind: 'held', holder: Number.NaN };
}

/**
 * Creates `file` holding `content`, in one step: written beside it, then hard-linked into place
 * (link fails if the file exists). Created empty and then written, a reader could see it empty in
 * between, take it for stale and remove a claim just made.
 */
function createWithContent(file: string, content: string): boolean | 'exists' {
  const draft = `${file}.${process.pid}.draft`;
  try {
    writeFileSync(draft, content);
    linkSync(draft, file);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EEXIST' ? 'exists' : false;
  } finally {
    try {
      unlinkSync(draft);
    } catch {
      // never written
    }
  }
}
