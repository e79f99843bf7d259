// Distributed tracing on the whole local mesh: every proxy makes a span per hop (OpenTelemetry,
// exported over OTLP/HTTP to the control plane's trace store), joins the trace the caller sent
// in W3C, B3 or Jaeger form, and the sample apps pass the context on, so one request through
// gateway -> frontend -> reviews -> ratings is one trace with every hop in parent order.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { get, getJson, startTestMesh, waitFor, type TestMesh } from '@skiff/testing';
import type { TraceDetail, TraceSpan, TraceSummary } from '@skiff/telemetry';
import { meshConfig } from './fixtures.js';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** The hops, in the order a request crosses them: [service.name, span kind, node_id]. */
const EXPECTED_PATH = [
  ['istio-ingressgateway.istio-system', 'server', 'istio-ingressgateway.istio-system'],
  ['frontend.default', 'server', 'frontend.default'],
  ['frontend.default', 'client', 'frontend.default'],
  ['reviews.default', 'server', 'reviews-v2.default'],
  ['reviews.default', 'client', 'reviews-v2.default'],
  ['ratings.default', 'server', 'ratings.default'],
];

/** Follows parent -> only child from the span whose parent is `rootParent`. */
function chain(spans: TraceSpan[], rootParent: string | undefined): TraceSpan[] {
  const out: TraceSpan[] = [];
  let parent = rootParent;
  for (;;) {
    const children = spans.filter((s) => s.parentSpanId === parent);
    if (children.length === 0) return out;
    assert.equal(children.length, 1, `span ${parent} has ${children.length} children: ${children.map((c) => c.name).join(', ')}`);
    const child = children[0] as TraceSpan;
    out.push(child);
    parent = child.spanId;
  }
}

describe('distributed tracing across the mesh', () => {
  let mesh: TestMesh;
  let dashboard: string;
  before(async () => {
    mesh = await startTestMesh({ config: meshConfig(0, 100) }); // v2 calls ratings: the longest path
    dashboard = mesh.plan.urls.dashboard;
  });
  after(() => mesh?.stop());

  async function traceOf(traceId: string, spans = EXPECTED_PATH.length): Promise<TraceDetail> {
    return waitFor(
      `trace ${traceId} with ${spans} spans in the control plane's store`,
      async () => {
        const res = await getJson<TraceDetail>(`${dashboard}/api/traces/${traceId}`);
        return res.status === 200 && res.body.spans.length >= spans ? res.body : undefined;
      },
      20_000,
      200,
    );
  }

  /** How late a child span's end may be stamped after its parent's, across processes. */
  const END_SLACK_MS = 50;

  function assertPath(trace: TraceDetail, rootParent: string | undefined): void {
    const path = chain(trace.spans, rootParent);
    assert.deepEqual(
      path.map((s) => [s.service, s.kind, s.attributes['node_id']]),
      EXPECTED_PATH,
      `spans in parent order:\n${path.map((s) => `  ${s.service} ${s.kind} ${s.name}`).join('\n')}`,
    );
    assert.equal(trace.spans.length, EXPECTED_PATH.length, 'no span outside the chain');
    for (let i = 1; i < path.length; i++) {
      const [parent, child] = [path[i - 1] as TraceSpan, path[i] as TraceSpan];
      assert.ok(child.startTime >= parent.startTime - 1, `${child.service} ${child.kind} starts after its parent`);
      // Each process stamps a span's end when its event loop gets there; on a loaded 2-core CI
      // machine that lags by tens of ms, so across processes a child may seem to end a little late.
      const lateMs = child.startTime + child.durationMs - (parent.startTime + parent.durationMs);
      assert.ok(lateMs <= END_SLACK_MS, `${child.service} ${child.kind} ends within its parent (it ended ${lateMs.toFixed(1)} ms after it)`);
    }
    for (const s of path) assert.equal(s.attributes['http.status_code'], 200);
    assert.equal(path[2]?.attributes['istio.mtls'], true, 'the frontend -> reviews hop is mutual TLS');
    assert.match(String(path[3]?.name), /^reviews:9080\/reviews\//);
  }

  test('a W3C traceparent from the caller: one trace, every hop a span, in parent order', async () => {
    const traceId = hex(16);
    const parent = hex(8);
    const res = await get(`${mesh.gateway}/api/product/1`, { traceparent: `00-${traceId}-${parent}-01` });
    assert.equal(res.status, 200, res.text.slice(0, 200));
    const trace = await traceOf(traceId);
    assertPath(trace, parent);
    const list = await getJson<TraceSummary[]>(`${dashboard}/api/traces?all=1`);
    const summary = list.body.find((t) => t.traceId === traceId);
    assert.deepEqual(summary?.services, ['istio-ingressgateway.istio-system', 'frontend.default', 'reviews.default', 'ratings.default']);
  });

  test("B3 headers and Jaeger's uber-trace-id are joined the same way", async () => {
    const b3 = { trace: hex(16), span: hex(8) };
    const jaeger = { trace: hex(16), span: hex(8) };
    assert.equal((await get(`${mesh.gateway}/api/product/1`, { 'x-b3-traceid': b3.trace, 'x-b3-spanid': b3.span, 'x-b3-sampled': '1' })).status, 200);
    assert.equal((await get(`${mesh.gateway}/api/product/1`, { 'uber-trace-id': `${jaeger.trace}:${jaeger.span}:0:1` })).status, 200);
    assertPath(await traceOf(b3.trace), b3.span);
    assertPath(await traceOf(jaeger.trace), jaeger.span);
  });

  test('with no context the gateway starts the trace; a caller that says "not sampled" is not recorded', async () => {
    const unsampled = hex(16);
    assert.equal((await get(`${mesh.gateway}/api/product/1`, { traceparent: `00-${unsampled}-${hex(8)}-00` })).status, 200);
    const before = new Set((await getJson<TraceSummary[]>(`${dashboard}/api/traces?all=1&limit=500`)).body.map((t) => t.traceId));
    assert.equal((await get(`${mesh.gateway}/api/product/1`)).status, 200);
    const fresh = await waitFor(
      'a new trace started by the gateway',
      async () => (await getJson<TraceSummary[]>(`${dashboard}/api/traces?all=1&limit=500`)).body.find((t) => !before.has(t.traceId) && t.spanCount >= EXPECTED_PATH.length),
      20_000,
      200,
    );
    assertPath(await traceOf(fresh.traceId), undefined);
    // The request after it has been exported, so the unsampled one would have been too.
    assert.equal((await getJson(`${dashboard}/api/traces/${unsampled}`)).status, 404);
  });
});
