import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forwardableHeaders } from './hop-by-hop.js';

test('drops hop-by-hop headers and those named in Connection, keeps the rest', () => {
  const out = forwardableHeaders({
    host: 'a',
    connection: 'keep-alive, x-private',
    'keep-alive': 'timeout=5',
    'transfer-encoding': 'chunked',
    'x-private': 'secret',
    'x-request-id': 'r1',
    'set-cookie': ['a=1', 'b=2'],
    absent: undefined,
  });
  assert.deepEqual(out, { host: 'a', 'x-request-id': 'r1', 'set-cookie': ['a=1', 'b=2'] });
});
