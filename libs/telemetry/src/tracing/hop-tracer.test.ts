import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ObservedRequest } from '../metrics/observed-request.js';
import { createProxyTracing } from './proxy-tracing.js';
import type { HeaderRecord } from './propagation.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

function setup(samplingPercent = 100) {
  const exporter = new InMemorySpanExporter();
  const tracing = createProxyTracing({ serviceName: 'reviews.default', nodeId: 'reviews-v1.default', exporter, samplingPercent, exportDelayMs: 10 });
  return {
    tracing,
    async spans() {
      await tracing.flush();
      return exporter.getFinishedSpans();
    },
  };
}

const event = (over: Partial<ObservedRequest> = {}): ObservedRequest => ({
  reporter: 'destination',
  startTime: Date.now(),
  durationMs: 3,
  method: 'GET',
  path: '/reviews/1?x=1',
  authority: 'reviews:9080',
  protocol: 'http',
  requestId: 'req-1',
  responseCode: 200,
  responseFlags: '-',
  requestBytes: 0,
  responseBytes: 10,
  source: { workload: 'frontend' },
  destination: { workload: 'reviews-v1', version: 'v1' },
  connectionSecurityPolicy: 'mutual_tls',
  ...over,
});

/** The (trace id, span id) each format carries, after a hop rewrote the headers. */
function carried(headers: HeaderRecord) {
  const [, w3cTrace, w3cSpan, flags] = String(headers['traceparent']).split('-');
  const [jTrace, jSpan, , jFlags] = String(headers['uber-trace-id']).split(':');
  return {
    w3c: { trace: w3cTrace, span: w3cSpan, sampled: flags === '01' },
    b3: { trace: headers['x-b3-traceid'], span: headers['x-b3-spanid'], sampled: headers['x-b3-sampled'] === '1' },
    jaeger: { trace: jTrace?.padStart(32, '0'), span: jSpan?.padStart(16, '0'), sampled: (parseInt(jFlags ?? '0', 16) & 1) === 1 },
  };
}

describe('a hop span', () => {
  test('with no incoming context starts a trace and writes it in all three formats', async () => {
    const t = setup();
    const headers: HeaderRecord = { host: 'reviews:9080' };
    t.tracing.tracer.start('client', headers).end(event());
    const [span] = await t.spans();
    assert.ok(span);
    assert.equal(span.parentSpanContext, undefined);
    const { traceId, spanId } = span.spanContext();
    const c = carried(headers);
    for (const format of [c.w3c, c.b3, c.jaeger]) assert.deepEqual(format, { trace: traceId, span: spanId, sampled: true });
    assert.equal(span.kind, SpanKind.CLIENT);
  });

  for (const [format, headers] of [
    ['W3C traceparent', { traceparent: `00-${TRACE}-${PARENT}-01` }],
    ['B3 multi-header', { 'x-b3-traceid': TRACE, 'x-b3-spanid': PARENT, 'x-b3-sampled': '1' }],
    ['B3 single header', { b3: `${TRACE}-${PARENT}-1` }],
    ["Jaeger's uber-trace-id", { 'uber-trace-id': `${TRACE}:${PARENT}:0:1` }],
  ] as const) {
    test(`joins the trace a caller sent as ${format}, and passes itself on as the parent`, async () => {
      const t = setup();
      const carrier: HeaderRecord = { ...headers };
      t.tracing.tracer.start('server', carrier).end(event());
      const [span] = await t.spans();
      assert.ok(span);
      assert.equal(span.spanContext().traceId, TRACE);
      assert.equal(span.parentSpanContext?.spanId, PARENT);
      assert.notEqual(span.spanContext().spanId, PARENT);
      const c = carried(carrier);
      assert.deepEqual(c.w3c, { trace: TRACE, span: span.spanContext().spanId, sampled: true });
      assert.deepEqual(c.b3, c.w3c);
      assert.deepEqual(c.jaeger, c.w3c);
      assert.equal(carrier['b3'], undefined, 'the single b3 header of the caller is replaced, not left stale');
    });
  }

  test('keeps a caller’s "not sampled" decision and records nothing', async () => {
    const t = setup(100);
    const carrier: HeaderRecord = { traceparent: `00-${TRACE}-${PARENT}-00` };
    t.tracing.tracer.start('server', carrier).end(event());
    assert.equal((await t.spans()).length, 0);
    assert.equal(carried(carrier).w3c.sampled, false);
    assert.equal(carrier['x-b3-sampled'], '0');
  });

  test('samples new traces at the configured share, and a sampled caller wins over 0%', async () => {
    const t = setup(0);
    t.tracing.tracer.start('server', {}).end(event());
    assert.equal((await t.spans()).length, 0);
    t.tracing.tracer.start('server', { traceparent: `00-${TRACE}-${PARENT}-01` }).end(event());
    assert.equal((await t.spans()).length, 1);
  });

  test('is named after host and path and carries what the request was; 5xx marks it an error', async () => {
    const t = setup();
    t.tracing.tracer.start('server', {}).end(event({ responseCode: 503, responseFlags: 'UO' }));
    const [span] = await t.spans();
    assert.ok(span);
    assert.equal(span.name, 'reviews:9080/reviews/1');
    assert.equal(span.kind, SpanKind.SERVER);
    assert.equal(span.attributes['http.status_code'], 503);
    assert.equal(span.attributes['response_flags'], 'UO');
    assert.equal(span.attributes['node_id'], 'reviews-v1.default');
    assert.equal(span.attributes['guid:x-request-id'], 'req-1');
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.resource.attributes['service.name'], 'reviews.default');
  });
});
