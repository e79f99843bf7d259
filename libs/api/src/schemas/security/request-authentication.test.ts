import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestAuthenticationSpec } from '../../security-resources.js';
import { assertOneError, assertValid, check, doc, summary } from '../../test-helpers.js';

const ra = (spec: unknown) => doc('RequestAuthentication', spec, { name: 'jwt-example', namespace: 'foo' }, 'security.istio.io/v1');
const rule = (extra: Record<string, unknown> = {}) => ({ jwtRules: [{ issuer: 'testing@secure.istio.io', ...extra }] });
const JWKS = JSON.stringify({ keys: [{ kty: 'RSA', e: 'AQAB', n: 'xyz', kid: 'k1' }] });

describe('RequestAuthentication', () => {
  test('every JWTRule field Skiff implements is accepted and kept as written', () => {
    const spec: RequestAuthenticationSpec = {
      selector: { matchLabels: { app: 'httpbin' } },
      jwtRules: [
        {
          issuer: 'testing@secure.istio.io',
          audiences: ['httpbin', 'bookstore'],
          jwksUri: 'https://raw.githubusercontent.com/istio/istio/release-1.22/security/tools/jwt/samples/jwks.json',
          fromHeaders: [{ name: 'x-jwt-assertion', prefix: 'Bearer ' }, { name: 'x-token' }],
          fromParams: ['my_token'],
          outputPayloadToHeader: 'x-jwt-payload',
          forwardOriginalToken: true,
          outputClaimToHeaders: [{ header: 'x-jwt-claim-foo', claim: 'foo' }],
        },
        { issuer: 'issuer-bar', jwks: JWKS },
      ],
    };
    const r = check(ra(spec));
    assertValid(r);
    assert.deepEqual(r.resource?.spec, spec);
  });

  test('issuer or jwksUri is required (Istio: issuer or jwksUri must be non-empty)', () => {
    assertOneError(check(ra({ jwtRules: [{ audiences: ['a'] }] })), 'spec.jwtRules[0].issuer', 'set issuer');
    assertValid(check(ra({ jwtRules: [{ jwksUri: 'https://example.com/jwks.json' }] })));
  });

  test('jwksUri must be an http(s) URL', () => {
    assertOneError(check(ra(rule({ jwksUri: 'not a url' }))), 'spec.jwtRules[0].jwksUri', 'is not a URL');
    assertOneError(check(ra(rule({ jwksUri: 'ftp://example.com/jwks' }))), 'spec.jwtRules[0].jwksUri', 'scheme "ftp" is not supported');
  });

  test('inline jwks must be a key set or a key', () => {
    assertOneError(check(ra(rule({ jwks: '{nope' }))), 'spec.jwtRules[0].jwks', 'jwks is not JSON');
    assertOneError(check(ra(rule({ jwks: '{"keys": [{"n": "x"}]}' }))), 'spec.jwtRules[0].jwks', 'JSON Web Key Set');
    assertValid(check(ra(rule({ jwks: '{"kty": "EC", "crv": "P-256", "x": "a", "y": "b"}' }))));
  });

  test('token locations and claim headers must be non-empty and valid', () => {
    assertOneError(check(ra(rule({ fromHeaders: [{ name: '' }] }))), 'spec.jwtRules[0].fromHeaders[0].name', 'must not be empty');
    assertOneError(check(ra(rule({ fromHeaders: [{ prefix: 'Bearer ' }] }))), 'spec.jwtRules[0].fromHeaders[0].name', 'required');
    assertOneError(check(ra(rule({ fromParams: [''] }))), 'spec.jwtRules[0].fromParams[0]', 'must not be empty');
    assertOneError(check(ra(rule({ outputClaimToHeaders: [{ header: 'x y', claim: 'sub' }] }))), 'spec.jwtRules[0].outputClaimToHeaders[0].header', 'not a valid HTTP header name');
    assertOneError(check(ra(rule({ outputClaimToHeaders: [{ header: 'x-sub' }] }))), 'spec.jwtRules[0].outputClaimToHeaders[0].claim', 'required');
    assertOneError(check(ra(rule({ audiences: [''] }))), 'spec.jwtRules[0].audiences[0]', 'must not be empty');
  });

  test('selector and targetRefs exclude each other; targetRefs is a warning (policy ignored)', () => {
    assertOneError(check(ra({ selector: { matchLabels: { app: 'a' } }, targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'gw' }] })), 'spec.targetRefs', 'set only one of selector');
    const r = check(ra({ targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'gw' }], ...rule() }));
    assert.deepEqual(summary(r.issues), ['warning spec.targetRefs: targetRefs selects Gateway API gateways and waypoints, which Skiff does not have; this policy is ignored (use selector)']);
  });

  test('Istio fields Skiff lacks are warnings and dropped; misspellings are errors with a suggestion', () => {
    const r = check(ra(rule({ fromCookies: ['session'], timeout: '5s' })));
    assert.deepEqual(summary(r.issues), ['warning spec.jwtRules[0].fromCookies: not supported by Skiff, ignored', 'warning spec.jwtRules[0].timeout: not supported by Skiff, ignored']);
    assert.deepEqual(r.resource?.spec, rule());
    assertOneError(check(ra({ jwtRules: [{ isuer: 'x' }] })), 'spec.jwtRules[0].isuer', 'did you mean "issuer"?');
    assertOneError(check(ra(rule({ jwks_uri: 'https://x/jwks' }))), 'spec.jwtRules[0].jwks_uri', 'did you mean "jwksUri"?');
  });
});
