// Starts a server process for a benchmark and waits until it answers; stops it by its pid.
import { spawn, type ChildProcess } from 'node:child_process';

export interface Started {
  pid: number;
  startupMs: number;
  stop(): Promise<void>;
}

export async function spawnReady(name: string, command: string, args: string[], readyUrl: string, options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Started> {
  const t0 = performance.now();
  const child: ChildProcess = spawn(command, args, { cwd: options.cwd, env: { ...process.env, SKIFF_LOG_LEVEL: 'warn', ...options.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} before it was ready:\n${stderr}`);
    const ok = await fetch(readyUrl, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} not ready at ${readyUrl} after ${options.timeoutMs ?? 30_000} ms:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    pid: child.pid as number,
    startupMs: performance.now() - t0,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
