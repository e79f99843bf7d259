// Debian's Prometheus, started by a test to scrape a test mesh's proxies: its own config and
// data directory, a port on loopback, stopped (and its files removed) by stop().
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@skiff/launcher';
import { get } from './http.js';
import type { TestMesh } from './mesh.js';
import { waitFor } from './wait.js';

export const PROMETHEUS_BINARY = '/usr/bin/prometheus';

export interface TestPrometheus {
  /** Base URL, e.g. http://127.0.0.1:20417 (the API is under /api/v1). */
  url: string;
  stop(): Promise<void>;
}

/** Why a test must skip, or undefined when Prometheus is installed. */
export function prometheusMissing(): string | undefined {
  return existsSync(PROMETHEUS_BINARY) ? undefined : `${PROMETHEUS_BINARY} is not installed (apt-get install prometheus)`;
}

/** Scrapes every proxy of the mesh (job skiff-proxies, label workload) every second. */
export async function startPrometheus(mesh: TestMesh): Promise<TestPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-prometheus-'));
  const port = await freePort();
  const targets = Object.entries(mesh.plan.urls.metrics).map(([workload, url]) => `      - targets: ['${new URL(url).host}']\n        labels: { workload: ${workload} }`);
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: skiff-proxies\n    metrics_path: /stats/prometheus\n    static_configs:\n${targets.join('\n')}\n`,
  );
  const child = spawn(PROMETHEUS_BINARY, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`Prometheus ready on :${port}`, async () => (await get(`${url}/-/ready`).catch(() => ({ status: 0 }))).status === 200, 20_000, 200);
  } catch (error) {
    await stop();
    throw new Error(`${String(error)}; prometheus stderr: ${stderr}`);
  }
  return { url, stop };
}
