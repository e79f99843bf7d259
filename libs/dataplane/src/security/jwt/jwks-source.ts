// Where a rule's public keys come from: inline (`jwks`), fetched from `jwksUri`, or, when neither
// is given, found through the issuer's OpenID discovery document (what istiod does). Remote sets
// are cached (Istio configures Envoy with 5 minutes), fetched once for any number of concurrent
// requests, and fetched again early when a token names a key the cached set lacks (a rotated
// key), at most once per cooldown so that bad tokens cannot turn into a flood of fetches.
import type { JWK } from 'jose';
import { fail, type JwtFailure } from './jwt-status.js';

export interface KeySet {
  keys: JWK[];
}

export interface JwksSource {
  /** The keys to verify with now, fetching them if there are none or they are stale. */
  keys(): Promise<KeySet | JwtFailure>;
  /** A fresher set after a key was not found, or undefined when a fetch is not allowed yet. */
  refresh(): Promise<KeySet | JwtFailure | undefined>;
}

export function isKeySet(value: KeySet | JwtFailure | undefined): value is KeySet {
  return value !== undefined && 'keys' in value;
}

const REQUIRED_FIELDS: Record<string, string[]> = { RSA: ['n', 'e'], EC: ['crv', 'x', 'y'], oct: ['k'], OKP: ['crv', 'x'] };

/** Envoy's JWKS checks: a JSON object with a `keys` array holding at least one usable key. */
export function parseJwks(json: unknown, where: string): KeySet | JwtFailure {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (error) {
      return fail('JwksParseError', `${where} is not JSON: ${(error as Error).message}`);
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail('JwksParseError', `${where} is not a JSON object`);
  const keys = (value as { keys?: unknown }).keys;
  if (keys === undefined) return fail('JwksNoKeys', `${where} has no "keys" field`);
  if (!Array.isArray(keys)) return fail('JwksBadKeys', `${where}: "keys" is not an array`);
  const usable = keys.filter((key): key is JWK => {
    if (key === null || typeof key !== 'object') return false;
    const required = REQUIRED_FIELDS[(key as JWK).kty ?? ''];
    return required !== undefined && required.every((field) => typeof (key as Record<string, unknown>)[field] === 'string');
  });
  if (usable.length === 0) return fail('JwksNoValidKeys', `${where} has no usable public key (${keys.length} entries, none an RSA, EC, oct or OKP key with its fields)`);
  return { keys: usable };
}

export class InlineJwks implements JwksSource {
  private readonly parsed: KeySet | JwtFailure;

  constructor(jwks: string, issuer: string) {
    const parsed = parseJwks(jwks, `the inline jwks of the rule for issuer "${issuer}"`);
    // Envoy drops a local JWKS it cannot parse, so tokens for that issuer then fail with
    // "Jwks doesn't have any valid public key"; the reason keeps the parse error for the logs.
    this.parsed = isKeySet(parsed) ? parsed : fail('JwksNoValidKeys', parsed.reason);
  }

  async keys(): Promise<KeySet | JwtFailure> {
    return this.parsed;
  }

  async refresh(): Promise<undefined> {
    return undefined;
  }
}

export interface RemoteJwksOptions {
  /** Per fetch (Istio gives Envoy 5 s). */
  timeoutMs: number;
  /** How long a fetched set is used before it is fetched again (Istio: 5 minutes). */
  cacheMaxAgeMs: number;
  /** Least time between two fetches triggered by unknown keys. */
  cooldownMs: number;
  /** Wall clock in ms; injectable for tests. */
  now: () => number;
}

async function fetchJson(url: string, timeoutMs: number): Promise<unknown> {
  const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json, application/jwk-set+json' } });
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`HTTP ${response.status}`);
  }
  return response.json();
}

function describe(error: unknown, timeoutMs: number): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  return e.cause?.code ?? e.cause?.message ?? e.message;
}

export class RemoteJwks implements JwksSource {
  /** How many fetches of the key set were started; for stats and tests. */
  fetches = 0;
  private cached?: { set: KeySet; at: number };
  private lastFetchAt = Number.NEGATIVE_INFINITY;
  private pending?: Promise<KeySet | JwtFailure>;
  private jwksUri?: string;

  /** Give `jwksUri`, or `discoverFrom` (the issuer) to read jwks_uri from its OpenID configuration. */
  constructor(
    private readonly source: { jwksUri: string } | { discoverFrom: string },
    private readonly options: RemoteJwksOptions,
  ) {
    if ('jwksUri' in source) this.jwksUri = source.jwksUri;
  }

  async keys(): Promise<KeySet | JwtFailure> {
    if (this.cached && this.options.now() - this.cached.at < this.options.cacheMaxAgeMs) return this.cached.set;
    return this.fetchOnce();
  }

  async refresh(): Promise<KeySet | JwtFailure | undefined> {
    if (this.pending) return this.pending;
    if (this.options.now() - this.lastFetchAt < this.options.cooldownMs) return undefined;
    return this.fetchOnce();
  }

  private fetchOnce(): Promise<KeySet | JwtFailure> {
    this.pending ??= this.fetchKeys().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async resolveUri(): Promise<string> {
    if (this.jwksUri) return this.jwksUri;
    if ('jwksUri' in this.source) return this.source.jwksUri;
    const discovery = `${this.source.discoverFrom.replace(/\/$/, '')}/.well-known/openid-configuration`;
    let document: unknown;
    try {
      document = await fetchJson(discovery, this.options.timeoutMs);
    } catch (error) {
      throw new Error(`the OpenID discovery document ${discovery} could not be fetched (${describe(error, this.options.timeoutMs)})`);
    }
    const uri = (document as { jwks_uri?: unknown } | null)?.jwks_uri;
    if (typeof uri !== 'string') throw new Error(`the OpenID discovery document ${discovery} has no string "jwks_uri"`);
    this.jwksUri = uri;
    return uri;
  }

  private async fetchKeys(): Promise<KeySet | JwtFailure> {
    this.fetches++;
    this.lastFetchAt = this.options.now();
    let uri: string;
    try {
      uri = await this.resolveUri();
    } catch (error) {
      return fail('JwksFetchFail', `${(error as Error).message}; give the rule a jwksUri or jwks`);
    }
    let body: unknown;
    try {
      body = await fetchJson(uri, this.options.timeoutMs);
    } catch (error) {
      return fail('JwksFetchFail', `fetching the JWKS from ${uri} failed (${describe(error, this.options.timeoutMs)}); check that the issuer is reachable from this proxy`);
    }
    const parsed = parseJwks(body, `the JWKS from ${uri}`);
    // Envoy treats a fetched set it cannot use as a failed fetch.
    if (!isKeySet(parsed)) return fail('JwksFetchFail', parsed.reason);
    this.cached = { set: parsed, at: this.options.now() };
    return parsed;
  }
}
