// `npm run bench:profile`: where a busy sidecar's CPU goes. Starts the bench's upstream and
// Skiff mesh from the bundles, loads one sidecar with wrk, and reads it from outside twice:
// `strace -c` (syscalls per request) and `perf record` (kernel, node's and V8's native code,
// node's JavaScript, Skiff's JavaScript). This is the profile docs/benchmarks.md cites.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePorts } from '@skiff/launcher';
import { runWrk, WRK } from './load/wrk.js';
import { startSkiffMesh } from './peers/skiff.js';
import { parsePerfReport, shareByCategory } from './profile/perf-categories.js';
import { parseStraceSummary, perRequest } from './profile/strace-summary.js';
import { spawnReady } from './spawn-ready.js';

const STRACE = '/usr/bin/strace';
const PERF = '/usr/bin/perf';
const CASES = ['hop', 'mesh-client', 'mesh-server'] as const;
type Case = (typeof CASES)[number];

const HELP = `usage: npm run bench:profile -- [options]

Loads one Skiff sidecar with wrk (32 connections, small body) and shows where its CPU goes:
syscalls per request (strace -c) and the share of CPU samples (perf) in the kernel, in node's
and V8's native code, in V8's builtins, in node's JavaScript and in Skiff's JavaScript, with
Skiff's busiest functions.

  --case <c>         hop (the inbound listener in front of the upstream, as the bench's one hop),
                     mesh-client or mesh-server (either sidecar of the mTLS mesh path); default hop
  --duration <s>     seconds of load per measurement (default 8)
  --top <n>          how many of Skiff's functions to list (default 15)
  -h, --help         this text

Needs ${WRK}, ${STRACE} and ${PERF} (apt-get install wrk strace linux-perf), and permission to
attach to a process (root, or kernel.perf_event_paranoid <= 1 and ptrace allowed).`;

const root = fileURLToPath(new URL('../../../', import.meta.url));

function run(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(0, 500)}`);
  return r.stdout;
}

/** Runs `tool` attached to `pid` while wrk loads the sidecar; returns the requests wrk counted. */
async function underLoad(command: string, args: string[], url: string, headers: Record<string, string> | undefined, durationS: number): Promise<number> {
  const tool = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  tool.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  const exited = new Promise<number | null>((resolve) => tool.once('exit', resolve));
  await new Promise((r) => setTimeout(r, 500));
  if (tool.exitCode !== null) throw new Error(`${command} exited at once: ${stderr}`);
  const load = await runWrk(url, { connections: 32, durationS, headers });
  tool.kill('SIGINT');
  const code = await exited;
  if (code !== 0 && code !== null) throw new Error(`${command} exited ${code}: ${stderr}`);
  return load.requests;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { case: { type: 'string' }, duration: { type: 'string' }, top: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const which = (values.case ?? 'hop') as Case;
  if (!CASES.includes(which)) throw new Error(`--case takes ${CASES.join(', ')}, got "${values.case}"`);
  const durationS = Number(values.duration ?? 8);
  const top = Number(values.top ?? 15);
  if (!(durationS > 0) || !(top > 0)) throw new Error('--duration and --top must be positive numbers');
  for (const tool of [WRK, STRACE, PERF]) {
    if (!existsSync(tool)) {
      console.error(`bench:profile: ${tool} is missing; install it with apt-get install ${tool === PERF ? 'linux-perf' : tool.split('/').pop()}`);
      return 2;
    }
  }
  const progress = (line: string) => process.stderr.write(`▶ ${line}\n`);
  progress('bundling the control plane and the proxy (what images run)…');
  for (const app of ['control-plane', 'proxy']) run(process.execPath, ['tools/bundle.mjs', `apps/${app}`]);

  const [upstreamPort] = (await freePorts(1)) as [number];
  progress('starting the upstream and a Skiff control plane with two sidecars…');
  const upstream = await spawnReady('upstream', process.execPath, ['--import', 'tsx', join(root, 'apps/bench/src/upstream.ts'), String(upstreamPort)], `http://127.0.0.1:${upstreamPort}/small`, { cwd: root });
  // --perf-basic-prof: node writes /tmp/perf-<pid>.map, so perf can name JIT-compiled functions.
  const mesh = await startSkiffMesh(root, upstreamPort, ['--perf-basic-prof']).catch(async (error: unknown) => {
    await upstream.stop();
    throw error;
  });
  try {
    const url = which === 'hop' ? `${mesh.inbound}/small` : `${mesh.outbound}/small`;
    const headers = which === 'hop' ? undefined : { host: 'upstream:9080' };
    const pid = String(which === 'mesh-client' ? mesh.client.pid : mesh.server.pid);
    progress(`warming up (4 s)…`);
    await runWrk(url, { connections: 32, durationS: 4, headers });

    const dir = mkdtempSync(join(tmpdir(), 'skiff-profile-'));
    progress(`strace -c on the ${which} sidecar (pid ${pid}) under ${durationS} s of load…`);
    const straceOut = join(dir, 'strace.txt');
    const straced = await underLoad(STRACE, ['-c', '-f', '-p', pid, '-o', straceOut], url, headers, durationS);
    progress(`perf record on the same sidecar under ${durationS} s of load…`);
    const perfData = join(dir, 'perf.data');
    const perfed = await underLoad(PERF, ['record', '-g', '-o', perfData, '-p', pid], url, headers, durationS);
    const report = run(PERF, ['report', '-i', perfData, '--no-children', '--sort', 'sym', '-g', 'none']);

    console.log(`\n${which} sidecar, 32 connections, small body (requests under strace ${straced}, under perf ${perfed}; both tools slow it down)\n`);
    console.log('syscalls per request:');
    for (const row of perRequest(parseStraceSummary(readFileSync(straceOut, 'utf8')), straced)) console.log(`  ${row.name.padEnd(14)} ${row.perRequest.toFixed(2)}`);
    const lines = parsePerfReport(report);
    console.log('\nshare of CPU samples:');
    for (const [category, share] of shareByCategory(lines, '/dist/apps/proxy/')) console.log(`  ${category.padEnd(32)} ${share.toFixed(1)}%`);
    console.log(`\nSkiff's busiest functions (self time; inlined callees count in their caller):`);
    for (const line of lines.filter((l) => l.symbol.includes('/dist/apps/proxy/')).slice(0, top)) console.log(`  ${line.share.toFixed(2).padStart(5)}%  ${line.symbol.replace(/^JS:\*?/, '').replace(/file:\/\/\S*\/dist\/apps\//, '')}`);
    console.log(`\nperf data: ${perfData} (perf report -i ${perfData})`);
    return 0;
  } finally {
    await mesh.stop();
    await upstream.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`bench:profile: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
