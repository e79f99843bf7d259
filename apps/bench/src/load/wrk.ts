// Closed-loop throughput with Debian's wrk: as many requests as the connections can carry.
import { spawn } from 'node:child_process';
import { parseWrkOutput, type WrkResult } from './wrk-output.js';

export const WRK = '/usr/bin/wrk';

/** "host" -> "Host": wrk adds its own Host header unless it finds one spelled exactly "Host". */
export function wrkHeaderName(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}

export function runWrk(url: string, options: { connections: number; durationS: number; headers?: Record<string, string> }): Promise<WrkResult> {
  const args = ['-t', '1', '-c', String(options.connections), '-d', `${options.durationS}s`, '--latency', ...Object.entries(options.headers ?? {}).flatMap(([k, v]) => ['-H', `${wrkHeaderName(k)}: ${v}`]), url];
  return new Promise((resolve, reject) => {
    const child = spawn(WRK, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited ${code}: ${out.slice(0, 500)}`));
      try {
        resolve(parseWrkOutput(out));
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}
