import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isSpiffeId, parseSpiffeId, principalOf, spiffeId, spiffeIdFromSubjectAltName } from './spiffe.js';

describe('spiffeId', () => {
  test('builds the Istio form', () => {
    assert.equal(spiffeId('cluster.local', 'default', 'reviews'), 'spiffe://cluster.local/ns/default/sa/reviews');
  });

  test('names the bad part', () => {
    assert.throws(() => spiffeId('Cluster.Local', 'default', 'reviews'), /trust domain 'Cluster.Local' may only contain lowercase/);
    assert.throws(() => spiffeId('cluster.local', '', 'reviews'), /namespace is empty/);
    assert.throws(() => spiffeId('cluster.local', 'default', 'a/b'), /service account 'a\/b' may only contain/);
    assert.throws(() => spiffeId('cluster.local', '..', 'reviews'), /namespace may not be '.' or '..'/);
  });
});

describe('parseSpiffeId', () => {
  test('round-trips what spiffeId builds', () => {
    assert.deepEqual(parseSpiffeId(spiffeId('example.org', 'bookinfo', 'ratings-v1')), {
      trustDomain: 'example.org',
      namespace: 'bookinfo',
      serviceAccount: 'ratings-v1',
    });
  });

  for (const [uri, why] of [
    ['https://cluster.local/ns/default/sa/reviews', /does not start with 'spiffe:\/\/'/],
    ['spiffe://cluster.local/ns/default', /not \/ns\/<namespace>\/sa\/<service-account>/],
    ['spiffe://cluster.local/ns/default/sa/reviews/extra', /not \/ns\/<namespace>\/sa\/<service-account>/],
    ['spiffe://cluster.local/sa/reviews/ns/default', /not \/ns\/<namespace>\/sa\/<service-account>/],
    ['spiffe://cluster.local/ns//sa/reviews', /empty segment/],
    ['spiffe://cluster.local/ns/default/sa/reviews?x=1', /query or fragment/],
    ['spiffe://cluster.local:443/ns/default/sa/reviews', /trust domain/],
    ['spiffe:///ns/default/sa/reviews', /trust domain is empty/],
  ] as const) {
    test(`rejects ${uri}`, () => {
      assert.throws(() => parseSpiffeId(uri), (err: Error) => {
        assert.match(err.message, why);
        assert.match(err.message, /expected spiffe:\/\/<trust-domain>\/ns\/<namespace>\/sa\/<service-account>/);
        return true;
      });
    });
  }
});

describe('principalOf', () => {
  test('drops the scheme, as AuthorizationPolicy principals are written', () => {
    assert.equal(principalOf('spiffe://cluster.local/ns/default/sa/reviews'), 'cluster.local/ns/default/sa/reviews');
  });
  test('refuses a non-SPIFFE URI', () => {
    assert.throws(() => principalOf('cluster.local/ns/default/sa/reviews'), /cannot take the principal/);
  });
});

describe('isSpiffeId and spiffeIdFromSubjectAltName', () => {
  test('isSpiffeId accepts any valid path shape', () => {
    assert.equal(isSpiffeId('spiffe://example.org/gateway'), true);
    assert.equal(isSpiffeId('spiffe://example.org'), true);
    assert.equal(isSpiffeId('spiffe://example.org/'), false);
  });

  test('reads node subjectaltname strings', () => {
    assert.equal(spiffeIdFromSubjectAltName('URI:spiffe://cluster.local/ns/a/sa/b'), 'spiffe://cluster.local/ns/a/sa/b');
    assert.equal(spiffeIdFromSubjectAltName('DNS:x.example, URI:spiffe://cluster.local/ns/a/sa/b'), 'spiffe://cluster.local/ns/a/sa/b');
    assert.equal(spiffeIdFromSubjectAltName('DNS:x.example'), undefined);
    assert.equal(spiffeIdFromSubjectAltName(undefined), undefined);
    assert.equal(spiffeIdFromSubjectAltName('URI:spiffe://td/ns/a/sa/b, URI:spiffe://td/ns/a/sa/c'), undefined);
  });
});
