// Closed-loop HTTP/2 throughput with Debian's h2load (nghttp2-client): h2c with prior knowledge,
// many streams on each connection, as an HTTP/2 client of a sidecar sends them.
import { spawn } from 'node:child_process';
import { parseH2loadOutput, type H2loadResult } from './h2load-output.js';

export const H2LOAD = '/usr/bin/h2load';

export function runH2load(url: string, options: { connections: number; streams: number; durationS: number; headers?: Record<string, string> }): Promise<H2loadResult> {
  const headers = Object.entries(options.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  const args = ['-t', '1', '-c', String(options.connections), '-m', String(options.streams), '-D', String(options.durationS), ...headers, url];
  return new Promise((resolve, reject) => {
    const child = spawn(H2LOAD, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', (error) => reject(new Error(`cannot run ${H2LOAD} (apt-get install nghttp2-client): ${error.message}`)));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`h2load exited ${code}: ${out.slice(-500)}`));
      try {
        const result = parseH2loadOutput(out);
        // A run in which nothing succeeded measured nothing (h2load still exits 0 when it cannot connect).
        if (result.succeeded === 0) return reject(new Error(`h2load got no answer from ${url}: ${out.slice(-300)}`));
        resolve(result);
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}
