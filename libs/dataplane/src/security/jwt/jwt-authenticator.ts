// Request authentication with JWTs: Istio's RequestAuthentication, enforced the way Istio has
// Envoy's jwt_authn filter enforce it. Istio turns N jwtRules into the requirement
//   any( rule1, ..., ruleN, all( any(rule1, missing), ..., any(ruleN, missing) ) )
// which means:
//   - no token at any rule's locations        -> let through ('none'; AuthorizationPolicy decides),
//   - some rule verifies every token found at its locations -> 'ok' (that rule's outputs apply),
//   - otherwise                                -> refused, with the failure of the first rule
//     (in rule order) that found a token.
// A rule fails a token whose `iss` is not its issuer ("Jwt issuer is not configured"), so a token
// from an issuer no rule names is refused, and a bad token is never rescued by another rule.
import { InlineJwks, isKeySet, RemoteJwks, type JwksSource } from './jwks-source.js';
import { claimHeaderValue, claimValue } from './claim-headers.js';
import type { JwtRule } from './jwt-rule.js';
import { verifySignature } from './jwt-signature.js';
import { fail, httpStatusFor, JwtStatus, type JwtFailure, type JwtFailureMessage } from './jwt-status.js';
import { checkAudience, checkTime, isJwtFailure, parseJwt, JWT_CLOCK_SKEW_S, type ParsedJwt } from './jwt-token.js';
import { extractTokens, locationsOf, type ExtractedToken, type RequestView, type TokenLocation } from './token-extractor.js';

export type { RequestView } from './token-extractor.js';

export interface JwtAuthenticatorOptions {
  /** Timeout of one JWKS fetch (default 5000 ms, what Istio gives Envoy). */
  fetchTimeoutMs?: number;
  /** How long a fetched JWKS is used before it is fetched again (default 300000 ms, Istio's 5 minutes). */
  cacheMaxAgeMs?: number;
  /** Least time between fetches caused by a token whose kid the cached set lacks (default 30000 ms). */
  refetchCooldownMs?: number;
  /** Wall clock in ms (default Date.now); tests pass a fixed clock. */
  now?: () => number;
  /**
   * Remote key sets by URI, shared between authenticators: pass the same Map to the authenticator
   * built for each new snapshot so that a config push does not refetch every JWKS.
   */
  remoteJwks?: Map<string, JwksSource>;
}

export type AuthResult =
  /** No token anywhere a rule looks: the request goes on unauthenticated. */
  | { kind: 'none'; removeHeaders: string[] }
  | {
      kind: 'ok';
      /** Istio's request principal, `<iss>/<sub>` (what AuthorizationPolicy requestPrincipals match). */
      principal: string;
      issuer: string;
      claims: Record<string, unknown>;
      audiences: string[];
      /** The `azp` claim (Istio's request.auth.presenter). */
      presenter?: string;
      /** Remove these request headers first (the token unless forwarded, and spoofable output headers)... */
      removeHeaders: string[];
      /** ...then set these. */
      addHeaders: Record<string, string>;
      /** Query parameters that carried a token that is not forwarded; see withoutQueryParams(). */
      removeQueryParams: string[];
    }
  | { kind: 'invalid'; status: 401 | 403; body: JwtFailureMessage; reason: string };

interface CompiledRule {
  rule: JwtRule;
  locations: TokenLocation[];
  keys: JwksSource;
}

interface VerifiedToken {
  extracted: ExtractedToken;
  jwt: ParsedJwt;
}

const DEFAULTS = { fetchTimeoutMs: 5_000, cacheMaxAgeMs: 300_000, refetchCooldownMs: 30_000 };

function keySourceFor(rule: JwtRule, options: Required<JwtAuthenticatorOptions>): JwksSource {
  if (rule.jwks) return new InlineJwks(rule.jwks, rule.issuer);
  const key = rule.jwksUri ?? `openid-discovery:${rule.issuer}`;
  let source = options.remoteJwks.get(key);
  if (!source) {
    const remote = { timeoutMs: options.fetchTimeoutMs, cacheMaxAgeMs: options.cacheMaxAgeMs, cooldownMs: options.refetchCooldownMs, now: options.now };
    source = new RemoteJwks(rule.jwksUri ? { jwksUri: rule.jwksUri } : { discoverFrom: rule.issuer }, remote);
    options.remoteJwks.set(key, source);
  }
  return source;
}

export class JwtAuthenticator {
  private readonly rules: CompiledRule[];
  private readonly now: () => number;
  /** Output headers of every rule: removed from every request so that a client cannot forge them. */
  private readonly outputHeaders: string[];

  constructor(rules: readonly JwtRule[], options: JwtAuthenticatorOptions = {}) {
    const resolved: Required<JwtAuthenticatorOptions> = {
      fetchTimeoutMs: options.fetchTimeoutMs ?? DEFAULTS.fetchTimeoutMs,
      cacheMaxAgeMs: options.cacheMaxAgeMs ?? DEFAULTS.cacheMaxAgeMs,
      refetchCooldownMs: options.refetchCooldownMs ?? DEFAULTS.refetchCooldownMs,
      now: options.now ?? Date.now,
      remoteJwks: options.remoteJwks ?? new Map(),
    };
    this.now = resolved.now;
    // istiod sorts the jwtRules of all RequestAuthentications by issuer; the order decides which
    // failure is reported and which rule's outputs apply when two rules accept the same token.
    const sorted = [...rules].sort((a, b) => (a.issuer < b.issuer ? -1 : a.issuer > b.issuer ? 1 : 0));
    this.rules = sorted.map((rule) => ({ rule, locations: locationsOf(rule), keys: keySourceFor(rule, resolved) }));
    const outputs = new Set<string>();
    for (const { rule } of this.rules) {
      if (rule.outputPayloadToHeader) outputs.add(rule.outputPayloadToHeader.toLowerCase());
      for (const { header } of rule.outputClaimToHeaders ?? []) outputs.add(header.toLowerCase());
    }
    this.outputHeaders = [...outputs];
  }

  /** True when there is at least one rule (with none, every request is 'none'). */
  get active(): boolean {
    return this.rules.length > 0;
  }

  async authenticate(req: RequestView): Promise<AuthResult> {
    // Istio sets bypass_cors_preflight: a CORS preflight carries no credentials, so it is not checked.
    if (isCorsPreflight(req)) return { kind: 'none', removeHeaders: [...this.outputHeaders] };
    let firstFailure: JwtFailure | undefined;
    for (const compiled of this.rules) {
      const tokens = extractTokens(compiled.locations, req);
      if (tokens.length === 0) continue;
      const verified = await this.verifyAll(compiled, tokens);
      if (!Array.isArray(verified)) {
        firstFailure ??= verified;
        continue;
      }
      return this.success(compiled.rule, verified);
    }
    if (!firstFailure) return { kind: 'none', removeHeaders: [...this.outputHeaders] };
    return { kind: 'invalid', status: httpStatusFor(firstFailure.status), body: JwtStatus[firstFailure.status], reason: firstFailure.reason };
  }

  /** Every token at a rule's locations must verify (Envoy: a good token must not carry a bad one along). */
  private async verifyAll(compiled: CompiledRule, tokens: ExtractedToken[]): Promise<VerifiedToken[] | JwtFailure> {
    const verified: VerifiedToken[] = [];
    // Envoy takes the tokens from the back of the list; the order only decides which failure is reported.
    for (const extracted of [...tokens].reverse()) {
      const jwt = await this.verifyOne(compiled, extracted);
      if (isJwtFailure(jwt)) return { status: jwt.status, reason: `${jwt.reason} (token in ${describeLocation(extracted.location)})` };
      verified.push({ extracted, jwt });
    }
    return verified;
  }

  private async verifyOne({ rule, keys }: CompiledRule, extracted: ExtractedToken): Promise<ParsedJwt | JwtFailure> {
    const jwt = parseJwt(extracted.token);
    if (isJwtFailure(jwt)) return jwt;
    if (rule.issuer && jwt.iss !== rule.issuer) {
      return fail('JwtUnknownIssuer', `the token's iss ${jwt.iss ? `"${jwt.iss}"` : '(none)'} is not "${rule.issuer}", the issuer of the rule reading this location; add a jwtRule for it or send the token where its rule looks`);
    }
    const timeFailure = checkTime(jwt, Math.floor(this.now() / 1000), JWT_CLOCK_SKEW_S);
    if (timeFailure) return timeFailure;
    const audienceFailure = checkAudience(jwt, rule.audiences);
    if (audienceFailure) return audienceFailure;

    const set = await keys.keys();
    if (!isKeySet(set)) return set;
    const signatureFailure = await verifySignature(jwt, set);
    if (signatureFailure?.status !== 'JwksKidAlgMismatch') return signatureFailure ?? jwt;
    // The issuer may have rotated its keys since the set was fetched: fetch again, within limits.
    const fresher = await keys.refresh();
    if (!isKeySet(fresher)) return signatureFailure;
    return (await verifySignature(jwt, fresher)) ?? jwt;
  }

  private success(rule: JwtRule, verified: VerifiedToken[]): AuthResult {
    const removeHeaders = new Set(this.outputHeaders);
    const removeQueryParams = new Set<string>();
    const addHeaders: Record<string, string> = {};
    // Envoy stores each token's payload under its issuer, so the last one verified is what is seen.
    let last = verified[0]?.jwt;
    for (const { extracted, jwt } of verified) {
      last = jwt;
      if (rule.outputPayloadToHeader) addHeaders[rule.outputPayloadToHeader.toLowerCase()] = jwt.payloadBase64url;
      for (const { header, claim } of rule.outputClaimToHeaders ?? []) {
        const value = claimHeaderValue(claimValue(jwt.payload, claim));
        if (value !== undefined) addHeaders[header.toLowerCase()] = value;
      }
      if (!rule.forwardOriginalToken) {
        // Envoy removes the whole header and the query parameter; it leaves cookies alone.
        if (extracted.location.kind === 'header') removeHeaders.add(extracted.location.name);
        if (extracted.location.kind === 'param') removeQueryParams.add(extracted.location.name);
      }
    }
    if (!last) throw new Error('JwtAuthenticator: a rule succeeded without a verified token; this is a bug');
    const jwt = last;
    const azp = jwt.payload.azp;
    return {
      kind: 'ok',
      principal: `${jwt.iss}/${jwt.sub}`,
      issuer: jwt.iss,
      claims: jwt.payload,
      audiences: jwt.audiences,
      ...(typeof azp === 'string' ? { presenter: azp } : {}),
      removeHeaders: [...removeHeaders],
      addHeaders,
      removeQueryParams: [...removeQueryParams],
    };
  }
}

function isCorsPreflight(req: RequestView): boolean {
  return req.method?.toUpperCase() === 'OPTIONS' && Boolean(req.headers.origin) && Boolean(req.headers['access-control-request-method']);
}

function describeLocation(location: TokenLocation): string {
  if (location.kind === 'header') return `header "${location.name}"${location.prefix ? ` after "${location.prefix}"` : ''}`;
  return `${location.kind === 'param' ? 'query parameter' : 'cookie'} "${location.name}"`;
}

/**
 * The WWW-Authenticate value Envoy sends with a refusal: `Bearer realm="<uri>", error="invalid_token"`,
 * where the realm is scheme://host/path of the request (no query), cut to 256 characters.
 */
export function bearerChallenge(request: { scheme: string; host: string; path: string }): string {
  const q = request.path.search(/[?#]/);
  const realm = `${request.scheme}://${request.host}${q < 0 ? request.path : request.path.slice(0, q)}`.slice(0, 256);
  return `Bearer realm="${realm}", error="invalid_token"`;
}
