// A JWT issuer for mesh policy tests: `skiff test --live` asks it to sign a case's `jwt` claims,
// and a RequestAuthentication rule that trusts it (issuer "skiff-test-issuer", jwksUri
// <monitoring>/test-issuer/jwks.json) lets those tokens through, as a real identity provider's
// would be. Only the mesh token may ask for a token (POST /test-issuer/token); the keys are
// public (GET /test-issuer/jwks.json). The signing key lives in memory for the control plane's
// life: a restart makes a new one, and proxies fetch the new JWKS when a token names a key they
// do not have. No rule trusts it unless a user writes one.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export const TEST_ISSUER = 'skiff-test-issuer';
const MAX_BODY = 16 * 1024;
const DEFAULT_TTL_S = 300;

export class TestIssuer {
  #keys: Promise<{ privateKey: CryptoKey; jwk: JWK }> | undefined;

  async #key(): Promise<{ privateKey: CryptoKey; jwk: JWK }> {
    this.#keys ??= generateKeyPair('ES256', { extractable: true }).then(async ({ privateKey, publicKey }) => {
      const jwk = { ...(await exportJWK(publicKey)), kid: `skiff-test-${Date.now().toString(36)}`, alg: 'ES256', use: 'sig' };
      return { privateKey, jwk };
    });
    return this.#keys;
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: [(await this.#key()).jwk] };
  }

  /** A token for `claims`: iss defaults to skiff-test-issuer, exp to five minutes from now. */
  async sign(claims: Record<string, unknown>): Promise<string> {
    const { privateKey, jwk } = await this.#key();
    const now = Math.floor(Date.now() / 1000);
    const payload = { iss: TEST_ISSUER, iat: now, exp: now + DEFAULT_TTL_S, ...claims };
    return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: jwk.kid as string, typ: 'JWT' }).sign(privateKey);
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** GET /test-issuer/jwks.json, and POST /test-issuer/token (the caller has shown the mesh token). */
export function handleTestIssuerRequest(issuer: TestIssuer, path: string, req: IncomingMessage, res: ServerResponse): void {
  if (path === '/test-issuer/jwks.json') {
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, { error: `${req.method} is not served here; GET the JWKS` });
    void issuer.jwks().then((jwks) => reply(res, 200, jwks));
    return;
  }
  if (req.method !== 'POST') return reply(res, 405, { error: 'POST the claims (a JSON object) to get a token' });
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY) {
      reply(res, 413, { error: `the claims are over ${MAX_BODY} bytes` });
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (res.headersSent) return;
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return reply(res, 400, { error: 'the body must be the claims as a JSON object, e.g. {"sub":"alice","groups":["admins"]}' });
    }
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return reply(res, 400, { error: 'the claims must be a JSON object' });
    issuer.sign(claims as Record<string, unknown>).then(
      (token) => reply(res, 200, { token }),
      (error: unknown) => reply(res, 400, { error: `cannot sign these claims: ${error instanceof Error ? error.message : String(error)}` }),
    );
  });
}
