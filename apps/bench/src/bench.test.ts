import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { durationMs, parseWrkOutput } from './load/wrk-output.js';
import { runWrk, WRK, wrkHeaderName } from './load/wrk.js';
import { parseH2loadOutput } from './load/h2load-output.js';
import { H2LOAD, runH2load } from './load/h2load.js';
import { createServer as createH2cServer } from 'node:http2';
import { percentile, summarize } from './load/percentiles.js';
import { notBefore, openLoop } from './load/open-loop.js';
import { formatTable, ratiosToDirect, type CaseResult } from './report.js';
import { freePorts } from '@skiff/launcher';
import { HAPROXY, haproxyConfig, startHaproxy, startHaproxyTlsRelay } from './peers/haproxy.js';
import { NGINX, nginxConfig, startNginx } from './peers/nginx.js';
import { startNodeRelay } from './peers/node-relay.js';
import { relayCertificate } from './relay-certificate.js';

// What Debian's wrk 4.1 prints with --latency (socket errors and non-2xx lines appear only when non-zero).
const WRK_OUTPUT = `Running 5s test @ http://127.0.0.1:34567/small
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.52ms  310.12us   9.87ms   91.23%
    Req/Sec    21.05k     1.02k   22.80k    78.00%
  Latency Distribution
     50%    1.48ms
     75%    1.60ms
     90%  850.00us
     99%    2.01s
  104752 requests in 5.00s, 14.49MB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 7
Requests/sec:  20950.12
Transfer/sec:      2.90MB
`;

describe('wrk output', () => {
  test('throughput, request count, errors and the latency distribution in ms', () => {
    assert.deepEqual(parseWrkOutput(WRK_OUTPUT), { requestsPerSecond: 20950.12, requests: 104752, errors: 12, latencyMs: { p50: 1.48, p75: 1.6, p90: 0.85, p99: 2010 } });
  });
  test('units and bad input', () => {
    assert.equal(durationMs('250.00us'), 0.25);
    assert.equal(durationMs('1.5m'), 90_000);
    assert.throws(() => durationMs('3h'), /not a wrk duration/);
    assert.throws(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused'), /no summary/);
  });
});

// What nghttp2-client 1.52's h2load prints at the end of a timed run.
const H2LOAD_OUTPUT = `Application protocol: h2c
finished in 2.01s, 34950.00 req/s, 1.30MB/s
requests: 69900 total, 69940 started, 69900 done, 69890 succeeded, 4 failed, 5 errored, 1 timeout
status codes: 69880 2xx, 0 3xx, 7 4xx, 3 5xx
traffic: 2.60MB (2726748) total, 136.81KB (140096) headers (space savings 95.34%), 682.71KB (699100) data
`;

describe('h2load', () => {
  test('throughput, successes, failures and error statuses', () => {
    assert.deepEqual(parseH2loadOutput(H2LOAD_OUTPUT), { requestsPerSecond: 34950, succeeded: 69890, failed: 10, errorStatuses: 10 });
    assert.throws(() => parseH2loadOutput('connect to 127.0.0.1:1 failed'), /no summary/);
  });
  const missing = !existsSync(H2LOAD) && process.env['CI'] !== 'true' ? `${H2LOAD} is not installed` : false;
  test('really run against an h2c server: every request answered, with a rate', { skip: missing }, async () => {
    const [port] = (await freePorts(1)) as [number];
    const server = createH2cServer((req, res) => res.end(req.headers['x-probe'] === 'yes' ? 'ok' : 'no header'));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      const r = await runH2load(`http://127.0.0.1:${port}/`, { connections: 2, streams: 4, durationS: 1, headers: { 'x-probe': 'yes' } });
      assert.ok(r.succeeded > 0 && r.requestsPerSecond > 0, JSON.stringify(r));
      assert.equal(r.failed, 0);
      assert.equal(r.errorStatuses, 0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('wrk headers', () => {
  test('header names are spelled as wrk looks them up', () => {
    assert.equal(wrkHeaderName('host'), 'Host');
    assert.equal(wrkHeaderName('x-request-id'), 'X-Request-Id');
    assert.equal(wrkHeaderName('Connection'), 'Connection');
  });

  test('the real wrk sends exactly one Host, the one asked for (a second one made a proxy loop to itself)', { skip: existsSync(WRK) ? false : `${WRK} is not installed` }, async () => {
    const hosts = new Map<string, number>();
    const server = createServer((req, res) => {
      const key = req.rawHeaders.flatMap((h, i) => (i % 2 === 0 && h.toLowerCase() === 'host' ? [req.rawHeaders[i + 1]] : [])).join(' | ');
      hosts.set(key, (hosts.get(key) ?? 0) + 1);
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const result = await runWrk(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { connections: 2, durationS: 1, headers: { host: 'upstream:9080' } });
      assert.ok(result.requests > 0);
      assert.deepEqual([...hosts.keys()], ['upstream:9080']);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('percentiles', () => {
  test('nearest rank on sorted samples', () => {
    const samples = Array.from({ length: 1000 }, (_, i) => 1000 - i); // 1..1000, unsorted
    assert.deepEqual(summarize(samples), { count: 1000, min: 1, p50: 500, p99: 990, p999: 999, max: 1000 });
    assert.equal(percentile([7], 99.9), 7);
    assert.ok(Number.isNaN(percentile([], 50)));
  });
});

describe('the report', () => {
  const result = (name: string, small: number, p99: number): CaseResult => ({ name, throughput: { small, large: small / 4 }, errors: 0, latency: { rate: 500, p50: p99 / 2, p99, p999: p99 * 2 } });
  test('every figure as a ratio to direct, and the latency each proxy adds', () => {
    const ratios = ratiosToDirect([result('direct', 20_000, 1), result('skiff', 10_000, 3)]);
    assert.deepEqual(ratios[1], { name: 'skiff', throughput: { small: 0.5, large: 0.5 }, addedP99: 2, addedP50: 1 });
    assert.throws(() => ratiosToDirect([result('skiff', 1, 1)]), /no "direct" case/);
  });
  test('a case that carries direct measured right before it is compared with that, not with the first direct', () => {
    const paired = { ...result('skiff', 10_000, 3), pairedDirect: { throughput: { small: 12_500, large: 5_000 }, latency: { p50: 1, p99: 2.5 } } };
    assert.deepEqual(ratiosToDirect([result('direct', 20_000, 1), paired])[1], { name: 'skiff', throughput: { small: 0.8, large: 0.5 }, addedP99: 0.5, addedP50: 0.5 });
  });
  test('the table has a row per case with the ratios', () => {
    const table = formatTable([result('direct', 20_000, 1), result('skiff', 10_000, 3)], ['small', 'large']);
    const lines = table.split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[3] as string, /^skiff\s+10000 \(0\.50\)\s+2500 \(0\.50\)\s+1\.50 \/ 3\.00 \/ 6\.00 @ 500\/s\s+2\.00/);
  });
});

describe('nginx config', () => {
  test('one process, upstream keep-alive, nothing written outside its prefix', () => {
    const conf = nginxConfig(8081, 9090, '/tmp/p');
    assert.match(conf, /master_process off;/);
    assert.match(conf, /upstream app \{ server 127\.0\.0\.1:9090; keepalive 256; \}/);
    assert.match(conf, /proxy_set_header Connection "";/);
    assert.match(conf, /listen 127\.0\.0\.1:8081;/);
    for (const path of conf.matchAll(/(?:_path|pid|error_log) (\/\S+)/g)) assert.ok(path[1]?.startsWith('/tmp/p/'), path[1]);
  });
});

describe('open-loop load', () => {
  test('a request is never sent before it is due, however close the due time (timers may fire early)', async () => {
    let early = 0;
    for (let i = 0; i < 300; i++) {
      const due = performance.now() + (i % 30) / 10; // 0 to 2.9 ms ahead, where timers round
      await notBefore(due);
      if (performance.now() < due) early++;
    }
    assert.equal(early, 0);
  });

  test('against a real server: no negative latency, and the achieved rate is reported', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const result = await openLoop({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, ratePerSecond: 500, durationMs: 1000, connections: 4 });
      assert.equal(result.sent, 500);
      assert.equal(result.errors, 0);
      assert.ok(result.latencyMs.min >= 0, `the fastest answer took ${result.latencyMs.min} ms`);
      assert.ok(result.sendLagMs.min >= 0, `a request went out ${-result.sendLagMs.min} ms early`);
      assert.ok(result.achievedRate > 0 && result.achievedRate <= 500 * 1.01, `achieved ${result.achievedRate}/s of 500/s`);
    } finally {
      server.close();
    }
  });
});

describe('haproxy config', () => {
  test('one thread, upstream connection reuse, its pid file inside its prefix', () => {
    const conf = haproxyConfig(8081, 9090, '/tmp/p');
    assert.match(conf, /^\s*nbthread 1$/m);
    assert.match(conf, /^\s*http-reuse always$/m);
    assert.match(conf, /^\s*bind 127\.0\.0\.1:8081$/m);
    assert.match(conf, /^\s*server app 127\.0\.0\.1:9090 /m);
    assert.match(conf, /^\s*pidfile \/tmp\/p\/haproxy\.pid$/m);
  });
});

// The peers as the benchmark starts them, with Debian's binaries: a config that the real server
// refuses would otherwise only show when someone runs `npm run bench`. Skipped where a binary is
// missing, except under CI=true (.ci/run installs both).
describe('the C peers, really started', () => {
  for (const peer of [
    { name: 'nginx', binary: NGINX, start: startNginx },
    { name: 'haproxy', binary: HAPROXY, start: startHaproxy },
  ]) {
    const missing = !existsSync(peer.binary) && process.env['CI'] !== 'true' ? `${peer.binary} is not installed` : false;
    test(`${peer.name} forwards a request to the upstream and stops by its pid`, { skip: missing }, async () => {
      const [listen, upstreamPort] = (await freePorts(2)) as [number, number];
      const upstream = createServer((req, res) => res.end(`upstream saw ${req.url}`));
      await new Promise<void>((resolve) => upstream.listen(upstreamPort, '127.0.0.1', resolve));
      try {
        const started = await peer.start(listen, upstreamPort);
        try {
          const res = await fetch(`http://127.0.0.1:${listen}/small`);
          assert.equal(res.status, 200);
          assert.equal(await res.text(), 'upstream saw /small');
        } finally {
          await started.stop();
        }
        await assert.rejects(fetch(`http://127.0.0.1:${listen}/small`), 'nothing listens after stop()');
      } finally {
        upstream.closeAllConnections();
        await new Promise((resolve) => upstream.close(resolve));
      }
    });
  }
});

// The protocol bench's measuring sticks for two proxies' cost, as it starts them: bare Node relays
// (ceiling/tcp-relay.mjs) and HAProxy in tcp mode, each pair plain -> mTLS -> plain to an echo,
// bytes both ways; and the mTLS side really asks for a client certificate, or a stick would
// measure less than the mesh does. HAProxy is skipped where it is missing, except under CI=true.
describe('the relay pairs, really started', () => {
  const haproxyMissing = !existsSync(HAPROXY) && process.env['CI'] !== 'true' ? `${HAPROXY} is not installed` : false;
  const pairs = [
    {
      name: 'bare Node relays',
      skip: false as const,
      start: startNodeRelay,
    },
    {
      name: 'HAProxy relays',
      skip: haproxyMissing,
      start: startHaproxyTlsRelay,
    },
  ];
  for (const pair of pairs) {
    test(`${pair.name} carry bytes both ways through mutual TLS, and refuse a client without a certificate`, { skip: pair.skip }, async () => {
      const [echoPort, inPort, outPort, inReady, outReady] = (await freePorts(5)) as [number, number, number, number, number];
      const echo = createNetServer({ allowHalfOpen: true }, (socket) => socket.pipe(socket));
      await new Promise<void>((resolve) => echo.listen(echoPort, '127.0.0.1', resolve));
      const certDir = await relayCertificate();
      const relays = [await pair.start({ listen: inPort, readyPort: inReady, upstream: echoPort, side: 'terminate', certDir })];
      try {
        relays.push(await pair.start({ listen: outPort, readyPort: outReady, upstream: inPort, side: 'originate', certDir }));
        const client = connect(outPort, '127.0.0.1');
        const message = Buffer.alloc(256 * 1024, 'relay ');
        let echoed = Buffer.alloc(0);
        client.on('data', (chunk: Buffer) => (echoed = Buffer.concat([echoed, chunk])));
        client.end(message);
        await once(client, 'close');
        assert.ok(echoed.equals(message), `echoed ${echoed.length} of ${message.length} bytes unchanged`);

        const ca = readFileSync(join(certDir, 'ca.pem'));
        const anonymous = tlsConnect({ port: inPort, host: '127.0.0.1', ca, checkServerIdentity: () => undefined });
        anonymous.write('hello');
        const outcome = await new Promise<string>((resolve) => {
          anonymous.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
          anonymous.once('data', () => resolve('echoed'));
          anonymous.once('close', () => resolve('closed'));
        });
        anonymous.destroy();
        assert.notEqual(outcome, 'echoed', 'no echo without a client certificate');
      } finally {
        for (const r of relays) await r.stop();
        echo.close();
        rmSync(certDir, { recursive: true, force: true });
      }
    });
  }
});
