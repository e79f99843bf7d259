// A test identity provider: a real HTTP server on 127.0.0.1 that publishes its signing keys as a
// JSON Web Key Set (and an OpenID discovery document pointing at it) and mints JWTs with them,
// so RequestAuthentication can be tested end to end without any outside service.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export type TestJwtKeyAlg = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'ES256' | 'ES384' | 'EdDSA';

export interface StartJwtIssuerOptions {
  /** The `iss` of minted tokens; default the server's own origin, http://127.0.0.1:<port>. */
  issuer?: string;
  /** Signing algorithm (default RS256). */
  keyAlg?: TestJwtKeyAlg;
}

export interface MintOptions {
  /** Seconds from now until `exp` (default 3600); negative mints an already expired token. */
  expiresInS?: number;
  /** Seconds from now until `nbf`; positive mints a token that is not valid yet. Absent: no nbf. */
  notBeforeS?: number;
  /** The `aud` claim. */
  audience?: string | string[];
  /** The header `kid` to claim (default the current key's); the token is still signed with the current key. */
  kid?: string;
}

export interface TestJwtIssuer {
  /** The `iss` of minted tokens. */
  readonly issuer: string;
  /** http://127.0.0.1:<port>/.well-known/jwks.json */
  readonly jwksUri: string;
  /** The published key set as a JSON string, for a jwtRule's inline `jwks`. */
  readonly jwksJson: string;
  /** The kid of the key that signs now. */
  readonly kid: string;
  /** How many times the JWKS was requested. */
  readonly requests: number;
  /** Delay, in ms, before each JWKS answer (to test fetch timeouts); default 0. */
  jwksDelayMs: number;
  /** Signs `claims` (iss defaults to the issuer, iat to now) with the current key. */
  mint(claims?: Record<string, unknown>, options?: MintOptions): Promise<string>;
  /** Replaces the signing key with a new one (new kid); the old key is no longer published unless keepOld. */
  rotateKey(options?: { keepOld?: boolean }): Promise<string>;
  close(): Promise<void>;
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

let keyCounter = 0;

async function newKey(alg: TestJwtKeyAlg): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `test-key-${++keyCounter}-${Date.now().toString(36)}`;
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export async function startJwtIssuer(options: StartJwtIssuerOptions = {}): Promise<TestJwtIssuer> {
  const alg = options.keyAlg ?? 'RS256';
  let current = await newKey(alg);
  let published: JWK[] = [current.publicJwk];
  let requests = 0;
  let jwksDelayMs = 0;
  let issuer = options.issuer ?? '';
  let jwksUri = '';

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/.well-known/jwks.json') {
      requests++;
      const keys = published;
      setTimeout(() => send(res, 200, { keys }), jwksDelayMs).unref();
    } else if (path === '/.well-known/openid-configuration') {
      send(res, 200, { issuer, jwks_uri: jwksUri, id_token_signing_alg_values_supported: [alg] });
    } else {
      send(res, 404, { error: `no ${path} here; try /.well-known/jwks.json` });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  issuer ||= origin;
  jwksUri = `${origin}/.well-known/jwks.json`;

  return {
    issuer,
    jwksUri,
    get jwksJson() {
      return JSON.stringify({ keys: published });
    },
    get kid() {
      return current.kid;
    },
    get requests() {
      return requests;
    },
    get jwksDelayMs() {
      return jwksDelayMs;
    },
    set jwksDelayMs(ms: number) {
      jwksDelayMs = ms;
    },
    async mint(claims = {}, mintOptions = {}) {
      const now = Math.floor(Date.now() / 1000);
      const payload: Record<string, unknown> = { iss: issuer, iat: now, exp: now + (mintOptions.expiresInS ?? 3600), ...claims };
      if (mintOptions.notBeforeS !== undefined) payload.nbf = now + mintOptions.notBeforeS;
      if (mintOptions.audience !== undefined) payload.aud = mintOptions.audience;
      return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT', kid: mintOptions.kid ?? current.kid }).sign(current.privateKey);
    },
    async rotateKey(rotateOptions = {}) {
      current = await newKey(alg);
      published = rotateOptions.keepOld ? [...published, current.publicJwk] : [current.publicJwk];
      return current.kid;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        // JWKS clients keep connections alive; the issuer going away must not wait for them.
        server.closeAllConnections();
      });
    },
  };
}
