// Helpers for this library's tests: tiny child scripts in a temp dir, and checks that a pid is
// really gone. Not exported from index.ts.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProcessSpec } from './process-spec.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
/** Child scripts import the launcher by absolute URL: a temp dir cannot resolve @skiff/launcher. */
export const launcherUrl = new URL('./index.ts', import.meta.url).href;

export interface ScriptDir {
  dir: string;
  /** Writes `source` to `name` in the temp dir and returns its path. */
  write(name: string, source: string): string;
  path(name: string): string;
  remove(): void;
}

export function makeScriptDir(): ScriptDir {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-launcher-test-'));
  return {
    dir,
    write(name, source) {
      const file = join(dir, name);
      writeFileSync(file, source);
      return file;
    },
    path: (name) => join(dir, name),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A spec running a plain .mjs script with this node. */
export function nodeSpec(name: string, script: string, extra: Partial<ProcessSpec> = {}): ProcessSpec {
  return { name, command: process.execPath, args: [script], ...extra };
}

/** A spec running a script that imports TypeScript (the launcher) through tsx. */
export function tsxSpec(name: string, script: string, extra: Partial<ProcessSpec> = {}): ProcessSpec {
  // `--import tsx` resolves from the cwd, so run from the repo root.
  return { name, command: process.execPath, args: ['--import', 'tsx', script], cwd: repoRoot, ...extra };
}

/**
 * True when no process with this pid exists any more. A dead child whose parent died is
 * re-parented to PID 1, and on machines where PID 1 does not reap (as in some VMs and
 * containers) it lingers as a zombie that `kill(pid, 0)` still finds: count that as gone too.
 */
export function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return false; // no /proc (macOS): kill(pid, 0) said it exists
  }
}

/** Polls until the pid is gone; returns false if it is still there after `timeoutMs`. */
export async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (isGone(pid)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Kills a pid a test started, ignoring "already gone". */
export function killQuietly(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Collects a plain child's stdout and resolves with the first line matching `pattern`. */
export function waitForStdoutLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no stdout line matched ${pattern} within ${timeoutMs} ms; stdout so far:\n${seen}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString('utf8');
      const line = seen.split('\n').slice(0, -1).find((l) => pattern.test(l)); // whole lines only
      if (line !== undefined) {
        cleanup();
        resolve(line);
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      cleanup();
      reject(new Error(`the child exited (${code ?? signal}) before printing a line matching ${pattern}; stdout:\n${seen}`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Resolves with how a plain child process ended. */
export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}
