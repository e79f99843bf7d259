import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROPAGATED_HEADERS, isPropagatedHeader, pickPropagatedHeaders } from './trace-headers.js';

test('copies every listed trace header and the uberctx- baggage prefix, and nothing else', () => {
  const incoming: Record<string, string> = {};
  for (const name of PROPAGATED_HEADERS) incoming[name] = `value-of-${name}`;
  incoming['uberctx-tenant'] = 'acme';
  incoming['authorization'] = 'Bearer secret';
  incoming['cookie'] = 'user=jason';
  incoming['host'] = 'frontend:9080';
  incoming['x-b3-traceid-extra'] = 'not a trace header';

  const picked = pickPropagatedHeaders(incoming);

  const expected: Record<string, string> = { 'uberctx-tenant': 'acme' };
  for (const name of PROPAGATED_HEADERS) expected[name] = `value-of-${name}`;
  assert.deepEqual(picked, expected);
});

test('the list holds what Istio documents, including end-user for A/B routing', () => {
  for (const name of ['x-request-id', 'traceparent', 'tracestate', 'b3', 'x-b3-sampled', 'uber-trace-id', 'baggage', 'grpc-trace-bin', 'end-user']) {
    assert.ok(isPropagatedHeader(name), name);
  }
  assert.equal(isPropagatedHeader('uberctx-'), true);
  assert.equal(isPropagatedHeader('x-forwarded-for'), false);
});

test('matches names case-insensitively and writes them in lower case', () => {
  assert.deepEqual(pickPropagatedHeaders({ 'X-Request-Id': 'abc', TraceParent: '00-1-2-01', 'UberCtx-K': 'v' }), {
    'x-request-id': 'abc',
    traceparent: '00-1-2-01',
    'uberctx-k': 'v',
  });
});

test('joins repeated headers into one list value and skips undefined ones', () => {
  assert.deepEqual(pickPropagatedHeaders({ baggage: ['a=1', 'b=2'], tracestate: undefined }), { baggage: 'a=1, b=2' });
});
