// The protocol benchmark (issue 20's targets), each figure beside the same thing done directly
// in the same run: a 1 GiB TCP transfer through the mesh path (client sidecar, CONNECT, mTLS,
// server sidecar whose port is named tcp) with the sidecars' peak memory; gRPC unary calls
// through the mesh path (h2c to the client sidecar, HTTP/2 over mTLS, a port named grpc);
// 1,000 concurrent gRPC streams on one client connection through the mesh; h2load (h2c, many
// streams per connection) against an HTTP/2 echo through one sidecar hop; and a WebSocket echo
// through the ingress gateway and the server's sidecar at a fixed message rate. The TCP and
// WebSocket cases are also measured through two bare Node relays with mutual TLS between them,
// the most any two proxies on Node.js do on this machine (as h2load's is a node:http2
// forwarder), and TCP through two HAProxy relays too: what two proxies in C do here.
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import WebSocket from 'ws';
import { freePorts, GATEWAY_ACCOUNT, writeBootstrapTokens } from '@skiff/launcher';
import { EchoClient, type Msg } from '@skiff/testing';
import { runH2load } from './load/h2load.js';
import { summarize } from './load/percentiles.js';
import { cpuSeconds, memoryMiB } from './process-stats.js';
import { startHaproxyTlsRelay } from './peers/haproxy.js';
import { startNodeRelay } from './peers/node-relay.js';
import { relayCertificate } from './relay-certificate.js';
import { spawnReady, type Started } from './spawn-ready.js';

export interface ProtocolsOptions {
  root: string;
  durationS: number;
  /** Bytes of the TCP transfer (1 GiB; less with --quick). */
  tcpBytes: number;
  /** gRPC calls in flight at once. */
  grpcConcurrency: number;
  streams: number;
  wsRate: number;
  progress: (line: string) => void;
}

export interface ProtocolsResult {
  /** relays and haproxy: the same transfer through two bare Node relays (ceiling/tcp-relay.mjs) and through two HAProxy relays (peers/haproxy.ts), plain -> mTLS -> plain: the most two proxies on Node, and in C, move here. */
  tcp: { bytes: number; directMiBps: number; meshMiBps: number; ratio: number; relaysMiBps: number; relaysRatio: number; haproxyMiBps: number; haproxyRatio: number; proxyCpuSecondsPerGiB: { mesh: number; relays: number; haproxy: number }; sidecarPeakRssMiB: { client: number; server: number } };
  grpc: { directCallsPerS: number; meshCallsPerS: number; ratio: number; errors: number };
  streams: { opened: number; failed: number; ms: number };
  /** ceilingRps: the same load through a minimal node:http2 forwarder (protocol-peers.ts h2c-forwarder): the ceiling of a proxy on node:http2, which the sidecar's own codec is compared with. */
  h2load: { directRps: number; hopRps: number; ratio: number; ceilingRps: number; ceilingRatio: number; failed: number; ceilingFailed: number };
  /** relays: the same echo through two minimal Node relays, plain -> mTLS -> plain (ceiling/tcp-relay.mjs): what any two proxies on Node add on this machine. */
  websocket: { rate: number; messages: number; direct: { p50: number; p99: number }; mesh: { p50: number; p99: number }; addedP99Ms: number; relays: { p50: number; p99: number }; relaysAddedP99Ms: number; lost: number };
}

const config = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bench-gateway}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ws-echo}
spec:
  hosts: ["*"]
  gateways: [bench-gateway]
  http:
  - route: [{destination: {host: ws-echo, port: {number: 9080}}}]
`;

interface ProtocolMesh {
  started: Started[];
  client: Started;
  servers: Record<'tcp' | 'grpc' | 'ws' | 'h2c', Started>;
  /** The h2c echo's sidecar inbound listener (one hop; plaintext is accepted under PERMISSIVE). */
  h2cInbound: number;
  outbound: number;
  gateway: number;
}

async function startMesh(root: string, peers: { tcp: number; grpc: number; ws: number; h2c: number }): Promise<ProtocolMesh> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-protocols-'));
  const configDir = join(dir, 'config');
  mkdirSync(configDir);
  writeFileSync(join(configDir, 'bench.yaml'), config);
  const accounts = ['tcp-sink', 'grpc-echo', 'ws-echo', 'h2c-echo', 'bench-client'].map((name) => ({ name, namespace: 'default', serviceAccount: name }));
  const { tokensFile, tokenFiles } = writeBootstrapTokens(dir, [...accounts, GATEWAY_ACCOUNT]);
  const ports = (await freePorts(3 + 5 * 4 + 3)) as number[];
  const next = () => ports.shift() as number;
  const [xds, monitoring] = [next(), next(), next()];
  const bundle = (app: string) => [join(root, 'dist', 'apps', app, 'main.js')];
  const started: Started[] = [];
  const controlPlane = await spawnReady('control plane', process.execPath, [...bundle('control-plane'), '--config', configDir, '--xds-port', String(xds), '--monitoring-port', String(monitoring), '--dashboard-port', 'off', '--ca-dir', join(dir, 'ca'), '--tokens', tokensFile, '--warmup-ms', '0'], `http://127.0.0.1:${monitoring}/ready`, { cwd: root });
  started.push(controlPlane);
  const discovery = ['--control-plane', `127.0.0.1:${xds}`, '--root-cert', join(dir, 'ca', 'root-cert.pem')];
  const sidecar = async (service: string, appPort: number, portName: string, servicePort: number) => {
    const [outbound, inbound, admin, metrics] = [next(), next(), next(), next()];
    const s = await spawnReady(`${service} sidecar`, process.execPath, [...bundle('proxy'), '--service', service, '--id', `${service}.default`, '--app-port', String(appPort), '--service-port', String(servicePort), '--service-port-name', portName, '--outbound-port', String(outbound), '--inbound-port', String(inbound), '--admin-port', String(admin), '--metrics-port', String(metrics), ...discovery, '--token-file', tokenFiles[service] as string], `http://127.0.0.1:${admin}/ready`, { cwd: root });
    started.push(s);
    return { s, outbound, inbound };
  };
  const tcp = await sidecar('tcp-sink', peers.tcp, 'tcp', 9000);
  const grpcSidecar = await sidecar('grpc-echo', peers.grpc, 'grpc', 9080);
  const ws = await sidecar('ws-echo', peers.ws, 'http', 9080);
  const h2c = await sidecar('h2c-echo', peers.h2c, 'http2', 9080);
  const client = await sidecar('bench-client', peers.ws, 'http', 9080);
  const [gatewayPort, gatewayAdmin, gatewayMetrics] = [next(), next(), next()];
  const gateway = await spawnReady('gateway', process.execPath, [...bundle('gateway'), '--listen', `${gatewayPort}:80`, '--admin-port', String(gatewayAdmin), '--metrics-port', String(gatewayMetrics), ...discovery, '--token-file', tokenFiles[GATEWAY_ACCOUNT.name] as string], `http://127.0.0.1:${gatewayAdmin}/ready`, { cwd: root });
  started.push(gateway);
  return { started, client: client.s, servers: { tcp: tcp.s, grpc: grpcSidecar.s, ws: ws.s, h2c: h2c.s }, h2cInbound: h2c.inbound, outbound: client.outbound, gateway: gatewayPort };
}

/** Opens a TCP connection, directly or by a CONNECT through a sidecar, and resolves once bytes may flow. */
async function openTcp(target: { port: number; connectVia?: string }): Promise<Socket> {
  const socket = connect(target.port, '127.0.0.1');
  socket.setNoDelay(true);
  await once(socket, 'connect');
  if (!target.connectVia) return socket;
  socket.write(`CONNECT ${target.connectVia} HTTP/1.1\r\nHost: ${target.connectVia}\r\n\r\n`);
  let head = Buffer.alloc(0);
  while (head.indexOf('\r\n\r\n') < 0) head = Buffer.concat([head, ((await once(socket, 'data')) as [Buffer])[0]]);
  if (!head.toString('latin1').startsWith('HTTP/1.1 200')) throw new Error(`CONNECT ${target.connectVia} failed: ${head.toString('latin1').split('\r\n')[0]}`);
  return socket;
}

/** Sends `bytes` as fast as the connection takes them, half-closes, and returns MiB/s once the sink has counted them all. */
async function transfer(target: { port: number; connectVia?: string }, bytes: number, sample?: () => void): Promise<number> {
  const socket = await openTcp(target);
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let answer = '';
  socket.setEncoding('latin1').on('data', (c: string) => (answer += c));
  const t0 = performance.now();
  const sampler = sample ? setInterval(sample, 100) : undefined;
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    if (!socket.write(chunk)) await once(socket, 'drain');
  }
  socket.end();
  await once(socket, 'close');
  const seconds = (performance.now() - t0) / 1000;
  if (sampler) clearInterval(sampler);
  if (Number(answer.trim()) !== bytes) throw new Error(`the sink counted ${answer.trim()} bytes, ${bytes} were sent`);
  return bytes / 1024 / 1024 / seconds;
}

/** Unary calls kept `concurrency` in flight for `seconds`: calls per second, and how many failed. */
async function unaryLoad(client: InstanceType<typeof EchoClient>, concurrency: number, seconds: number): Promise<{ perS: number; errors: number }> {
  const until = performance.now() + seconds * 1000;
  let done = 0;
  let errors = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (performance.now() < until) {
      await new Promise<void>((resolve) =>
        (client.say as (m: Msg, cb: (e: grpc.ServiceError | null) => void) => void)({ text: 'bench' }, (error) => {
          if (error) errors++;
          else done++;
          resolve();
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { perS: done / ((performance.now() - t0) / 1000), errors };
}

/** `n` bidirectional streams open at once on one channel, each echoing one message. */
async function concurrentStreams(client: InstanceType<typeof EchoClient>, n: number): Promise<{ failed: number; ms: number }> {
  const t0 = performance.now();
  let failed = 0;
  await Promise.all(
    Array.from(
      { length: n },
      (_, i) =>
        new Promise<void>((resolve) => {
          const call = (client.chat as () => grpc.ClientDuplexStream<Msg, Msg>)();
          let echoed = false;
          call.on('data', (m: Msg) => (echoed = m.text === `STREAM ${i}`));
          call.on('error', () => undefined);
          call.on('status', (s: grpc.StatusObject) => {
            if (s.code !== grpc.status.OK || !echoed) failed++;
            resolve();
          });
          call.write({ text: `stream ${i}` });
          call.end();
        }),
    ),
  );
  return { failed, ms: performance.now() - t0 };
}

/** Messages at a fixed rate on one WebSocket; the round trip of each, in ms. */
async function wsLatency(url: string, rate: number, seconds: number): Promise<{ latencies: number[]; lost: number }> {
  const ws = new WebSocket(url);
  await once(ws, 'open');
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  ws.on('message', (data: Buffer) => {
    const id = data.readUInt32LE(0);
    const t = sentAt.get(id);
    if (t === undefined) return;
    latencies.push(performance.now() - t);
    sentAt.delete(id);
  });
  const total = Math.round(rate * seconds);
  const t0 = performance.now();
  for (let id = 0; id < total; id++) {
    // Open loop: each message leaves at its scheduled time, whatever the answers are doing.
    const due = t0 + (id * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const frame = Buffer.alloc(64);
    frame.writeUInt32LE(id, 0);
    // From when it was due (a late send counts against the path), never before it actually left.
    sentAt.set(id, Math.min(due, performance.now()));
    ws.send(frame);
  }
  const deadline = performance.now() + 5000;
  while (sentAt.size > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  ws.close();
  return { latencies, lost: sentAt.size };
}

export async function runProtocols(options: ProtocolsOptions): Promise<ProtocolsResult> {
  const { root, progress } = options;
  const [tcpPort, grpcPort, wsPort, h2cPort, forwarderPort, relayOutPort, relayInPort, tcpRelayOutPort, tcpRelayInPort, haproxyOutPort, haproxyInPort, ...ready] = (await freePorts(22)) as number[];
  const started: Started[] = [];
  let mesh: ProtocolMesh | undefined;
  const peer = async (mode: string, port: number, readyPort: number, ...extra: string[]) => {
    const p = await spawnReady(mode, process.execPath, ['--import', 'tsx', join(root, 'apps/bench/src/protocol-peers.ts'), mode, String(port), String(readyPort), ...extra], `http://127.0.0.1:${readyPort}/ready`, { cwd: root });
    started.push(p);
    return p;
  };
  const relay = async (start: Promise<Started>) => {
    const p = await start;
    started.push(p);
    return p;
  };
  try {
    progress('starting a TCP sink, a gRPC echo, a WebSocket echo, an h2c echo, an h2c forwarder, two pairs of Node relays, a pair of HAProxy relays, a control plane, five sidecars and a gateway…');
    const tcpSink = await peer('tcp-sink', tcpPort as number, ready[0] as number);
    const grpcEcho = await peer('grpc-echo', grpcPort as number, ready[1] as number);
    await peer('ws-echo', wsPort as number, ready[2] as number);
    const h2cEcho = await peer('h2c-echo', h2cPort as number, ready[3] as number);
    const forwarder = await peer('h2c-forwarder', forwarderPort as number, ready[4] as number, String(h2cPort));
    const certDir = await relayCertificate();
    await relay(startNodeRelay({ listen: relayInPort as number, readyPort: ready[5] as number, upstream: wsPort as number, side: 'terminate', certDir }));
    await relay(startNodeRelay({ listen: relayOutPort as number, readyPort: ready[6] as number, upstream: relayInPort as number, side: 'originate', certDir }));
    const tcpNodeRelays = [
      await relay(startNodeRelay({ listen: tcpRelayInPort as number, readyPort: ready[7] as number, upstream: tcpPort as number, side: 'terminate', certDir })),
      await relay(startNodeRelay({ listen: tcpRelayOutPort as number, readyPort: ready[8] as number, upstream: tcpRelayInPort as number, side: 'originate', certDir })),
    ];
    const tcpHaproxyRelays = [
      await relay(startHaproxyTlsRelay({ listen: haproxyInPort as number, readyPort: ready[9] as number, upstream: tcpPort as number, side: 'terminate', certDir })),
      await relay(startHaproxyTlsRelay({ listen: haproxyOutPort as number, readyPort: ready[10] as number, upstream: haproxyInPort as number, side: 'originate', certDir })),
    ];
    mesh = await startMesh(root, { tcp: tcpPort as number, grpc: grpcPort as number, ws: wsPort as number, h2c: h2cPort as number });
    const m = mesh;

    const mib = options.tcpBytes / 1024 / 1024;
    // Three rounds in alternation, each path's figure its MiB over its seconds in all: how fast the
    // direct transfer goes swings most (900 to 2,400 MiB/s between runs here, with whether the
    // kernel gives the client and the sink a core each), and one transfer per path would compare
    // a fast moment of one with a slow moment of another.
    const rounds = 3; // the WebSocket case below runs as many
    progress(`TCP: ${rounds} rounds of ${mib} MiB directly, through the mesh path (CONNECT, mTLS), through two bare Node relays and through two HAProxy relays with mTLS…`);
    const peak = { client: 0, server: 0 };
    const sample = () => {
      peak.client = Math.max(peak.client, memoryMiB(m.client.pid).current);
      peak.server = Math.max(peak.server, memoryMiB(m.servers.tcp.pid).current);
    };
    const tcpPaths = {
      direct: { port: tcpPort as number },
      mesh: { port: m.outbound, connectVia: 'tcp-sink:9000' },
      relays: { port: tcpRelayOutPort as number },
      haproxy: { port: haproxyOutPort as number },
    };
    const seconds = { direct: 0, mesh: 0, relays: 0, haproxy: 0 };
    // CPU of the path's two proxies: what a byte costs them, whatever the direct figure does.
    const proxies = { direct: [], mesh: [m.client.pid, m.servers.tcp.pid], relays: tcpNodeRelays.map((r) => r.pid), haproxy: tcpHaproxyRelays.map((r) => r.pid) };
    const proxyCpu = { direct: 0, mesh: 0, relays: 0, haproxy: 0 };
    const cpuOf = (pids: number[]) => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    for (const target of Object.values(tcpPaths)) await transfer(target, Math.min(options.tcpBytes, 64 * 1024 * 1024)); // warm-up
    for (let round = 0; round < rounds; round++) {
      for (const path of ['direct', 'mesh', 'relays', 'haproxy'] as const) {
        const cpuBefore = cpuOf(proxies[path]);
        seconds[path] += mib / (await transfer(tcpPaths[path], options.tcpBytes, path === 'mesh' ? sample : undefined));
        proxyCpu[path] += cpuOf(proxies[path]) - cpuBefore;
      }
    }
    const gib = (rounds * options.tcpBytes) / 1024 ** 3;
    const cpuPerGiB = { mesh: proxyCpu.mesh / gib, relays: proxyCpu.relays / gib, haproxy: proxyCpu.haproxy / gib };
    const [directMiBps, meshMiBps, relaysMiBps, haproxyMiBps] = [seconds.direct, seconds.mesh, seconds.relays, seconds.haproxy].map((s) => (rounds * mib) / s) as [number, number, number, number];
    for (const p of [...tcpNodeRelays, ...tcpHaproxyRelays]) await p.stop();

    progress(`gRPC unary: ${options.grpcConcurrency} calls in flight for ${options.durationS} s, directly, then through the mesh path…`);
    const direct = new EchoClient(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
    const viaMesh = new EchoClient(`127.0.0.1:${m.outbound}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': 'grpc-echo:9080' });
    await unaryLoad(direct, options.grpcConcurrency, 2);
    const grpcDirect = await unaryLoad(direct, options.grpcConcurrency, options.durationS);
    await unaryLoad(viaMesh, options.grpcConcurrency, 2);
    const grpcMesh = await unaryLoad(viaMesh, options.grpcConcurrency, options.durationS);

    progress(`${options.streams} concurrent gRPC streams on one connection through the mesh…`);
    const streams = await concurrentStreams(viaMesh, options.streams);
    direct.close();
    viaMesh.close();

    progress(`h2load: 8 connections × 10 streams for ${options.durationS} s, directly, then through the h2c echo's sidecar (one hop), then through a minimal node:http2 forwarder (the most a proxy on node:http2 could do)…`);
    const h2 = { connections: 8, streams: 10 };
    await runH2load(`http://127.0.0.1:${h2cPort}/`, { ...h2, durationS: 2 });
    const h2Direct = await runH2load(`http://127.0.0.1:${h2cPort}/`, { ...h2, durationS: options.durationS });
    await runH2load(`http://127.0.0.1:${m.h2cInbound}/`, { ...h2, durationS: 2 });
    const h2Hop = await runH2load(`http://127.0.0.1:${m.h2cInbound}/`, { ...h2, durationS: options.durationS });
    await runH2load(`http://127.0.0.1:${forwarderPort}/`, { ...h2, durationS: 2 });
    const h2Ceiling = await runH2load(`http://127.0.0.1:${forwarderPort}/`, { ...h2, durationS: options.durationS });

    // A latency tail is the one figure here that other processes' work shows up in: on 2 cores,
    // the cases above leave their peers and sidecars to collect their garbage for seconds after
    // (V8's memory reducer ran full GCs of 5 to 30 ms in them during this case). So the processes
    // not on the WebSocket's paths are stopped first, and the mesh given a moment to settle.
    progress('stopping the processes of the cases above, which the WebSocket case does not use…');
    for (const s of [tcpSink, grpcEcho, h2cEcho, forwarder, m.servers.tcp, m.servers.grpc, m.servers.h2c, m.client]) await s.stop();
    await new Promise((r) => setTimeout(r, 3000));
    // Three rounds in alternation, each path's messages pooled: the first messages through a
    // process idle for minutes are slower (in an experiment here, the gateway path's first 5 s
    // after 150 s idle had a p99 of 1.47 ms, the next three 0.57 to 0.82), and one path measured
    // once, first, would carry that alone.
    progress(`WebSocket: ${options.wsRate} messages/s, ${rounds} rounds of ${options.durationS} s directly, through the gateway and the server's sidecar, and through two bare relays…`);
    const paths = { direct: `ws://127.0.0.1:${wsPort}/`, mesh: `ws://127.0.0.1:${m.gateway}/`, relays: `ws://127.0.0.1:${relayOutPort}/` };
    for (const url of Object.values(paths)) await wsLatency(url, options.wsRate, 1);
    const ws = { direct: { latencies: [] as number[], lost: 0 }, mesh: { latencies: [] as number[], lost: 0 }, relays: { latencies: [] as number[], lost: 0 } };
    for (let round = 0; round < rounds; round++) {
      for (const path of ['direct', 'mesh', 'relays'] as const) {
        const { latencies, lost } = await wsLatency(paths[path], options.wsRate, options.durationS);
        ws[path].latencies.push(...latencies);
        ws[path].lost += lost;
      }
    }
    const [wsDirect, wsMesh, wsRelays] = [ws.direct, ws.mesh, ws.relays];
    const d = summarize(wsDirect.latencies);
    const g = summarize(wsMesh.latencies);
    const r = summarize(wsRelays.latencies);
    return {
      tcp: { bytes: options.tcpBytes, directMiBps, meshMiBps, ratio: meshMiBps / directMiBps, relaysMiBps, relaysRatio: relaysMiBps / directMiBps, haproxyMiBps, haproxyRatio: haproxyMiBps / directMiBps, proxyCpuSecondsPerGiB: cpuPerGiB, sidecarPeakRssMiB: peak },
      grpc: { directCallsPerS: grpcDirect.perS, meshCallsPerS: grpcMesh.perS, ratio: grpcMesh.perS / grpcDirect.perS, errors: grpcDirect.errors + grpcMesh.errors },
      streams: { opened: options.streams, failed: streams.failed, ms: streams.ms },
      h2load: { directRps: h2Direct.requestsPerSecond, hopRps: h2Hop.requestsPerSecond, ratio: h2Hop.requestsPerSecond / h2Direct.requestsPerSecond, ceilingRps: h2Ceiling.requestsPerSecond, ceilingRatio: h2Ceiling.requestsPerSecond / h2Direct.requestsPerSecond, failed: h2Direct.failed + h2Direct.errorStatuses + h2Hop.failed + h2Hop.errorStatuses, ceilingFailed: h2Ceiling.failed + h2Ceiling.errorStatuses },
      websocket: { rate: options.wsRate, messages: wsMesh.latencies.length, direct: { p50: d.p50, p99: d.p99 }, mesh: { p50: g.p50, p99: g.p99 }, addedP99Ms: g.p99 - d.p99, relays: { p50: r.p50, p99: r.p99 }, relaysAddedP99Ms: r.p99 - d.p99, lost: wsDirect.lost + wsMesh.lost + wsRelays.lost },
    };
  } finally {
    for (const s of [...(mesh?.started ?? [])].reverse()) await s.stop();
    for (const s of started) await s.stop();
  }
}
