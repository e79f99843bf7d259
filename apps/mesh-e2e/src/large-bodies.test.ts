// 1 GiB bodies through the whole mesh path, each proxy a process of its own as `skiff up` runs
// them: client -> gateway -> relay's sidecar (inbound) -> relay app -> relay's sidecar (outbound)
// -> bulk's sidecar (inbound, mTLS from relay's) -> bulk app. Streaming, not store-and-forward:
// each proxy's RSS grows by less than 32 MiB, a reader that stops reading stops the writer at the
// far end, and bodies cut short in either direction leave no pooled connection in use.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { Readable } from 'node:stream';
import { freePorts } from '@skiff/launcher';
import { getJson, startProcessMesh, waitFor, type ProcessMesh } from '@skiff/testing';

const GiB = 1024 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0x61);
const RSS_GROWTH_LIMIT_MIB = 32;
const WARM_UP = 32 * 1024 * 1024;
const PROXIES = ['gateway', 'relay-proxy', 'bulk-proxy'];

const config = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bulk-gateway}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: relay}
spec:
  hosts: ["*"]
  gateways: [bulk-gateway]
  http:
  - route:
    - destination: {host: relay, port: {number: 9080}}
`;

/** VmRSS of a process, in MiB. */
function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

/** `bytes` bytes in 64 KiB chunks, produced only as fast as they are read. */
function bytesOf(bytes: number): Readable {
  let left = bytes;
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const n = Math.min(left, CHUNK.length);
      left -= n;
      this.push(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n));
    },
  });
}

const round = (mib: number) => Math.round(mib * 10) / 10;

const listen = (server: Server, port: number) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));

describe('1 GiB bodies through gateway, two sidecars and mTLS', { timeout: 240_000 }, () => {
  let mesh: ProcessMesh;
  let bulk: Server;
  let relay: Server;
  let gatewayUrl: string;
  const pids: Record<string, number> = {};
  const admin: Record<string, string> = {};
  /** What the bulk app saw of each upload: bytes received, and whether it ended. */
  const uploads: Array<{ bytes: number; complete: boolean }> = [];
  /** Bytes the bulk app has handed to its socket per download. */
  const downloads: Array<{ written: number }> = [];
  let pauseUploads = false;
  /** Each proxy's RSS before any large body, for the diagnostics. */
  let cold: Record<string, number> = {};
  const pausedUploads: IncomingMessage[] = [];

  before(async () => {
    const [bulkApp, relayApp] = (await freePorts(2)) as [number, number];
    // The relay app calls bulk through its sidecar's outbound port, known once the mesh is up.
    let relayOutbound = 0;

    // bulk: sinks uploads, streams downloads of any size, with backpressure.
    bulk = createServer((req, res) => {
      if (req.method === 'POST') {
        const upload = { bytes: 0, complete: false };
        uploads.push(upload);
        if (pauseUploads) {
          req.pause();
          pausedUploads.push(req);
        }
        req.on('data', (c: Buffer) => (upload.bytes += c.length));
        req.on('end', () => {
          upload.complete = true;
          res.writeHead(200, { 'content-type': 'text/plain' }).end(String(upload.bytes));
        });
        return;
      }
      const size = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('bytes') ?? 0);
      const download = { written: 0 };
      downloads.push(download);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
      const source = bytesOf(size);
      source.on('data', (c: Buffer) => (download.written += c.length));
      source.pipe(res);
      res.on('close', () => source.destroy());
    });
    await listen(bulk, bulkApp);
    // relay: an app that calls bulk through its own sidecar, streaming both ways.
    relay = createServer((req, res) => {
      const out = httpRequest({ host: '127.0.0.1', port: relayOutbound, method: req.method, path: `http://bulk:9080${req.url}`, headers: { ...req.headers, host: 'bulk:9080' } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on('error', () => res.destroy());
      res.on('close', () => out.destroy());
      req.pipe(out);
    });
    await listen(relay, relayApp);

    mesh = await startProcessMesh({
      config,
      gateway: true,
      workloads: [
        { name: 'bulk', appPort: bulkApp },
        { name: 'relay', appPort: relayApp },
      ],
      ...(process.env['LB_NODE_OPTIONS'] ? { proxyEnv: { NODE_OPTIONS: process.env['LB_NODE_OPTIONS'] } } : {}),
    });
    relayOutbound = mesh.proxies['relay-proxy']?.outbound as number;
    gatewayUrl = `http://127.0.0.1:${mesh.gatewayPort}`;
    for (const [name, endpoints] of Object.entries(mesh.proxies)) {
      pids[name] = endpoints.pid;
      admin[name] = endpoints.admin;
    }
    // The path works end to end before anything is measured.
    await waitFor('the gateway to reach bulk through relay', async () => (await transfer('POST', '/warm', 1024)).status === 200, 30_000);
    // The first MiBs of any stream compile the code on its path and grow V8's young generation to
    // its working size, once per process; 32 MiB each way first, so what is measured is what
    // 1 GiB adds beyond that (a proxy that stored bodies would grow by the body).
    cold = Object.fromEntries(PROXIES.map((n) => [n, rssMiB(pids[n] as number)]));
    assert.equal((await transfer('POST', '/warm-up', WARM_UP)).status, 200);
    assert.equal((await transfer('GET', `/download?bytes=${WARM_UP}`)).bytes, WARM_UP);
  });

  after(async () => {
    for (const req of pausedUploads) req.resume();
    await mesh?.stop();
    bulk?.close();
    relay?.close();
  });

  /** One request through the gateway; resolves with the status and the bytes read back. */
  function transfer(method: 'POST' | 'GET', path: string, uploadBytes = 0): Promise<{ status: number; bytes: number }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${gatewayUrl}${path}`, { method, headers: { host: 'bulk.example', ...(method === 'POST' ? { 'content-length': uploadBytes } : {}) } }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
        res.on('error', reject);
      });
      req.on('error', reject);
      if (method === 'POST') bytesOf(uploadBytes).pipe(req);
      else req.end();
    });
  }

  /** Runs `work` while sampling each proxy's RSS; returns the growth over the RSS just before. */
  async function rssGrowthDuring<T>(work: () => Promise<T>): Promise<{ result: T; growth: Record<string, number>; fromCold: Record<string, number> }> {
    const names = PROXIES;
    const base = Object.fromEntries(names.map((n) => [n, rssMiB(pids[n] as number)]));
    const peak = { ...base };
    const timer = setInterval(() => {
      for (const n of names) peak[n] = Math.max(peak[n] as number, rssMiB(pids[n] as number));
    }, 50);
    try {
      const result = await work();
      const growth = Object.fromEntries(names.map((n) => [n, round((peak[n] as number) - (base[n] as number))]));
      return { result, growth, fromCold: Object.fromEntries(names.map((n) => [n, round((peak[n] as number) - (cold[n] as number))])) };
    } finally {
      clearInterval(timer);
    }
  }

  async function poolsIdle(): Promise<void> {
    for (const [name, url] of Object.entries(admin)) {
      await waitFor(
        `${name}: no pooled connection left in use`,
        async () => {
          const { body: pools } = await getJson<{ upstream: Record<string, { running: number; queued: number }>; app: Record<string, { busy: number; waiting: number }> }>(`${url}/pools`);
          const idle = Object.values(pools.upstream).every((p) => p.running === 0 && p.queued === 0) && Object.values(pools.app ?? {}).every((p) => p.busy === 0 && p.waiting === 0);
          if (!idle) throw new Error(`pools: ${JSON.stringify(pools)}`);
          return true;
        },
        10_000,
      );
    }
  }

  test('a 1 GiB upload arrives whole, and no proxy grows by 32 MiB', async (t) => {
    const { result, growth, fromCold } = await rssGrowthDuring(() => transfer('POST', '/upload', GiB));
    t.diagnostic(`RSS growth MiB during the upload ${JSON.stringify(growth)}; peak over the cold start ${JSON.stringify(fromCold)}`);
    assert.equal(result.status, 200);
    assert.equal(uploads.at(-1)?.bytes, GiB);
    for (const [name, mib] of Object.entries(growth)) assert.ok(mib < RSS_GROWTH_LIMIT_MIB, `${name} grew by ${mib.toFixed(1)} MiB during the upload (${JSON.stringify(growth)})`);
  });

  test('a 1 GiB download arrives whole, and no proxy grows by 32 MiB', async (t) => {
    const { result, growth, fromCold } = await rssGrowthDuring(() => transfer('GET', `/download?bytes=${GiB}`));
    t.diagnostic(`RSS growth MiB during the download ${JSON.stringify(growth)}; peak over the cold start ${JSON.stringify(fromCold)}`);
    assert.equal(result.status, 200);
    assert.equal(result.bytes, GiB);
    for (const [name, mib] of Object.entries(growth)) assert.ok(mib < RSS_GROWTH_LIMIT_MIB, `${name} grew by ${mib.toFixed(1)} MiB during the download`);
  });

  test('a client that stops reading stops the app writing: backpressure across every hop', async () => {
    const started = downloads.length;
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${gatewayUrl}/download?bytes=${GiB}`, { headers: { host: 'bulk.example' } }, (res) => {
        res.pause();
        // Give the pipeline time to fill every buffer it has, then see how far the app got.
        setTimeout(() => {
          const written = downloads[started]?.written ?? 0;
          req.destroy();
          try {
            assert.ok(written > 0, 'the download started');
            assert.ok(written < 256 * 1024 * 1024, `the app wrote ${(written / 1048576).toFixed(0)} MiB to a client that read nothing`);
            resolve();
          } catch (error) {
            reject(error);
          }
        }, 2000);
      });
      req.on('error', () => undefined);
      req.end();
    });
    await poolsIdle();
  });

  test('an app that stops reading stops the client sending: backpressure on uploads', async () => {
    pauseUploads = true;
    let sent = 0;
    const req = httpRequest(`${gatewayUrl}/slow-upload`, { method: 'POST', headers: { host: 'bulk.example', 'content-length': GiB } });
    req.on('error', () => undefined);
    const source = bytesOf(GiB);
    source.on('data', (c: Buffer) => (sent += c.length));
    source.pipe(req);
    await new Promise((r) => setTimeout(r, 2000));
    const sentWhilePaused = sent;
    req.destroy();
    source.destroy();
    pauseUploads = false;
    for (const paused of pausedUploads.splice(0)) paused.destroy();
    assert.ok(sentWhilePaused > 0, 'the upload started');
    assert.ok(sentWhilePaused < 256 * 1024 * 1024, `the client sent ${(sentWhilePaused / 1048576).toFixed(0)} MiB to an app that read nothing`);
    await poolsIdle();
  });

  test('bodies cut short mid-way, in either direction, leave no pooled connection in use', async () => {
    const upload = httpRequest(`${gatewayUrl}/cut-upload`, { method: 'POST', headers: { host: 'bulk.example', 'content-length': GiB } });
    upload.on('error', () => undefined);
    upload.write(Buffer.alloc(8 * 1024 * 1024, 0x62));
    await waitFor('the upload to reach bulk', () => (uploads.at(-1)?.bytes ?? 0) > 0, 10_000);
    upload.destroy();
    await new Promise<void>((resolve) => {
      const download = httpRequest(`${gatewayUrl}/download?bytes=${GiB}`, { headers: { host: 'bulk.example' } }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          if (bytes > 8 * 1024 * 1024) {
            download.destroy();
            resolve();
          }
        });
      });
      download.on('error', () => undefined);
      download.end();
    });
    await poolsIdle();
    assert.equal(uploads.at(-1)?.complete, false, 'the cut upload never completed at the app');
    // And the path still works.
    assert.equal((await transfer('POST', '/after', 4096)).status, 200);
  });
});
