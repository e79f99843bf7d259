import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { conditionValueProblem, parseConditionKey, type ConditionKey } from './condition-key.js';

const key = (k: string): ConditionKey => {
  const parsed = parseConditionKey(k);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
  return parsed.key;
};
const problem = (k: string): string => {
  const parsed = parseConditionKey(k);
  assert.ok(!parsed.ok, `expected ${k} to be rejected`);
  return parsed.message;
};

describe('condition keys', () => {
  test('plain keys', () => {
    for (const k of ['source.ip', 'source.namespace', 'source.principal', 'request.auth.principal', 'request.auth.audiences', 'request.auth.presenter', 'destination.port']) {
      assert.deepEqual(key(k), { attribute: k });
    }
  });
  test('headers: name in brackets, read case-insensitively', () => {
    assert.deepEqual(key('request.headers[X-Token]'), { attribute: 'request.headers', header: 'x-token' });
    assert.match(problem('request.headers[]'), /request\.headers\[name\]/);
    assert.match(problem('request.headers[a][b]'), /request\.headers\[name\]/);
    assert.match(problem('request.headers["x"'), /request\.headers\[name\]/);
  });
  test('claims: one name or a nested path', () => {
    assert.deepEqual(key('request.auth.claims[iss]'), { attribute: 'request.auth.claims', claims: ['iss'] });
    assert.deepEqual(key('request.auth.claims[realm_access][roles]'), { attribute: 'request.auth.claims', claims: ['realm_access', 'roles'] });
    assert.deepEqual(key('request.auth.claims[https://example.com/groups]'), { attribute: 'request.auth.claims', claims: ['https://example.com/groups'] });
    assert.match(problem('request.auth.claims'), /nested claims/);
    assert.match(problem('request.auth.claims[]'), /nested claims/);
  });
  test('keys Istio has that Skiff does not evaluate', () => {
    for (const k of ['remote.ip', 'destination.ip', 'connection.sni', 'source.serviceAccount', 'experimental.envoy.filters.a.b[c]']) {
      const parsed = key(k);
      assert.equal(parsed.attribute, 'unevaluated', k);
    }
  });
  test('unknown, replaced and misspelled keys', () => {
    assert.equal(problem(''), 'key must not be empty');
    assert.match(problem('source.principle'), /did you mean "source\.principal"\?/);
    assert.match(problem('request.auth.claim[iss]'), /did you mean "request\.auth\.claims\[iss\]"\?/);
    assert.match(problem('destination.namespace'), /metadata\.namespace/);
    assert.match(problem('destination.user'), /v1alpha1/);
    assert.match(problem('foo'), /use one of source\.ip/);
  });
  test('values are checked by key', () => {
    assert.equal(conditionValueProblem(key('source.ip'), '10.0.0.0/8'), undefined);
    assert.match(conditionValueProblem(key('source.ip'), 'ten') ?? '', /bad IP address/);
    assert.match(conditionValueProblem(key('remote.ip'), '1.2.3.4/99') ?? '', /bad CIDR/);
    assert.equal(conditionValueProblem(key('destination.port'), '8080'), undefined);
    assert.match(conditionValueProblem(key('destination.port'), '99999') ?? '', /bad port/);
    assert.match(conditionValueProblem(key('source.namespace'), '') ?? '', /empty value/);
    assert.equal(conditionValueProblem(key('request.headers[x]'), 'any*'), undefined);
  });
});
