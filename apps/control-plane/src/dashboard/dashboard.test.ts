// The control plane's dashboard port and trace store, started for real (in this process, on
// loopback ephemeral ports): OTLP/HTTP from the real OpenTelemetry exporter lands in the store,
// bad exports get clear errors, the event stream sends every view on connect and a config
// change (with its validation error) as it happens, and the browser files are served.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadProxyTracing, type ConfigView, type TraceDetail, type TraceSummary } from '@skiff/telemetry';
import { startControlPlane, type RunningControlPlane } from '../control-plane.js';
import { parseControlPlaneFlags, type ControlPlaneFlags } from '../flags.js';

const VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews }
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: { host: reviews }
`;

/** Reads server-sent events from `url` until `until` says stop; returns them in order. */
async function readEvents(url: string, until: (events: Array<{ event: string; data: string }>) => boolean, timeoutMs = 10_000): Promise<Array<{ event: string; data: string }>> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const events: Array<{ event: string; data: string }> = [];
  try {
    const res = await fetch(url, { signal: controller.signal });
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data });
      }
      if (until(events)) break;
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}

describe('the control plane dashboard port', () => {
  let cp: RunningControlPlane;
  let configDir: string;
  let meshTokenFile: string;
  const bearer = () => ({ authorization: `Bearer ${readFileSync(meshTokenFile, 'utf8').trim()}` });
  let dashboard: string;
  let monitoring: string;
  // A recording OTLP endpoint standing in for Jaeger, to see what --trace-forward sends on.
  let collector: Server;
  const collected: string[] = [];
  before(async () => {
    collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        collected.push(`${req.method} ${req.url} ${req.headers['content-type']} ${Buffer.concat(chunks).toString()}`);
        res.end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    configDir = mkdtempSync(join(tmpdir(), 'skiff-dash-config-'));
    writeFileSync(join(configDir, 'reviews.yaml'), VS);
    const caDir = mkdtempSync(join(tmpdir(), 'skiff-dash-ca-'));
    meshTokenFile = join(caDir, 'mesh-token');
    const flags = parseControlPlaneFlags(['--config', configDir, '--xds-port', '0', '--monitoring-port', '0', '--warmup-ms', '0', '--ca-dir', caDir, '--registry-file', 'off', '--mesh-token-file', meshTokenFile, '--dashboard-port', '0', '--trace-forward', `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`]);
    cp = await startControlPlane(flags as ControlPlaneFlags, pino({ level: 'silent' }));
    dashboard = `http://127.0.0.1:${cp.ports.dashboard}`;
    monitoring = `http://127.0.0.1:${cp.ports.monitoring}`;
  });
  after(async () => {
    await cp?.close();
    collector?.close();
    rmSync(configDir, { recursive: true, force: true });
  });

  test('spans from the OpenTelemetry OTLP exporter land in the store and are served by trace', async () => {
    const { createProxyTracing } = await loadProxyTracing();
    const tracing = createProxyTracing({ serviceName: 'frontend.default', nodeId: 'frontend.default', endpoint: `${monitoring}/v1/traces`, samplingPercent: 100, headers: async () => bearer() });
    const headers: Record<string, string> = {};
    const event = { reporter: 'source' as const, startTime: Date.now(), durationMs: 1, method: 'GET', path: '/x', authority: 'reviews:9080', protocol: 'http', requestId: 'r', responseCode: 200, responseFlags: '-', requestBytes: 0, responseBytes: 0, source: {}, destination: {}, connectionSecurityPolicy: 'none' };
    const outer = tracing.tracer.start('server', headers);
    const inner = tracing.tracer.start('client', headers);
    inner.end(event);
    outer.end(event);
    await tracing.shutdown();
    const traceId = headers['x-b3-traceid'] as string;
    const detail = (await (await fetch(`${dashboard}/api/traces/${traceId}`)).json()) as TraceDetail;
    assert.equal(detail.spans.length, 2);
    const [first, second] = detail.spans;
    assert.equal(second?.parentSpanId, first?.spanId, 'the client span is the child of the server span');
    assert.deepEqual([first?.kind, second?.kind], ['server', 'client']);
    assert.equal(first?.service, 'frontend.default');
    const list = (await (await fetch(`${dashboard}/api/traces?all=1`)).json()) as TraceSummary[];
    assert.equal(list[0]?.traceId, traceId);
    assert.equal((await fetch(`${dashboard}/api/traces/${'0'.repeat(32)}`)).status, 404);
    // --trace-forward: the same export reached the collector too.
    for (let i = 0; i < 50 && !collected.some((c) => c.includes(traceId)); i++) await new Promise((r) => setTimeout(r, 100));
    const forwarded = collected.find((c) => c.includes(traceId));
    assert.ok(forwarded, 'the collector received the spans');
    assert.match(forwarded, /^POST \/v1\/traces application\/json \{"resourceSpans"/);
  });

  test('spans and scenario reports are refused without the mesh token, and nothing forged lands', async () => {
    const forged = JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [{ traceId: 'f'.repeat(32), spanId: 'f'.repeat(16), name: 'forged', kind: 2, startTimeUnixNano: '1', endTimeUnixNano: '2' }] }] }] });
    const report = JSON.stringify({ name: 'canary', summary: 'reviews v1 -> v2', state: 'passed', verdict: 'PASSED: v2 promoted', step: { index: 1, title: 'done' }, checks: [] });
    for (const headers of [{}, { authorization: 'Bearer not-the-mesh-token-at-all' }, { authorization: 'Basic YWRtaW46YWRtaW4=' }] as Array<Record<string, string>>) {
      const traces = await fetch(`${monitoring}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: forged });
      assert.equal(traces.status, 401);
      assert.equal(traces.headers.get('www-authenticate'), 'Bearer realm="skiff-control-plane"');
      assert.match(((await traces.json()) as { message: string }).message, /mesh token.*\.skiff\/mesh-token/);
      const scenario = await fetch(`${monitoring}/debug/scenario`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: report });
      assert.equal(scenario.status, 401);
      await scenario.text();
      // The test issuer signs tokens a RequestAuthentication may trust: only for the mesh token's holder.
      const token = await fetch(`${monitoring}/test-issuer/token`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"sub":"mallory"}' });
      assert.equal(token.status, 401);
      assert.doesNotMatch(await token.text(), /eyJ/);
    }
    const signed = await fetch(`${monitoring}/test-issuer/token`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer() }, body: '{"sub":"alice"}' });
    assert.equal(signed.status, 200);
    assert.match(((await signed.json()) as { token: string }).token, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.equal((await fetch(`${dashboard}/api/traces/${'f'.repeat(32)}`)).status, 404, 'no forged trace');
    assert.equal(await (await fetch(`${dashboard}/api/scenario`)).text(), 'null', 'no forged verdict');
    const accepted = await fetch(`${monitoring}/debug/scenario`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer() }, body: report });
    assert.equal(accepted.status, 200);
    assert.equal(((await (await fetch(`${dashboard}/api/scenario`)).json()) as { verdict?: string }).verdict, 'PASSED: v2 promoted', 'with the token the report is shown');
  });

  test('a bad export gets the OTLP error it deserves, and the store keeps what it had', async () => {
    const post = (type: string, body: string) => fetch(`${monitoring}/v1/traces`, { method: 'POST', headers: { 'content-type': type, ...bearer() }, body });
    const proto = await post('application/x-protobuf', 'x');
    assert.equal(proto.status, 415);
    assert.match(((await proto.json()) as { message: string }).message, /JSON only/);
    assert.equal((await post('application/json', '{not json')).status, 400);
    const wrong = await post('application/json', '{"spans":[]}');
    assert.equal(wrong.status, 400);
    assert.match(((await wrong.json()) as { message: string }).message, /resourceSpans/);
    assert.equal((await fetch(`${monitoring}/v1/traces`)).status, 405);
    assert.equal(((await (await fetch(`${dashboard}/api/traces?all=1`)).json()) as unknown[]).length, 1);
  });

  test('the event stream sends every view on connect, and a config change with its validation error live', async () => {
    const initial = await readEvents(`${dashboard}/api/events`, (events) => ['config', 'proxies', 'graph'].every((k) => events.some((e) => e.event === k)));
    const config = JSON.parse(initial.find((e) => e.event === 'config')?.data ?? '{}') as ConfigView;
    assert.deepEqual(config.resources.map((r) => `${r.kind} ${r.namespace}/${r.name}`), ['VirtualService default/reviews']);
    // No proxy has registered, so nothing provides the host the VirtualService routes to: the
    // control plane's own analysis says so beside the validation messages.
    assert.deepEqual(
      config.issues.map((i) => `${i.severity}: ${i.text.replace(/^.*reviews\.yaml/, 'reviews.yaml')}`),
      ['warning: reviews.yaml:1: warning: VirtualService default/reviews: spec.http[0].route[0].destination.host: [IST0101] host reviews.default.svc.cluster.local is not a service in the registry; requests routed to it get 503. Fix the name, or start a workload of that service'],
    );

    const live = readEvents(`${dashboard}/api/events`, (events) => events.some((e) => e.event === 'config' && e.data.includes('"error"')), 15_000);
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(join(configDir, 'broken.yaml.tmp'), VS.replace('name: reviews', 'name: broken').replace('hosts: [reviews]', 'hosts: 42'));
    renameSync(join(configDir, 'broken.yaml.tmp'), join(configDir, 'broken.yaml'));
    const events = await live;
    const changed = JSON.parse(events.filter((e) => e.event === 'config').at(-1)?.data ?? '{}') as ConfigView;
    const error = changed.issues.find((i) => i.severity === 'error');
    assert.ok(error, 'the validation error reaches the dashboard');
    assert.match(error.text, /broken\.yaml/);
    assert.match(error.text, /hosts/);
    assert.deepEqual(changed.files.find((f) => f.file.endsWith('broken.yaml'))?.rejected, true);
  });

  test('serves the browser files and answers unknown API paths and methods clearly', async () => {
    const page = await fetch(`${dashboard}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /<title>Skiff dashboard<\/title>/);
    const script = await fetch(`${dashboard}/app.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    assert.ok((await script.text()).length > 1000);
    assert.equal((await fetch(`${dashboard}/api/nope`)).status, 404);
    assert.equal((await fetch(`${dashboard}/api/graph`, { method: 'POST' })).status, 405);
    const graph = (await (await fetch(`${dashboard}/api/graph`)).json()) as { nodes: unknown[]; windowSeconds: number };
    assert.deepEqual(graph.nodes, []);
    assert.equal(graph.windowSeconds, 10);
  });
});
