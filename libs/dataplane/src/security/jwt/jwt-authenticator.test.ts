import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { startJwtIssuer, type TestJwtIssuer } from '@skiff/testing';
import { bearerChallenge, JwtAuthenticator, type AuthResult } from './jwt-authenticator.js';
import type { JwtRule } from './jwt-rule.js';

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

function expectOk(result: AuthResult): Extract<AuthResult, { kind: 'ok' }> {
  assert.equal(result.kind, 'ok', `expected ok, got ${JSON.stringify(result)}`);
  return result as Extract<AuthResult, { kind: 'ok' }>;
}

function expectInvalid(result: AuthResult, status: number, body: string): void {
  assert.equal(result.kind, 'invalid', `expected a refusal, got ${JSON.stringify(result)}`);
  const invalid = result as Extract<AuthResult, { kind: 'invalid' }>;
  assert.equal(invalid.status, status, invalid.reason);
  assert.equal(invalid.body, body, invalid.reason);
  assert.ok(invalid.reason.length > 0);
}

describe('JwtAuthenticator with a remote JWKS', () => {
  let issuer: TestJwtIssuer;
  let impostor: TestJwtIssuer;
  before(async () => {
    issuer = await startJwtIssuer();
    // Same iss, different key: what a forger without the issuer's private key can produce.
    impostor = await startJwtIssuer({ issuer: issuer.issuer });
  });
  after(async () => {
    await issuer.close();
    await impostor.close();
  });
  const rule = (extra: Partial<JwtRule> = {}): JwtRule => ({ issuer: issuer.issuer, jwksUri: issuer.jwksUri, ...extra });

  test('a valid token yields the Istio request principal iss/sub and its claims', async () => {
    const auth = new JwtAuthenticator([rule()]);
    const token = await issuer.mint({ sub: 'alice', azp: 'web-app', groups: ['admins'] }, { audience: ['orders', 'billing'] });
    const ok = expectOk(await auth.authenticate(bearer(token)));
    assert.equal(ok.principal, `${issuer.issuer}/alice`);
    assert.equal(ok.issuer, issuer.issuer);
    assert.deepEqual(ok.claims.groups, ['admins']);
    assert.equal(ok.claims.sub, 'alice');
    assert.deepEqual(ok.audiences, ['orders', 'billing']);
    assert.equal(ok.presenter, 'web-app');
  });

  test('an expired token is refused with Envoy\'s "Jwt is expired", but 60 s of clock skew are forgiven', async () => {
    const auth = new JwtAuthenticator([rule()]);
    expectInvalid(await auth.authenticate(bearer(await issuer.mint({ sub: 'a' }, { expiresInS: -120 }))), 401, 'Jwt is expired');
    expectOk(await auth.authenticate(bearer(await issuer.mint({ sub: 'a' }, { expiresInS: -30 }))));
  });

  test('a token whose nbf is more than 60 s ahead is not valid yet', async () => {
    const auth = new JwtAuthenticator([rule()]);
    expectInvalid(await auth.authenticate(bearer(await issuer.mint({ sub: 'a' }, { notBeforeS: 300 }))), 401, 'Jwt not yet valid');
    expectOk(await auth.authenticate(bearer(await issuer.mint({ sub: 'a' }, { notBeforeS: 30 }))));
  });

  test('a token signed by another key under the same iss and kid fails verification', async () => {
    const auth = new JwtAuthenticator([rule()]);
    const forged = await impostor.mint({ sub: 'mallory' }, { kid: issuer.kid });
    expectInvalid(await auth.authenticate(bearer(forged)), 401, 'Jwt verification fails');
  });

  test('a token naming a kid the JWKS lacks is refused with the kid/alg message', async () => {
    const auth = new JwtAuthenticator([rule()]);
    expectOk(await auth.authenticate(bearer(await issuer.mint({ sub: 'a' }))));
    const before = issuer.requests;
    const forged = await impostor.mint({ sub: 'mallory' });
    expectInvalid(await auth.authenticate(bearer(forged)), 401, "Jwks doesn't have key to match kid or alg from Jwt");
    // Within the refetch cooldown an unknown kid does not cause another fetch.
    assert.equal(issuer.requests, before);
  });

  test('a token from an issuer no rule names is refused', async () => {
    const auth = new JwtAuthenticator([rule()]);
    const other = await startJwtIssuer({ issuer: 'https://elsewhere.example' });
    try {
      expectInvalid(await auth.authenticate(bearer(await other.mint({ sub: 'a' }))), 401, 'Jwt issuer is not configured');
    } finally {
      await other.close();
    }
  });

  test('audiences: a token for another audience is refused with 403, a listed one (scheme and slash aside) accepted', async () => {
    const auth = new JwtAuthenticator([rule({ audiences: ['https://orders.example.com/'] })]);
    expectInvalid(await auth.authenticate(bearer(await issuer.mint({ sub: 'a' }, { audience: 'billing' }))), 403, 'Audiences in Jwt are not allowed');
    expectInvalid(await auth.authenticate(bearer(await issuer.mint({ sub: 'a' }))), 403, 'Audiences in Jwt are not allowed');
    expectOk(await auth.authenticate(bearer(await issuer.mint({ sub: 'a' }, { audience: ['billing', 'orders.example.com'] }))));
    // No audiences in the rule: any audience is fine.
    expectOk(await new JwtAuthenticator([rule()]).authenticate(bearer(await issuer.mint({ sub: 'a' }, { audience: 'anything' }))));
  });

  test('no token at all is let through for AuthorizationPolicy to decide, with forgeable output headers removed', async () => {
    const auth = new JwtAuthenticator([rule({ outputPayloadToHeader: 'X-Jwt-Payload', outputClaimToHeaders: [{ header: 'x-user', claim: 'sub' }] })]);
    const result = await auth.authenticate({ headers: { 'x-jwt-payload': 'forged', 'x-user': 'root' }, query: 'page=2' });
    assert.deepEqual(result, { kind: 'none', removeHeaders: ['x-jwt-payload', 'x-user'] });
  });

  test('the token header is removed unless forwardOriginalToken is set', async () => {
    const token = await issuer.mint({ sub: 'a' });
    const removed = expectOk(await new JwtAuthenticator([rule()]).authenticate(bearer(token)));
    assert.deepEqual(removed.removeHeaders, ['authorization']);
    const kept = expectOk(await new JwtAuthenticator([rule({ forwardOriginalToken: true })]).authenticate(bearer(token)));
    assert.deepEqual(kept.removeHeaders, []);
  });

  test('outputPayloadToHeader carries the payload exactly as in the token, base64url', async () => {
    const auth = new JwtAuthenticator([rule({ outputPayloadToHeader: 'x-jwt-payload' })]);
    const token = await issuer.mint({ sub: 'alice', role: 'admin' });
    const ok = expectOk(await auth.authenticate(bearer(token)));
    const header = ok.addHeaders['x-jwt-payload'] ?? '';
    assert.equal(header, token.split('.')[1]);
    const decoded = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>;
    assert.equal(decoded.sub, 'alice');
    assert.equal(decoded.role, 'admin');
    assert.equal(decoded.iss, issuer.issuer);
    // The incoming header of that name goes first, so a client cannot add its own.
    assert.ok(ok.removeHeaders.includes('x-jwt-payload'));
  });

  test('outputClaimToHeaders copies strings, numbers, booleans and nested claims, and skips the rest', async () => {
    const auth = new JwtAuthenticator([
      rule({
        outputClaimToHeaders: [
          { header: 'X-Sub', claim: 'sub' },
          { header: 'x-level', claim: 'level' },
          { header: 'x-admin', claim: 'admin' },
          { header: 'x-tenant', claim: 'org.tenant' },
          { header: 'x-groups', claim: 'groups' },
          { header: 'x-missing', claim: 'nope' },
        ],
      }),
    ]);
    const token = await issuer.mint({ sub: 'alice', level: 3, admin: false, org: { tenant: 'acme' }, groups: ['a', 'b'] });
    const ok = expectOk(await auth.authenticate(bearer(token)));
    assert.deepEqual(ok.addHeaders, { 'x-sub': 'alice', 'x-level': '3', 'x-admin': 'false', 'x-tenant': 'acme' });
  });

  test('fromHeaders with a prefix: the token is read after the prefix, and Authorization is no longer looked at', async () => {
    const auth = new JwtAuthenticator([rule({ fromHeaders: [{ name: 'X-Jwt-Assertion', prefix: 'Token ' }] })]);
    const token = await issuer.mint({ sub: 'a' });
    const ok = expectOk(await auth.authenticate({ headers: { 'x-jwt-assertion': `Token ${token}` } }));
    assert.deepEqual(ok.removeHeaders, ['x-jwt-assertion']);
    // Without the prefix there is no token at that location, hence nothing to check.
    assert.equal((await auth.authenticate({ headers: { 'x-jwt-assertion': token } })).kind, 'none');
    assert.equal((await auth.authenticate(bearer(token))).kind, 'none');
    expectInvalid(await auth.authenticate({ headers: { 'x-jwt-assertion': 'Token deadbeef' } }), 401, 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections');
  });

  test('query parameters: access_token by default, fromParams when given, removed from the forwarded query', async () => {
    const token = await issuer.mint({ sub: 'a' });
    const byDefault = expectOk(await new JwtAuthenticator([rule()]).authenticate({ headers: {}, query: `?x=1&access_token=${token}` }));
    assert.deepEqual(byDefault.removeQueryParams, ['access_token']);
    const custom = new JwtAuthenticator([rule({ fromParams: ['jwt'] })]);
    expectOk(await custom.authenticate({ headers: {}, query: `jwt=${token}` }));
    assert.equal((await custom.authenticate({ headers: {}, query: `access_token=${token}` })).kind, 'none');
  });

  test('fromCookies reads the token from the named cookie and leaves cookies in place', async () => {
    const auth = new JwtAuthenticator([rule({ fromCookies: ['session'] })]);
    const token = await issuer.mint({ sub: 'cookie-user' });
    const ok = expectOk(await auth.authenticate({ headers: { cookie: `theme=dark; session=${token}` } }));
    assert.equal(ok.principal, `${issuer.issuer}/cookie-user`);
    assert.deepEqual(ok.removeHeaders, []);
  });

  test('every token a rule finds must be valid: a good header token does not carry a bad query token', async () => {
    const auth = new JwtAuthenticator([rule()]);
    const good = await issuer.mint({ sub: 'a' });
    const bad = await issuer.mint({ sub: 'a' }, { expiresInS: -3600 });
    expectInvalid(await auth.authenticate({ headers: { authorization: `Bearer ${good}` }, query: `access_token=${bad}` }), 401, 'Jwt is expired');
  });

  test('the JWKS is fetched once and cached across many verifications, concurrent or not', async () => {
    const fresh = await startJwtIssuer();
    try {
      const auth = new JwtAuthenticator([{ issuer: fresh.issuer, jwksUri: fresh.jwksUri }]);
      const tokens = await Promise.all(Array.from({ length: 10 }, (_, i) => fresh.mint({ sub: `user-${i}` })));
      const concurrent = await Promise.all(tokens.map((t) => auth.authenticate(bearer(t))));
      for (const result of concurrent) expectOk(result);
      for (const t of tokens) expectOk(await auth.authenticate(bearer(t)));
      assert.equal(fresh.requests, 1);
    } finally {
      await fresh.close();
    }
  });

  test('authenticators sharing remoteJwks (one per snapshot) share the cached key set', async () => {
    const fresh = await startJwtIssuer();
    try {
      const shared = new Map();
      const token = await fresh.mint({ sub: 'a' });
      expectOk(await new JwtAuthenticator([{ issuer: fresh.issuer, jwksUri: fresh.jwksUri }], { remoteJwks: shared }).authenticate(bearer(token)));
      expectOk(await new JwtAuthenticator([{ issuer: fresh.issuer, jwksUri: fresh.jwksUri, audiences: [] }], { remoteJwks: shared }).authenticate(bearer(token)));
      assert.equal(fresh.requests, 1);
      expectOk(await new JwtAuthenticator([{ issuer: fresh.issuer, jwksUri: fresh.jwksUri }]).authenticate(bearer(token)));
      assert.equal(fresh.requests, 2);
    } finally {
      await fresh.close();
    }
  });

  test('a cached JWKS older than cacheMaxAgeMs is fetched again', async () => {
    const fresh = await startJwtIssuer();
    let offsetMs = 0;
    try {
      const auth = new JwtAuthenticator([{ issuer: fresh.issuer, jwksUri: fresh.jwksUri }], { cacheMaxAgeMs: 60_000, now: () => Date.now() + offsetMs });
      const token = await fresh.mint({ sub: 'a' });
      expectOk(await auth.authenticate(bearer(token)));
      offsetMs = 59_000;
      expectOk(await auth.authenticate(bearer(token)));
      assert.equal(fresh.requests, 1);
      offsetMs = 61_000;
      expectOk(await auth.authenticate(bearer(token)));
      assert.equal(fresh.requests, 2);
    } finally {
      await fresh.close();
    }
  });

  test('after the issuer rotates its key, a token with the new kid triggers one refetch (after the cooldown)', async () => {
    const fresh = await startJwtIssuer();
    try {
      const auth = new JwtAuthenticator([{ issuer: fresh.issuer, jwksUri: fresh.jwksUri }], { refetchCooldownMs: 0 });
      expectOk(await auth.authenticate(bearer(await fresh.mint({ sub: 'a' }))));
      await fresh.rotateKey();
      expectOk(await auth.authenticate(bearer(await fresh.mint({ sub: 'a' }))));
      assert.equal(fresh.requests, 2);
    } finally {
      await fresh.close();
    }
  });

  test('an issuer that is down gives "Jwks remote fetch is failed"', async () => {
    const gone = await startJwtIssuer();
    const token = await gone.mint({ sub: 'a' });
    await gone.close();
    const auth = new JwtAuthenticator([{ issuer: gone.issuer, jwksUri: gone.jwksUri }], { fetchTimeoutMs: 2_000 });
    const result = await auth.authenticate(bearer(token));
    expectInvalid(result, 401, 'Jwks remote fetch is failed');
    assert.match((result as { reason: string }).reason, /ECONNREFUSED/);
  });

  test('an issuer slower than fetchTimeoutMs gives "Jwks remote fetch is failed" in about that time', async () => {
    const slow = await startJwtIssuer();
    slow.jwksDelayMs = 5_000;
    try {
      const auth = new JwtAuthenticator([{ issuer: slow.issuer, jwksUri: slow.jwksUri }], { fetchTimeoutMs: 200 });
      const started = performance.now();
      const result = await auth.authenticate(bearer(await slow.mint({ sub: 'a' })));
      const elapsed = performance.now() - started;
      expectInvalid(result, 401, 'Jwks remote fetch is failed');
      assert.match((result as { reason: string }).reason, /within 200 ms/);
      assert.ok(elapsed >= 150 && elapsed < 2_000, `took ${elapsed.toFixed(0)} ms`);
    } finally {
      await slow.close();
    }
  });

  test('without jwks or jwksUri the keys are found through the issuer\'s OpenID discovery document', async () => {
    const auth = new JwtAuthenticator([{ issuer: issuer.issuer }]);
    expectOk(await auth.authenticate(bearer(await issuer.mint({ sub: 'a' }))));
  });

  test('a CORS preflight is not checked, as Istio bypasses it', async () => {
    const auth = new JwtAuthenticator([rule()]);
    const result = await auth.authenticate({ method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', authorization: 'Bearer garbage' } });
    assert.equal(result.kind, 'none');
    expectInvalid(await auth.authenticate({ method: 'GET', headers: { authorization: 'Bearer garbage' } }), 401, 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections');
  });
});

describe('JwtAuthenticator with inline jwks', () => {
  let issuer: TestJwtIssuer;
  before(async () => {
    issuer = await startJwtIssuer({ issuer: 'testing@secure.istio.io', keyAlg: 'ES256' });
  });
  after(() => issuer.close());

  test('verifies against the inline key set without fetching anything', async () => {
    const auth = new JwtAuthenticator([{ issuer: issuer.issuer, jwks: issuer.jwksJson }]);
    const ok = expectOk(await auth.authenticate(bearer(await issuer.mint({ sub: 'bob' }))));
    assert.equal(ok.principal, 'testing@secure.istio.io/bob');
    assert.equal(issuer.requests, 0);
  });

  test('an unusable inline jwks refuses tokens of that issuer, naming the parse error in the reason', async () => {
    const auth = new JwtAuthenticator([{ issuer: issuer.issuer, jwks: '{"keys": [' }]);
    const result = await auth.authenticate(bearer(await issuer.mint({ sub: 'bob' })));
    expectInvalid(result, 401, "Jwks doesn't have any valid public key");
    assert.match((result as { reason: string }).reason, /not JSON/);
  });

  test('HS256 with an oct key works as in Envoy', async () => {
    const secret = Buffer.from('a-shared-secret-of-at-least-32-bytes!!');
    const jwks = JSON.stringify({ keys: [{ kty: 'oct', k: secret.toString('base64url'), alg: 'HS256' }] });
    const auth = new JwtAuthenticator([{ issuer: 'hmac-issuer', jwks }]);
    const token = await new SignJWT({ iss: 'hmac-issuer', sub: 'svc' }).setProtectedHeader({ alg: 'HS256' }).sign(secret);
    expectOk(await auth.authenticate(bearer(token)));
    const wrong = await new SignJWT({ iss: 'hmac-issuer', sub: 'svc' }).setProtectedHeader({ alg: 'HS256' }).sign(Buffer.from('another-secret-of-at-least-32-bytes!!!'));
    expectInvalid(await auth.authenticate(bearer(wrong)), 401, 'Jwt verification fails');
  });

  test('an unsigned token (alg none) is refused', async () => {
    const auth = new JwtAuthenticator([{ issuer: issuer.issuer, jwks: issuer.jwksJson }]);
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const unsigned = `${enc({ alg: 'none' })}.${enc({ iss: issuer.issuer, sub: 'x' })}.c2ln`;
    expectInvalid(await auth.authenticate(bearer(unsigned)), 401, 'Jwt header [alg] is not supported');
  });
});

describe('JwtAuthenticator with several rules', () => {
  let a: TestJwtIssuer;
  let b: TestJwtIssuer;
  before(async () => {
    a = await startJwtIssuer({ issuer: 'https://a.example' });
    b = await startJwtIssuer({ issuer: 'https://b.example' });
  });
  after(async () => {
    await a.close();
    await b.close();
  });
  const rules = (): JwtRule[] => [
    { issuer: a.issuer, jwks: a.jwksJson, outputClaimToHeaders: [{ header: 'x-from-a', claim: 'sub' }] },
    { issuer: b.issuer, jwks: b.jwksJson, outputClaimToHeaders: [{ header: 'x-from-b', claim: 'sub' }] },
  ];

  test('each issuer\'s token is accepted by its own rule, with that rule\'s outputs', async () => {
    const auth = new JwtAuthenticator(rules());
    const fromA = expectOk(await auth.authenticate(bearer(await a.mint({ sub: 'ann' }))));
    assert.equal(fromA.principal, 'https://a.example/ann');
    assert.deepEqual(fromA.addHeaders, { 'x-from-a': 'ann' });
    const fromB = expectOk(await auth.authenticate(bearer(await b.mint({ sub: 'ben' }))));
    assert.equal(fromB.principal, 'https://b.example/ben');
    assert.deepEqual(fromB.addHeaders, { 'x-from-b': 'ben' });
    assert.deepEqual(fromB.removeHeaders.sort(), ['authorization', 'x-from-a', 'x-from-b']);
  });

  test('a bad token from a known issuer is not rescued by the other rule; the first rule (by issuer) names the failure', async () => {
    const auth = new JwtAuthenticator(rules());
    const forgerOfA = await startJwtIssuer({ issuer: 'https://a.example' });
    const forgerOfB = await startJwtIssuer({ issuer: 'https://b.example' });
    try {
      expectInvalid(await auth.authenticate(bearer(await forgerOfA.mint({ sub: 'x' }, { kid: a.kid }))), 401, 'Jwt verification fails');
      expectInvalid(await auth.authenticate(bearer(await a.mint({ sub: 'x' }, { expiresInS: -600 }))), 401, 'Jwt is expired');
      // Istio's requirement reports the failure of the first rule that found the token: for a
      // bad token of b, that is a's rule, which does not know b's issuer (istio/istio#40718).
      expectInvalid(await auth.authenticate(bearer(await forgerOfB.mint({ sub: 'x' }, { kid: b.kid }))), 401, 'Jwt issuer is not configured');
      expectInvalid(await auth.authenticate(bearer(await b.mint({ sub: 'x' }, { expiresInS: -600 }))), 401, 'Jwt issuer is not configured');
      // With its own location, b's rule is the only one that finds the token and names the real failure.
      const [ruleA, ruleB] = rules() as [JwtRule, JwtRule];
      const separate = new JwtAuthenticator([ruleA, { ...ruleB, fromHeaders: [{ name: 'x-b-token' }] }]);
      expectInvalid(await separate.authenticate({ headers: { 'x-b-token': await b.mint({ sub: 'x' }, { expiresInS: -600 }) } }), 401, 'Jwt is expired');
    } finally {
      await forgerOfA.close();
      await forgerOfB.close();
    }
  });

  test('rules are taken in issuer order whatever order they are given in', async () => {
    const reversed = new JwtAuthenticator([...rules()].reverse());
    expectInvalid(await reversed.authenticate(bearer(await b.mint({ sub: 'x' }, { expiresInS: -600 }))), 401, 'Jwt issuer is not configured');
  });

  test('a token from neither issuer is refused as not configured', async () => {
    const auth = new JwtAuthenticator(rules());
    const c = await startJwtIssuer({ issuer: 'https://c.example' });
    try {
      expectInvalid(await auth.authenticate(bearer(await c.mint({ sub: 'x' }))), 401, 'Jwt issuer is not configured');
    } finally {
      await c.close();
    }
  });
});

test('bearerChallenge builds the WWW-Authenticate value Envoy sends', () => {
  assert.equal(bearerChallenge({ scheme: 'http', host: 'reviews:9080', path: '/reviews/1?x=1' }), 'Bearer realm="http://reviews:9080/reviews/1", error="invalid_token"');
});

test('with no rules every request is let through untouched', async () => {
  const auth = new JwtAuthenticator([]);
  assert.equal(auth.active, false);
  assert.deepEqual(await auth.authenticate(bearer('a.b.c')), { kind: 'none', removeHeaders: [] });
});
