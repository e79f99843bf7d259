import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAudience, checkTime, isJwtFailure, parseJwt, type ParsedJwt } from './jwt-token.js';
import { JwtStatus } from './jwt-status.js';

const enc = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const token = (header: unknown, payload: unknown) => `${enc(header)}.${enc(payload)}.c2ln`;

function statusOf(raw: string): string {
  const parsed = parseJwt(raw);
  return isJwtFailure(parsed) ? JwtStatus[parsed.status] : 'OK';
}

test('malformed tokens fail with jwt_verify_lib\'s message for each part', () => {
  assert.equal(statusOf('deadbeef'), 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections');
  assert.equal(statusOf('a..c'), 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections');
  assert.equal(statusOf('a*b.c.d'), 'Jwt header is an invalid Base64url encoded');
  assert.equal(statusOf(`${enc('not json')}.e30.c2ln`), 'Jwt header is an invalid JSON');
  assert.equal(statusOf(token({ typ: 'JWT' }, {})), 'Jwt header [alg] field is required and must be a string');
  assert.equal(statusOf(token({ alg: 'none' }, {})), 'Jwt header [alg] is not supported');
  assert.equal(statusOf(token({ alg: 'RS256', kid: 7 }, {})), 'Jwt header [kid] field is not a string');
  assert.equal(statusOf(token({ alg: 'RS256' }, [1])), 'Jwt payload is an invalid JSON');
  assert.equal(statusOf(token({ alg: 'RS256' }, { iss: 1 })), 'Jwt payload [iss] field is not a string');
  assert.equal(statusOf(token({ alg: 'RS256' }, { exp: 'soon' })), 'Jwt payload [exp] field is not an integer');
  assert.equal(statusOf(token({ alg: 'RS256' }, { nbf: -5 })), 'Jwt payload [nbf] field is not a positive 64 bit integer');
  assert.equal(statusOf(token({ alg: 'RS256' }, { aud: [1] })), 'Jwt payload [aud] field is not a string or string list');
  assert.equal(statusOf(`${enc({ alg: 'RS256' })}.${enc({})}.s!g`), 'Jwt signature is an invalid Base64url encoded');
  assert.equal(statusOf(token({ alg: 'ES256', kid: 'k' }, { iss: 'i', sub: 's', aud: 'a', exp: 10 })), 'OK');
});

test('exp and nbf get 60 s of skew, and a token without exp does not expire', () => {
  const jwt = (claims: Record<string, unknown>) => parseJwt(token({ alg: 'RS256' }, claims)) as ParsedJwt;
  const now = 1_000_000;
  assert.equal(checkTime(jwt({ exp: now - 60 }), now), undefined);
  assert.equal(checkTime(jwt({ exp: now - 61 }), now)?.status, 'JwtExpired');
  assert.equal(checkTime(jwt({ nbf: now + 60 }), now), undefined);
  assert.equal(checkTime(jwt({ nbf: now + 61 }), now)?.status, 'JwtNotYetValid');
  assert.equal(checkTime(jwt({}), now), undefined);
});

test('audiences compare without scheme and trailing slash; none configured accepts any', () => {
  const jwt = parseJwt(token({ alg: 'RS256' }, { aud: ['http://api.example.com/', 'other'] })) as ParsedJwt;
  assert.equal(checkAudience(jwt, ['https://api.example.com']), undefined);
  assert.equal(checkAudience(jwt, ['api.example.com']), undefined);
  assert.equal(checkAudience(jwt, ['api.example.org'])?.status, 'JwtAudienceNotAllowed');
  assert.equal(checkAudience(jwt, []), undefined);
  assert.equal(checkAudience(parseJwt(token({ alg: 'RS256' }, {})) as ParsedJwt, ['x'])?.status, 'JwtAudienceNotAllowed');
});
