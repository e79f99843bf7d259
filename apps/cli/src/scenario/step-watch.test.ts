import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Sample } from '@skiff/telemetry';
import { identityLines } from './step-watch.js';

const requests = (value: number, principal: string, policy: string, reporter = 'destination'): Sample => ({
  name: 'istio_requests_total',
  labels: { reporter, source_principal: principal, destination_principal: 'spiffe://cluster.local/ns/default/sa/reviews', connection_security_policy: policy, response_code: '200' },
  value,
});

test('callers are listed by identity and transport, counting only what happened between the scrapes', () => {
  const frontend = 'spiffe://cluster.local/ns/default/sa/frontend';
  const before = [requests(5, frontend, 'mutual_tls')];
  const after = [requests(15, frontend, 'mutual_tls'), requests(3, 'unknown', 'none'), requests(7, frontend, 'unknown', 'source')];
  assert.deepEqual(identityLines(before, after), [
    '3 × no identity (unknown) over plaintext -> spiffe://cluster.local/ns/default/sa/reviews',
    '10 × spiffe://cluster.local/ns/default/sa/frontend over mTLS -> spiffe://cluster.local/ns/default/sa/reviews',
  ]);
  assert.deepEqual(identityLines(before, before), ['no requests']);
});
