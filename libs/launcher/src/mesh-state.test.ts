import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAccounts, writeBootstrapTokens } from './mesh-state.js';

describe('bootstrap tokens', () => {
  test('one token per account, readable by this user only, kept across runs for the same account', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-tokens-'));
    const accounts = parseAccounts('frontend/default/frontend, reviews-v1/default/reviews');
    const first = writeBootstrapTokens(dir, accounts);
    assert.deepEqual(Object.keys(first.tokenFiles), ['frontend', 'reviews-v1']);
    const token = readFileSync(first.tokenFiles['frontend'] as string, 'utf8').trim();
    assert.match(token, /^[A-Za-z0-9_-]{32}$/);
    assert.equal(statSync(first.tokenFiles['frontend'] as string).mode & 0o777, 0o600);
    const table = JSON.parse(readFileSync(first.tokensFile, 'utf8')) as { tokens: Array<{ workload: string; serviceAccount: string; token: string }> };
    assert.deepEqual(table.tokens.map((t) => [t.workload, t.serviceAccount]), [['frontend', 'frontend'], ['reviews-v1', 'reviews']]);

    const again = writeBootstrapTokens(dir, parseAccounts('frontend/default/frontend,reviews-v1/default/other-sa'));
    assert.equal(readFileSync(again.tokenFiles['frontend'] as string, 'utf8').trim(), token, 'same account: same token');
    assert.notEqual(readFileSync(again.tokenFiles['reviews-v1'] as string, 'utf8').trim(), table.tokens[1]?.token, 'another service account: a new token');
  });

  test('an account spec that is not workload/namespace/serviceAccount is refused with the culprit named', () => {
    assert.throws(() => parseAccounts('frontend/default'), /<workload>\/<namespace>\/<serviceAccount>\[\/<service>\+<service>\.\.\.\], got "frontend\/default"/);
    assert.throws(() => parseAccounts('a/b/c/d/e'), /got "a\/b\/c\/d\/e"/);
    assert.throws(() => parseAccounts('a/b/c/'), /got "a\/b\/c\/"/);
    assert.deepEqual(parseAccounts(''), []);
  });
  test('an account may name the services its identity serves, when they are not named like the service account', () => {
    assert.deepEqual(parseAccounts('istio-ingressgateway/istio-system/istio-ingressgateway-service-account/istio-ingressgateway, legacy/default/shared/orders+billing'), [
      { name: 'istio-ingressgateway', namespace: 'istio-system', serviceAccount: 'istio-ingressgateway-service-account', services: ['istio-ingressgateway'] },
      { name: 'legacy', namespace: 'default', serviceAccount: 'shared', services: ['orders', 'billing'] },
    ]);
  });
});
