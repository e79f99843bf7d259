import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { handleTestIssuerRequest, TEST_ISSUER, TestIssuer } from './test-issuer.js';

test("the test issuer's tokens verify against its JWKS, with its issuer and the claims asked for; bad requests get a clear 4xx", async () => {
  const issuer = new TestIssuer();
  const server = createServer((req, res) => handleTestIssuerRequest(issuer, new URL(req.url ?? '/', 'http://x').pathname, req, res)).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const jwks = (await (await fetch(`${base}/test-issuer/jwks.json`)).json()) as { keys: Array<Record<string, unknown>> };
    assert.equal(jwks.keys.length, 1);
    assert.equal(jwks.keys[0]?.['d'], undefined, 'the private part is never published');
    const answer = await fetch(`${base}/test-issuer/token`, { method: 'POST', body: JSON.stringify({ sub: 'alice', groups: ['admins'] }) });
    const { token } = (await answer.json()) as { token: string };
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]), { issuer: TEST_ISSUER });
    assert.deepEqual([payload.sub, payload['groups']], ['alice', ['admins']]);
    assert.ok((payload.exp ?? 0) - (payload.iat ?? 0) === 300, 'five minutes');
    const other = await issuer.sign({ iss: 'testing@secure.istio.io' });
    assert.equal((await jwtVerify(other, createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]))).payload.iss, 'testing@secure.istio.io', 'claims may name another issuer');
    assert.equal((await fetch(`${base}/test-issuer/token`, { method: 'POST', body: '[1]' })).status, 400);
    assert.equal((await fetch(`${base}/test-issuer/token`, { method: 'POST', body: 'not json' })).status, 400);
    assert.equal((await fetch(`${base}/test-issuer/token`, { method: 'POST', body: JSON.stringify({ pad: 'x'.repeat(20_000) }) }).catch(() => ({ status: 413 }))).status, 413);
    assert.equal((await fetch(`${base}/test-issuer/jwks.json`, { method: 'DELETE' })).status, 405);
  } finally {
    server.close();
  }
});
