// Checks a token's signature against a key set with jwt_verify_lib's key selection: a key is a
// candidate unless its kid or alg says otherwise (a key without kid is tried for any token), and
// the failure says whether no key matched ("Jwks doesn't have key to match kid or alg from Jwt")
// or keys matched but none verified ("Jwt verification fails"). jose does the cryptography.
import { compactVerify, importJWK, type JWK } from 'jose';
import type { KeySet } from './jwks-source.js';
import { fail, type JwtFailure } from './jwt-status.js';
import type { ParsedJwt } from './jwt-token.js';

type VerifyKey = Awaited<ReturnType<typeof importJWK>>;

// Imported keys, per JWK object and algorithm: importing is far slower than verifying.
const imported = new WeakMap<JWK, Map<string, Promise<VerifyKey | undefined>>>();

function importOnce(jwk: JWK, alg: string): Promise<VerifyKey | undefined> {
  let byAlg = imported.get(jwk);
  if (!byAlg) imported.set(jwk, (byAlg = new Map()));
  let key = byAlg.get(alg);
  if (!key) {
    // A key of another type than the token's alg (an EC key for RS256) cannot verify it.
    key = importJWK(jwk, alg).catch(() => undefined);
    byAlg.set(alg, key);
  }
  return key;
}

export async function verifySignature(jwt: ParsedJwt, set: KeySet): Promise<JwtFailure | undefined> {
  let matched = 0;
  for (const jwk of set.keys) {
    if (jwt.kid && jwk.kid && jwk.kid !== jwt.kid) continue;
    if (jwk.alg && jwk.alg !== jwt.alg) continue;
    matched++;
    const key = await importOnce(jwk, jwt.alg);
    if (!key) continue;
    try {
      await compactVerify(jwt.token, key, { algorithms: [jwt.alg] });
      return undefined;
    } catch {
      // Not this key; try the next candidate.
    }
  }
  const kid = jwt.kid ? `kid "${jwt.kid}"` : 'no kid';
  if (matched === 0) return fail('JwksKidAlgMismatch', `no key in the JWKS has ${kid} and alg ${jwt.alg} (keys: ${set.keys.map((k) => `${k.kid ?? '-'}/${k.alg ?? k.kty}`).join(', ')})`);
  return fail('JwtVerificationFail', `the signature (alg ${jwt.alg}, ${kid}) does not verify with any of the ${matched} matching key(s) of issuer "${jwt.iss}"`);
}
