// `npm run bench`: Skiff's data plane against the physical limit and against what a user would
// pick instead, side by side in one run, plus the sidecar's memory and start-up. Writes a table
// and bench/results/<time>.json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runControlPlaneScale, type ScaleResult } from './control-plane-scale.js';
import { runDataPlane, SCENARIOS, type DataPlaneResult } from './data-plane.js';
import { runProtocols, type ProtocolsResult } from './protocols.js';
import { HAPROXY } from './peers/haproxy.js';
import { NGINX } from './peers/nginx.js';
import { WRK } from './load/wrk.js';
import { H2LOAD } from './load/h2load.js';
import { formatTable, ratiosToDirect } from './report.js';

const HELP = `usage: npm run bench -- [options]

Measures, on loopback, one run side by side: direct to a plain upstream (the limit), one Skiff
sidecar hop, the full mesh path (client sidecar -> mTLS -> server sidecar), Debian's nginx and
HAProxy as keep-alive reverse proxies (one worker or thread each), and node-http-proxy with a
keep-alive agent. Throughput is closed-loop
(wrk); latency is open-loop at a fixed rate (no coordinated omission). Every figure is also a
ratio to direct.

  --duration <s>      seconds per measurement (default 10)
  --connections <n>   concurrent connections for throughput (default 32)
  --rate <r>          requests/s of the fixed-rate latency run (default 500)
  --scale <n,n,...>   simulated proxies for the control-plane push benchmark (default 10,100,1000)
  --only <part>       data-plane, protocols or control-plane (default all three)
                      protocols: a 1 GiB TCP transfer, gRPC unary calls and 1,000 concurrent
                      gRPC streams through the mesh path, h2load (h2c) through one sidecar,
                      and a WebSocket echo at 500 messages/s through gateway and sidecar,
                      each beside the direct figure; TCP and WebSocket also through two
                      bare Node relays with mTLS (what any two proxies on Node manage), and
                      TCP through two HAProxy relays (what two proxies in C manage)
  --quick             2 s per measurement, rate 200, scale 10,100: checks that it all works
  --out <dir>         where the JSON goes (default bench/results)
  -h, --help          this text

Needs ${WRK}, ${NGINX}, ${HAPROXY} and ${H2LOAD} (apt-get install wrk nginx haproxy nghttp2-client).`;

const root = fileURLToPath(new URL('../../../', import.meta.url));

function number(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${value}"`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { duration: { type: 'string' }, connections: { type: 'string' }, rate: { type: 'string' }, scale: { type: 'string' }, only: { type: 'string' }, quick: { type: 'boolean' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  for (const [tool, pkg] of [[WRK, 'wrk'], [NGINX, 'nginx'], [HAPROXY, 'haproxy'], [H2LOAD, 'nghttp2-client']] as const) {
    if (!existsSync(tool)) {
      console.error(`bench: ${tool} is missing; install it with apt-get install ${pkg}`);
      return 2;
    }
  }
  const quick = values.quick ?? false;
  const durationS = number('duration', values.duration, quick ? 2 : 10);
  const connections = number('connections', values.connections, 32);
  const rate = number('rate', values.rate, quick ? 200 : 500);
  const progress = (line: string) => process.stderr.write(`▶ ${line}\n`);

  progress('bundling the control plane and the proxy (what images run)…');
  for (const app of ['control-plane', 'proxy', 'gateway']) {
    const r = spawnSync(process.execPath, ['tools/bundle.mjs', `apps/${app}`], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`bundling ${app} failed: ${r.stderr}`);
  }
  const only = values.only;
  if (only !== undefined && only !== 'data-plane' && only !== 'control-plane' && only !== 'protocols') throw new Error(`--only takes data-plane, protocols or control-plane, got "${only}"`);
  const scale = (values.scale ?? (quick ? '10,100' : '10,100,1000')).split(',').map((n) => number('scale', n, 10));
  const startedAt = new Date();
  const runs = (part: string) => only === undefined || only === part;
  const dataPlane: DataPlaneResult | undefined = runs('data-plane') ? await runDataPlane({ root, durationS, warmupS: quick ? 2 : 4, connections, rate, progress }) : undefined;
  const protocols: ProtocolsResult | undefined = runs('protocols')
    ? await runProtocols({ root, durationS, tcpBytes: (quick ? 128 : 1024) * 1024 * 1024, grpcConcurrency: connections, streams: 1000, wsRate: quick ? 200 : 500, progress })
    : undefined;
  const controlPlane: ScaleResult[] = runs('control-plane') ? await runControlPlaneScale(root, scale, progress) : [];
  if (dataPlane) printDataPlane(dataPlane, durationS, connections, rate, startedAt);
  if (protocols) printProtocols(protocols, durationS);
  if (controlPlane.length > 0) {
    console.log('\nControl plane: a config change pushed to N simulated proxies (gRPC discovery streams)\n');
    console.log('proxies  file change -> all ACKed  fan-out (first -> last)  control plane RSS');
    for (const r of controlPlane) console.log(`${String(r.proxies).padEnd(7)}  ${`${r.pushToAllAcksMs.toFixed(0)} ms`.padEnd(24)}  ${`${r.fanOutMs.toFixed(0)} ms`.padEnd(23)}  ${r.controlPlaneRssMiB.toFixed(0)} MiB`);
  }

  const outDir = join(root, values.out ?? 'bench/results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ startedAt, settings: { durationS, connections, rate, quick, scale }, dataPlane, ratios: dataPlane ? ratiosToDirect(dataPlane.cases) : undefined, protocols, controlPlane }, null, 2) + '\n');
  console.log(`\nJSON: ${file}`);
  return 0;
}

function printDataPlane(dataPlane: DataPlaneResult, durationS: number, connections: number, rate: number, startedAt: Date): void {
  console.log(`\nData plane, ${durationS} s per measurement, ${connections} connections, fixed rate ${rate}/s (${startedAt.toISOString()})\n`);
  console.log(formatTable(dataPlane.cases, SCENARIOS));
  const idle = dataPlane.sidecar;
  console.log(`\nSkiff sidecar: ${idle.idleRssMiB.toFixed(1)} MiB RSS idle (${idle.idleAnonMiB.toFixed(1)} anonymous, ${idle.idleFileMiB.toFixed(1)} file pages, mostly node's own binary; settled ${(idle.settledAfterMs / 1000).toFixed(0)} s after start), ready ${idle.startupMs.toFixed(0)} ms after start (control plane already up)`);
  const errors = dataPlane.cases.filter((c) => c.errors > 0);
  if (errors.length > 0) console.log(`errors: ${errors.map((c) => `${c.name} ${c.errors}`).join(', ')}`);
}

function printProtocols(p: ProtocolsResult, durationS: number): void {
  const f = (n: number, digits = 1) => n.toFixed(digits);
  console.log(`\nProtocols through the mesh path (client sidecar -> mTLS -> server sidecar), beside direct, ${durationS} s per measurement\n`);
  console.log(`TCP ${p.tcp.bytes / 1024 / 1024} MiB   direct ${f(p.tcp.directMiBps, 0)} MiB/s   mesh ${f(p.tcp.meshMiBps, 0)} MiB/s   ratio ${f(p.tcp.ratio, 2)}   (with mTLS between them, two bare Node relays ${f(p.tcp.relaysMiBps, 0)} MiB/s, ${f(p.tcp.relaysRatio, 2)}; two HAProxy relays ${f(p.tcp.haproxyMiBps, 0)} MiB/s, ${f(p.tcp.haproxyRatio, 2)}; CPU s per GiB of the two proxies: sidecars ${f(p.tcp.proxyCpuSecondsPerGiB.mesh, 2)}, Node relays ${f(p.tcp.proxyCpuSecondsPerGiB.relays, 2)}, HAProxy ${f(p.tcp.proxyCpuSecondsPerGiB.haproxy, 2)})   sidecars' peak RSS ${f(p.tcp.sidecarPeakRssMiB.client, 0)} / ${f(p.tcp.sidecarPeakRssMiB.server, 0)} MiB`);
  console.log(`gRPC unary      direct ${f(p.grpc.directCallsPerS, 0)} calls/s   mesh ${f(p.grpc.meshCallsPerS, 0)} calls/s   ratio ${f(p.grpc.ratio, 2)}   errors ${p.grpc.errors}`);
  console.log(`gRPC streams    ${p.streams.opened} at once on one connection: ${p.streams.failed} failed, all done in ${f(p.streams.ms, 0)} ms`);
  console.log(`h2load (h2c)    direct ${f(p.h2load.directRps, 0)} req/s   one hop ${f(p.h2load.hopRps, 0)} req/s   ratio ${f(p.h2load.ratio, 2)}   (a minimal node:http2 forwarder ${f(p.h2load.ceilingRps, 0)} req/s, ${f(p.h2load.ceilingRatio, 2)}, failed ${p.h2load.ceilingFailed})   failed ${p.h2load.failed}`);
  console.log(`WebSocket ${p.websocket.rate}/s   direct p50 ${f(p.websocket.direct.p50, 2)} p99 ${f(p.websocket.direct.p99, 2)} ms   gateway+sidecar p50 ${f(p.websocket.mesh.p50, 2)} p99 ${f(p.websocket.mesh.p99, 2)} ms   added p99 ${f(p.websocket.addedP99Ms, 2)} ms   (two bare relays with mTLS: p50 ${f(p.websocket.relays.p50, 2)} p99 ${f(p.websocket.relays.p99, 2)} ms, added ${f(p.websocket.relaysAddedP99Ms, 2)} ms)   lost ${p.websocket.lost}`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
