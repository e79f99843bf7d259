import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retryPolicy } from './retries.js';

const noWarn = (m: string): never => assert.fail(`unexpected warning: ${m}`);

test("no retries given: Istio's default policy", () => {
  assert.deepEqual(retryPolicy(undefined, 'x', noWarn), {
    attempts: 2,
    retryOn: ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes'],
    retriableStatusCodes: [503],
  });
});

test('retryOn is split; status codes in it become retriable codes', () => {
  assert.deepEqual(retryPolicy({ attempts: 3, perTryTimeout: '2s', retryOn: 'gateway-error, 5xx,429' }, 'x', noWarn), {
    attempts: 3,
    perTryTimeoutMs: 2000,
    retryOn: ['gateway-error', '5xx', 'retriable-status-codes'],
    retriableStatusCodes: [429],
  });
  assert.deepEqual(retryPolicy({ attempts: 4 }, 'x', noWarn).retryOn, ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes']);
});

test('attempts: 0 turns retries off explicitly; a bad perTryTimeout is warned and left out', () => {
  assert.deepEqual(retryPolicy({ attempts: 0 }, 'x', noWarn), { attempts: 0, retryOn: [], retriableStatusCodes: [] });
  const warnings: string[] = [];
  const policy = retryPolicy({ attempts: 1, perTryTimeout: 'soon' }, 'VirtualService a/b spec.http[0]', (m) => warnings.push(m));
  assert.equal(policy.perTryTimeoutMs, undefined);
  assert.match(warnings[0] ?? '', /VirtualService a\/b spec\.http\[0\]\.retries\.perTryTimeout: invalid duration "soon"/);
});
