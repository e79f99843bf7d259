// The data-plane benchmark: the same upstream reached directly, through one Skiff sidecar,
// through the full mesh path (client sidecar -> mTLS -> server sidecar), through nginx and
// through HAProxy and node-http-proxy, each measured closed-loop for throughput (wrk) and at a fixed rate
// for latency (open loop), with the proxies' CPU and peak memory.
import { join } from 'node:path';
import { freePorts } from '@skiff/launcher';
import { openLoop } from './load/open-loop.js';
import { runWrk } from './load/wrk.js';
import { startHaproxy } from './peers/haproxy.js';
import { startNginx } from './peers/nginx.js';
import { startSkiffMesh, type SkiffMesh } from './peers/skiff.js';
import { cpuSeconds, memoryMiB, settledMemoryMiB } from './process-stats.js';
import type { CaseResult } from './report.js';
import { spawnReady, type Started } from './spawn-ready.js';

export interface DataPlaneOptions {
  root: string;
  durationS: number;
  /** Load before each case's measurements, not counted: JIT, pools and TLS sessions warm up. */
  warmupS: number;
  connections: number;
  /** Fixed rate for the latency run, requests/s. */
  rate: number;
  progress: (line: string) => void;
}

export const SCENARIOS = ['small', '64KiB', 'small new-conn'] as const;

interface Case {
  name: string;
  url: string;
  headers?: Record<string, string>;
  pids: number[];
}

export interface DataPlaneResult {
  cases: CaseResult[];
  /** Idle RSS once settled (settledMemoryMiB), with its anonymous and file-backed parts. */
  sidecar: { idleRssMiB: number; idleAnonMiB: number; idleFileMiB: number; settledAfterMs: number; startupMs: number };
}

export async function runDataPlane(options: DataPlaneOptions): Promise<DataPlaneResult> {
  const { root, progress } = options;
  const [upstreamPort, nginxPort, haproxyPort, nodeProxyPort] = (await freePorts(4)) as [number, number, number, number];
  const started: Started[] = [];
  let mesh: SkiffMesh | undefined;
  try {
    progress('starting the upstream, nginx, HAProxy, node-http-proxy and a Skiff control plane with two sidecars…');
    const upstream = await spawnReady('upstream', process.execPath, ['--import', 'tsx', join(root, 'apps/bench/src/upstream.ts'), String(upstreamPort)], `http://127.0.0.1:${upstreamPort}/small`, { cwd: root });
    started.push(upstream);
    const nginx = await startNginx(nginxPort, upstreamPort);
    started.push(nginx);
    const haproxy = await startHaproxy(haproxyPort, upstreamPort);
    started.push(haproxy);
    const nodeProxy = await spawnReady('node-http-proxy', process.execPath, ['--import', 'tsx', join(root, 'apps/bench/src/peers/http-proxy-server.ts'), String(nodeProxyPort), String(upstreamPort)], `http://127.0.0.1:${nodeProxyPort}/small`, { cwd: root });
    started.push(nodeProxy);
    mesh = await startSkiffMesh(root, upstreamPort);
    progress('waiting for the sidecar to settle before measuring its idle memory (up to 60 s)…');
    const idle = await settledMemoryMiB(mesh.server.pid);
    const sidecar = { idleRssMiB: idle.current, idleAnonMiB: idle.anon, idleFileMiB: idle.file, settledAfterMs: idle.afterMs, startupMs: mesh.server.startupMs };
    const cases: Case[] = [
      { name: 'direct', url: `http://127.0.0.1:${upstreamPort}`, pids: [] },
      { name: 'skiff sidecar (1 hop)', url: mesh.inbound, pids: [mesh.server.pid] },
      { name: 'skiff mesh (2 sidecars, mTLS)', url: mesh.outbound, headers: { host: 'upstream:9080' }, pids: [mesh.client.pid, mesh.server.pid] },
      { name: 'nginx (C peer)', url: `http://127.0.0.1:${nginxPort}`, pids: [nginx.pid] },
      { name: 'haproxy (C peer)', url: `http://127.0.0.1:${haproxyPort}`, pids: [haproxy.pid] },
      { name: 'node-http-proxy (Node peer)', url: `http://127.0.0.1:${nodeProxyPort}`, pids: [nodeProxy.pid] },
    ];
    const results: CaseResult[] = [];
    const directUrl = `http://127.0.0.1:${upstreamPort}`;
    for (const c of cases) {
      const throughput: Record<string, number> = {};
      const cpuPer1000: Record<string, number> = {};
      let errors = 0;
      // A proxy's first seconds run unoptimized code over cold pools; users live in the steady state.
      progress(`${c.name}: warming up, ${options.warmupS} s (not counted)`);
      for (const path of ['/small', '/large']) await runWrk(`${c.url}${path}`, { connections: options.connections, durationS: options.warmupS / 2, headers: c.headers });
      const cpuNow = () => c.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
      const isDirect = c.name === 'direct';
      const paired = { throughput: {} as Record<string, number>, latency: { p50: NaN, p99: NaN } };
      for (const scenario of SCENARIOS) {
        const path = scenario === '64KiB' ? '/large' : '/small';
        const connections = scenario === 'small new-conn' ? Math.min(8, options.connections) : options.connections;
        const close: Record<string, string> = scenario === 'small new-conn' ? { connection: 'close' } : {};
        if (!isDirect) {
          progress(`${c.name}: direct first, ${scenario}, ${options.durationS} s (wrk)`);
          paired.throughput[scenario] = (await runWrk(`${directUrl}${path}`, { connections, durationS: options.durationS, headers: close })).requestsPerSecond;
        }
        const cpuBefore = cpuNow();
        progress(`${c.name}: ${scenario}, ${options.connections} connections, ${options.durationS} s (wrk)`);
        const headers = { ...c.headers, ...close };
        const r = await runWrk(`${c.url}${path}`, { connections, durationS: options.durationS, headers });
        throughput[scenario] = r.requestsPerSecond;
        errors += r.errors;
        // Per scenario: a 64 KiB body or a new connection costs a proxy far more than a small
        // keep-alive request, and a mixed figure would hide which one a change moved.
        if (c.pids.length > 0) cpuPer1000[scenario] = ((cpuNow() - cpuBefore) / r.requests) * 1000;
      }
      if (!isDirect) {
        progress(`${c.name}: direct first, ${options.rate} req/s for ${options.durationS} s (open loop)`);
        const d = await openLoop({ url: `${directUrl}/small`, ratePerSecond: options.rate, durationMs: options.durationS * 1000, connections: options.connections });
        paired.latency = { p50: d.latencyMs.p50, p99: d.latencyMs.p99 };
      }
      progress(`${c.name}: ${options.rate} req/s for ${options.durationS} s (open loop)`);
      const latency = await openLoop({ url: `${c.url}/small`, headers: c.headers, ratePerSecond: options.rate, durationMs: options.durationS * 1000, connections: options.connections });
      errors += latency.errors;
      progress(`${c.name}: achieved ${latency.achievedRate.toFixed(0)} req/s; the client sent each request ${latency.sendLagMs.p50.toFixed(2)} ms late at the median (${latency.sendLagMs.p99.toFixed(2)} at p99), which every latency figure includes`);
      results.push({
        name: c.name,
        throughput,
        errors,
        latency: { rate: Math.round(latency.achievedRate), p50: latency.latencyMs.p50, p99: latency.latencyMs.p99, p999: latency.latencyMs.p999 },
        ...(c.pids.length > 0 ? { cpuPer1000, peakRssMiB: Math.max(...c.pids.map((pid) => memoryMiB(pid).peak)) } : {}),
        ...(isDirect ? {} : { pairedDirect: paired }),
      });
    }
    return { cases: results, sidecar };
  } finally {
    await mesh?.stop();
    await Promise.all(started.reverse().map((s) => s.stop()));
  }
}
