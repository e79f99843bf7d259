// End-user authentication and JWT-based authorization on the real mesh, following Istio's
// security tasks: "Authentication Policy / End-user authentication" (RequestAuthentication and
// AuthorizationPolicy on the ingress gateway) and "Authorization / JWT Token" (on a sidecar), plus
// what the app behind a sidecar receives and DENY/AUDIT policies by namespace, method and path.
// Tokens come from a real JWKS server (startJwtIssuer); the proxies fetch its keys themselves.
// One mesh for the file: each test applies its policies and removes them when it ends.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appAdmin, applyConfig, get, getJson, sidecarClient, startJwtIssuer, startTestMesh, type MintOptions, type TestJwtIssuer, type TestMesh } from '@skiff/testing';
import { bookinfoBaseline } from './istio-tasks.js';
import {
  decodePayload,
  gatewayRequestAuthentication,
  gatewayRequireToken,
  gatewayRequireTokenPerPath,
  gatewayWithRatingsRoute,
  ISSUER,
  ratingsAuditRatings,
  ratingsDenyPolicies,
  requestAuthentication,
  reviewsRequireJwt,
  sendThrough,
  type LastRequest,
} from './jwt-authz-fixtures.js';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("Istio's end-user authentication and JWT authorization tasks", () => {
  let mesh: TestMesh;
  /** The issuer the policies trust (iss testing@secure.istio.io, keys at its jwksUri). */
  let issuer: TestJwtIssuer;
  /** Claims the same iss but signs with keys nobody published: a forged token. */
  let impostor: TestJwtIssuer;
  /** An issuer no policy names. */
  let stranger: TestJwtIssuer;

  const token = (claims: Record<string, unknown> = {}, options?: MintOptions) => issuer.mint({ sub: ISSUER, ...claims }, options);
  const product = (headers: Record<string, string> = {}) => get(`${mesh.gateway}/api/product/1`, headers);
  const realm = (path: string) => `Bearer realm="http://${new URL(mesh.gateway).host}${path}", error="invalid_token"`;

  /** Applies `files` for the duration of `body`, then removes them, so the next test starts clean. */
  async function withConfig(files: Record<string, string>, body: () => Promise<void>): Promise<void> {
    await applyConfig(mesh, files);
    try {
      await body();
    } finally {
      await applyConfig(mesh, Object.fromEntries(Object.keys(files).map((name) => [name, null])));
    }
  }

  async function lastRequest(workload: string): Promise<LastRequest> {
    const res = await getJson<LastRequest>(`${appAdmin(mesh, workload).url}/admin/last-request`);
    assert.equal(res.status, 200, `${workload} recorded no request: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  before(async () => {
    issuer = await startJwtIssuer({ issuer: ISSUER });
    impostor = await startJwtIssuer({ issuer: ISSUER });
    stranger = await startJwtIssuer();
    mesh = await startTestMesh({ config: { ...bookinfoBaseline(), 'gateway.yaml': gatewayWithRatingsRoute } });
  });
  after(async () => {
    await mesh?.stop();
    await Promise.all([issuer?.close(), impostor?.close(), stranger?.close()]);
  });

  describe('ingress gateway (authn-policy task: end-user authentication)', () => {
    test('RequestAuthentication: a valid token passes, invalid ones get 401 with Envoy\'s body, no token passes', async () => {
      await withConfig({ 'gateway-jwt.yaml': gatewayRequestAuthentication(issuer.jwksUri) }, async () => {
        const valid = await product(bearer(await token()));
        assert.equal(valid.status, 200, valid.text);
        assert.ok(issuer.requests >= 1, 'the gateway fetched the keys from jwksUri');

        const expired = await product(bearer(await token({}, { expiresInS: -3600 })));
        assert.equal(expired.status, 401);
        assert.equal(expired.text, 'Jwt is expired');
        assert.equal(expired.headers['www-authenticate'], realm('/api/product/1'));

        // Same iss and kid as the real key, signed with another key: the signature does not verify.
        const forged = await product(bearer(await impostor.mint({ sub: ISSUER }, { kid: issuer.kid })));
        assert.equal(forged.status, 401);
        assert.equal(forged.text, 'Jwt verification fails');

        // Signed with a key whose kid the published set does not have.
        const unknownKey = await product(bearer(await impostor.mint({ sub: ISSUER })));
        assert.equal(unknownKey.status, 401);
        assert.equal(unknownKey.text, "Jwks doesn't have key to match kid or alg from Jwt");

        const otherIssuer = await product(bearer(await stranger.mint({ sub: 'someone' })));
        assert.equal(otherIssuer.status, 401);
        assert.equal(otherIssuer.text, 'Jwt issuer is not configured');

        const garbage = await product(bearer('not-a-jwt'));
        assert.equal(garbage.status, 401);
        assert.equal(garbage.text, 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections');

        const notYet = await product(bearer(await token({}, { notBeforeS: 3600 })));
        assert.equal(notYet.status, 401);
        assert.equal(notYet.text, 'Jwt not yet valid');

        // Envoy's default clock skew (60 s): a token that expired 20 s ago is still accepted.
        const justExpired = await product(bearer(await token({}, { expiresInS: -20 })));
        assert.equal(justExpired.status, 200, `within the clock skew: ${justExpired.text}`);

        // Only "Authorization: Bearer <token>" is a token location; another scheme is no token at all.
        const basic = await product({ authorization: 'Basic dXNlcjpwYXNz' });
        assert.equal(basic.status, 200, basic.text);

        // RequestAuthentication alone does not require a token (Istio: use an AuthorizationPolicy for that).
        const none = await product();
        assert.equal(none.status, 200, none.text);
      });
      assert.equal((await product(bearer('not-a-jwt'))).status, 200, 'without the RequestAuthentication the header is nobody\'s business');
    });

    test('audiences: a token for another audience is 403 "Audiences in Jwt are not allowed"', async () => {
      await withConfig({ 'gateway-jwt.yaml': gatewayRequestAuthentication(issuer.jwksUri, { audiences: ['frontend.example.com'] }) }, async () => {
        const wrong = await product(bearer(await token({}, { audience: 'other.example.com' })));
        assert.equal(wrong.status, 403);
        assert.equal(wrong.text, 'Audiences in Jwt are not allowed');
        const right = await product(bearer(await token({}, { audience: ['other.example.com', 'frontend.example.com'] })));
        assert.equal(right.status, 200, right.text);
      });
    });

    test('AuthorizationPolicy requestPrincipals ["*"]: no token is 403 "RBAC: access denied", a valid token 200, a bad one still 401', async () => {
      await withConfig({ 'gateway-jwt.yaml': gatewayRequestAuthentication(issuer.jwksUri), 'gateway-authz.yaml': gatewayRequireToken }, async () => {
        const none = await product();
        assert.equal(none.status, 403);
        assert.equal(none.text, 'RBAC: access denied');
        assert.equal((await product({ authorization: 'Basic dXNlcjpwYXNz' })).status, 403, 'a non-Bearer Authorization header is no token');
        const valid = await product(bearer(await token()));
        assert.equal(valid.status, 200, valid.text);
        // The token may also come in the access_token query parameter (Istio's default locations).
        const inQuery = await get(`${mesh.gateway}/api/product/1?access_token=${await token()}`);
        assert.equal(inQuery.status, 200, inQuery.text);
        // Authentication runs first: a bad token is refused as such, not as unauthorized.
        const expired = await product(bearer(await token({}, { expiresInS: -3600 })));
        assert.equal(expired.status, 401);
        assert.equal(expired.text, 'Jwt is expired');
      });
      assert.equal((await product()).status, 200, 'removing the policies opens the gateway again');
    });

    test('per path: DENY notRequestPrincipals ["*"] on /api/* leaves other paths open', async () => {
      await withConfig({ 'gateway-jwt.yaml': gatewayRequestAuthentication(issuer.jwksUri), 'gateway-authz.yaml': gatewayRequireTokenPerPath }, async () => {
        const api = await product();
        assert.equal(api.status, 403);
        assert.equal(api.text, 'RBAC: access denied');
        assert.equal((await product(bearer(await token()))).status, 200);
        const health = await get(`${mesh.gateway}/healthz`);
        assert.equal(health.status, 200, `paths outside /api/* need no token: ${health.text}`);
      });
    });
  });

  describe('sidecar (authz-jwt task, reviews in httpbin\'s place)', () => {
    test('ALLOW requestPrincipals, then when request.auth.claims[groups]: group1 is allowed, others are denied', async () => {
      const fromFrontend = sidecarClient(mesh, 'frontend');
      const reviews = (headers: Record<string, string> = {}) => fromFrontend.get('http://reviews:9080/reviews/1', headers);
      try {
        await withConfig(
          {
            'reviews-jwt.yaml': requestAuthentication('jwt-example', 'default', { app: 'reviews' }, issuer.jwksUri),
            'reviews-authz.yaml': reviewsRequireJwt(),
          },
          async () => {
            const valid = await reviews(bearer(await token()));
            assert.equal(valid.status, 200, valid.text);
            const none = await reviews();
            assert.equal(none.status, 403, 'a request without a token is denied');
            assert.equal(none.text, 'RBAC: access denied');
            const otherSubject = await reviews(bearer(await token({ sub: 'someone-else' })));
            assert.equal(otherSubject.status, 403, 'requestPrincipals is <iss>/<sub>: another subject does not match');
            const forged = await reviews(bearer(await impostor.mint({ sub: ISSUER }, { kid: issuer.kid })));
            assert.equal(forged.status, 401);
            assert.equal(forged.text, 'Jwt verification fails');

            await applyConfig(mesh, { 'reviews-authz.yaml': reviewsRequireJwt('group1') });
            const inGroup = await reviews(bearer(await token({ groups: ['group1', 'group2'] })));
            assert.equal(inGroup.status, 200, `list-typed claim containing group1: ${inGroup.text}`);
            const stringClaim = await reviews(bearer(await token({ groups: 'group1' })));
            assert.equal(stringClaim.status, 200, `string-typed claim group1: ${stringClaim.text}`);
            const otherGroup = await reviews(bearer(await token({ groups: ['group2'] })));
            assert.equal(otherGroup.status, 403);
            assert.equal(otherGroup.text, 'RBAC: access denied');
            const noGroups = await reviews(bearer(await token()));
            assert.equal(noGroups.status, 403, 'a token without the groups claim is denied');
          },
        );
        assert.equal((await reviews()).status, 200, 'removing the policies opens reviews again');
      } finally {
        await fromFrontend.close();
      }
    });
  });

  describe('what the app behind the sidecar receives', () => {
    test('by default the token is removed (header and access_token parameter); outputPayloadToHeader carries the payload; a forged payload header is dropped', async () => {
      const admin = appAdmin(mesh, 'reviews-v1');
      const fromFrontend = sidecarClient(mesh, 'frontend');
      try {
        // Without RequestAuthentication the sidecar passes Authorization through untouched.
        await admin.resetStats();
        assert.equal((await fromFrontend.get('http://reviews:9080/reviews/1', { authorization: 'Bearer opaque' })).status, 200);
        assert.equal((await lastRequest('reviews-v1')).headers['authorization'], 'Bearer opaque');

        await withConfig({ 'reviews-jwt.yaml': requestAuthentication('jwt-example', 'default', { app: 'reviews' }, issuer.jwksUri, { outputPayloadToHeader: 'x-jwt-payload' }) }, async () => {
          const jwt = await token({ groups: ['group1'], name: 'Jane' });
          await admin.resetStats();
          const res = await fromFrontend.get('http://reviews:9080/reviews/1', bearer(jwt));
          assert.equal(res.status, 200, res.text);
          const seen = await lastRequest('reviews-v1');
          assert.equal(seen.url, '/reviews/1');
          assert.equal(seen.headers['authorization'], undefined, 'forwardOriginalToken is false by default: the token stays at the sidecar');
          assert.equal(seen.headers['x-jwt-payload'], jwt.split('.')[1], 'the payload, base64url as in the token');
          const claims = decodePayload(seen.headers['x-jwt-payload'] as string);
          assert.equal(claims.iss, ISSUER);
          assert.equal(claims.sub, ISSUER);
          assert.deepEqual(claims.groups, ['group1']);

          await admin.resetStats();
          const inQuery = await fromFrontend.get(`http://reviews:9080/reviews/1?access_token=${jwt}&page=2`);
          assert.equal(inQuery.status, 200, inQuery.text);
          const seenQuery = await lastRequest('reviews-v1');
          assert.equal(seenQuery.url, '/reviews/1?page=2', 'the access_token parameter is removed, the others kept');
          assert.equal(seenQuery.headers['x-jwt-payload'], jwt.split('.')[1]);

          await admin.resetStats();
          const spoof = await fromFrontend.get('http://reviews:9080/reviews/1', { 'x-jwt-payload': Buffer.from(JSON.stringify({ sub: 'admin' })).toString('base64url') });
          assert.equal(spoof.status, 200, spoof.text);
          assert.equal((await lastRequest('reviews-v1')).headers['x-jwt-payload'], undefined, 'a client cannot forge the output header');
        });
      } finally {
        await fromFrontend.close();
      }
    });

    test('forwardOriginalToken: true keeps the token; outputClaimToHeaders copies a claim', async () => {
      const admin = appAdmin(mesh, 'ratings');
      const fromFrontend = sidecarClient(mesh, 'frontend');
      try {
        const rule = { forwardOriginalToken: true, outputClaimToHeaders: [{ header: 'x-jwt-sub', claim: 'sub' }] };
        await withConfig({ 'ratings-jwt.yaml': requestAuthentication('jwt-forward', 'default', { app: 'ratings' }, issuer.jwksUri, rule) }, async () => {
          const jwt = await token();
          await admin.resetStats();
          const res = await fromFrontend.get('http://ratings:9080/ratings/1', bearer(jwt));
          assert.equal(res.status, 200, res.text);
          const seen = await lastRequest('ratings');
          assert.equal(seen.headers['authorization'], `Bearer ${jwt}`);
          assert.equal(seen.headers['x-jwt-sub'], ISSUER);
          assert.equal(seen.headers['x-jwt-payload'], undefined, 'no outputPayloadToHeader, no payload header');
        });
      } finally {
        await fromFrontend.close();
      }
    });
  });

  describe('DENY and AUDIT (authorization policies by namespace, method and path)', () => {
    test('DENY source.namespaces istio-system blocks the gateway, not reviews; DENY methods+notPaths; AUDIT changes no decision', async () => {
      const ratingsViaGateway = () => get(`${mesh.gateway}/ratings/1`);
      const fromReviews = (method: string, path: string) => sendThrough(mesh, 'reviews-v2', method, `http://ratings:9080${path}`);
      assert.equal((await ratingsViaGateway()).status, 200, 'without policies the gateway reaches ratings');

      const expectEnforced = async (when: string) => {
        const viaGateway = await ratingsViaGateway();
        assert.equal(viaGateway.status, 403, `${when}: a call from namespace istio-system (the gateway) is denied`);
        assert.equal(viaGateway.text, 'RBAC: access denied');
        const fromDefault = await fromReviews('GET', '/ratings/1');
        assert.equal(fromDefault.status, 200, `${when}: a call from namespace default is not: ${fromDefault.text}`);
        const getOutside = await fromReviews('GET', '/healthz');
        assert.equal(getOutside.status, 403, `${when}: GET outside /ratings/* is denied`);
        assert.equal(getOutside.text, 'RBAC: access denied');
        const headOutside = await fromReviews('HEAD', '/healthz');
        assert.equal(headOutside.status, 200, `${when}: the rule names GET only, so HEAD /healthz reaches the app`);
        assert.equal((await get(`${mesh.gateway}/api/product/1`, { 'end-user': 'jason' })).status, 200, `${when}: the product page still works`);
      };

      await withConfig({ 'ratings-deny.yaml': ratingsDenyPolicies }, async () => {
        await expectEnforced('DENY policies');
        await applyConfig(mesh, { 'ratings-audit.yaml': ratingsAuditRatings });
        try {
          await expectEnforced('DENY policies plus AUDIT of /ratings/*');
        } finally {
          await applyConfig(mesh, { 'ratings-audit.yaml': null });
        }
      });

      await withConfig({ 'ratings-audit.yaml': ratingsAuditRatings }, async () => {
        const viaGateway = await ratingsViaGateway();
        assert.equal(viaGateway.status, 200, `AUDIT does not deny what it audits: ${viaGateway.text}`);
        assert.equal((await fromReviews('GET', '/ratings/1')).status, 200, 'AUDIT does not deny what it audits');
        assert.equal((await fromReviews('GET', '/healthz')).status, 200, 'AUDIT is not an ALLOW policy: what it does not audit is not denied');
      });
    });
  });
});
