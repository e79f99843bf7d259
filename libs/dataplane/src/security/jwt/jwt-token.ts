// Parses a compact JWT the way jwt_verify_lib does (same checks, same order, same failures),
// without checking the signature: the authenticator needs `iss` to pick a rule before it can
// know which keys to verify with.
import { fail, type JwtFailure } from './jwt-status.js';

/** The algorithms jwt_verify_lib implements; anything else (including "none") is refused. */
const IMPLEMENTED_ALGS = new Set(['ES256', 'ES384', 'ES512', 'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA']);

export interface ParsedJwt {
  /** The token as received. */
  token: string;
  header: Record<string, unknown>;
  alg: string;
  kid?: string;
  payload: Record<string, unknown>;
  /** The payload segment exactly as in the token (what outputPayloadToHeader forwards). */
  payloadBase64url: string;
  iss: string;
  sub: string;
  audiences: string[];
  nbf: number;
  exp: number;
}

const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

function decodeSegment(segment: string): string | undefined {
  if (!BASE64URL.test(segment)) return undefined;
  return Buffer.from(segment, 'base64url').toString('utf8');
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

type TimeClaim = 'iat' | 'nbf' | 'exp';

/** Reads an optional integer time claim; 0 when absent, as in jwt_verify_lib. */
function timeClaim(payload: Record<string, unknown>, name: TimeClaim): number | JwtFailure {
  const value = payload[name];
  if (value === undefined) return 0;
  const upper = ({ iat: 'Iat', nbf: 'Nbf', exp: 'Exp' } as const)[name];
  if (typeof value !== 'number') return fail(`JwtPayloadParseError${upper}NotInteger`, `claim "${name}" is ${JSON.stringify(value)}, not a number of seconds`);
  if (!Number.isFinite(value) || value < 0 || value > 2 ** 63) return fail(`JwtPayloadParseError${upper}OutOfRange`, `claim "${name}" is ${value}, outside 0..2^63`);
  return Math.floor(value);
}

function isFailure(value: unknown): value is JwtFailure {
  return typeof value === 'object' && value !== null && 'status' in value && 'reason' in value;
}

export function parseJwt(token: string): ParsedJwt | JwtFailure {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((part) => part.length === 0)) {
    return fail('JwtBadFormat', `the token has ${parts.length} dot-separated sections (or an empty one); a JWT has header.payload.signature`);
  }
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];

  const headerText = decodeSegment(headerPart);
  if (headerText === undefined) return fail('JwtHeaderParseErrorBadBase64', 'the header section is not base64url');
  const header = parseObject(headerText);
  if (!header) return fail('JwtHeaderParseErrorBadJson', 'the header section is not a JSON object');
  if (typeof header.alg !== 'string') return fail('JwtHeaderBadAlg', 'the header has no string "alg"');
  if (!IMPLEMENTED_ALGS.has(header.alg)) return fail('JwtHeaderNotImplementedAlg', `header alg "${header.alg}" is not one of ${[...IMPLEMENTED_ALGS].join(', ')}`);
  if (header.kid !== undefined && typeof header.kid !== 'string') return fail('JwtHeaderBadKid', 'header "kid" is not a string');

  const payloadText = decodeSegment(payloadPart);
  if (payloadText === undefined) return fail('JwtPayloadParseErrorBadBase64', 'the payload section is not base64url');
  const payload = parseObject(payloadText);
  if (!payload) return fail('JwtPayloadParseErrorBadJson', 'the payload section is not a JSON object');
  if (payload.iss !== undefined && typeof payload.iss !== 'string') return fail('JwtPayloadParseErrorIssNotString', 'claim "iss" is not a string');
  if (payload.sub !== undefined && typeof payload.sub !== 'string') return fail('JwtPayloadParseErrorSubNotString', 'claim "sub" is not a string');
  const iat = timeClaim(payload, 'iat');
  if (isFailure(iat)) return iat;
  const nbf = timeClaim(payload, 'nbf');
  if (isFailure(nbf)) return nbf;
  const exp = timeClaim(payload, 'exp');
  if (isFailure(exp)) return exp;
  if (payload.jti !== undefined && typeof payload.jti !== 'string') return fail('JwtPayloadParseErrorJtiNotString', 'claim "jti" is not a string');
  const aud = payload.aud;
  let audiences: string[];
  if (aud === undefined) audiences = [];
  else if (typeof aud === 'string') audiences = [aud];
  else if (Array.isArray(aud) && aud.every((a) => typeof a === 'string')) audiences = aud as string[];
  else return fail('JwtPayloadParseErrorAudNotString', 'claim "aud" is neither a string nor a list of strings');

  if (!BASE64URL.test(signaturePart)) return fail('JwtSignatureParseErrorBadBase64', 'the signature section is not base64url');

  return {
    token,
    header,
    alg: header.alg,
    kid: header.kid as string | undefined,
    payload,
    payloadBase64url: payloadPart,
    iss: (payload.iss as string | undefined) ?? '',
    sub: (payload.sub as string | undefined) ?? '',
    audiences,
    nbf,
    exp,
  };
}

export function isJwtFailure(value: ParsedJwt | JwtFailure): value is JwtFailure {
  return isFailure(value) && !('token' in value);
}

/** Envoy's default clock skew for exp/nbf (JwtProvider.clock_skew_seconds; Istio does not set it). */
export const JWT_CLOCK_SKEW_S = 60;

/** exp and nbf with Envoy's tolerance: nbf may be up to skew ahead, exp up to skew behind. */
export function checkTime(jwt: ParsedJwt, nowS: number, skewS = JWT_CLOCK_SKEW_S): JwtFailure | undefined {
  if (jwt.nbf > nowS + skewS) return fail('JwtNotYetValid', `nbf ${jwt.nbf} is ${jwt.nbf - nowS} s in the future (${skewS} s of clock skew allowed)`);
  if (jwt.exp && jwt.exp < nowS - skewS) return fail('JwtExpired', `exp ${jwt.exp} is ${nowS - jwt.exp} s in the past (${skewS} s of clock skew allowed)`);
  return undefined;
}

/** jwt_verify_lib compares audiences without their http(s):// scheme and one trailing slash. */
function sanitizeAudience(aud: string): string {
  let value = aud;
  if (value.startsWith('https://')) value = value.slice('https://'.length);
  else if (value.startsWith('http://')) value = value.slice('http://'.length);
  if (value.endsWith('/')) value = value.slice(0, -1);
  return value;
}

/** Istio: no audiences configured means any audience (or none) is accepted. */
export function checkAudience(jwt: ParsedJwt, allowed: readonly string[] | undefined): JwtFailure | undefined {
  if (!allowed || allowed.length === 0) return undefined;
  const accepted = new Set(allowed.map(sanitizeAudience));
  if (jwt.audiences.some((aud) => accepted.has(sanitizeAudience(aud)))) return undefined;
  return fail('JwtAudienceNotAllowed', `token audiences [${jwt.audiences.join(', ')}] include none of [${allowed.join(', ')}]`);
}
