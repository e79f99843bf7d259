// Finds JWTs in a request the way Envoy's jwt_authn extractor does: in the rule's headers (after
// a prefix such as "Bearer "), query parameters and cookies, or by default in
// `Authorization: Bearer <token>` and `?access_token=<token>`.
import { DEFAULT_TOKEN_HEADER, DEFAULT_TOKEN_PARAM, type JwtRule } from './jwt-rule.js';

export type TokenLocation =
  | { kind: 'header'; name: string; prefix: string }
  | { kind: 'param'; name: string }
  | { kind: 'cookie'; name: string };

export interface ExtractedToken {
  token: string;
  location: TokenLocation;
}

export interface RequestView {
  /** Node-style headers: lower-case names, repeated headers as arrays. */
  headers: Record<string, string | string[] | undefined>;
  /** The query string, with or without its leading "?". */
  query?: string;
  /** The HTTP method; only used to let CORS preflights through unchecked, as Istio does. */
  method?: string;
}

function locationKey(location: TokenLocation): string {
  return location.kind === 'header' ? `header:${location.name}${location.prefix}` : `${location.kind}:${location.name}`;
}

/** The rule's token locations, deduplicated and in Envoy's order (headers, params, cookies; each sorted). */
export function locationsOf(rule: JwtRule): TokenLocation[] {
  const found = new Map<string, TokenLocation>();
  const add = (location: TokenLocation) => found.set(locationKey(location), location);
  for (const header of rule.fromHeaders ?? []) add({ kind: 'header', name: header.name.toLowerCase(), prefix: header.prefix ?? '' });
  for (const name of rule.fromParams ?? []) add({ kind: 'param', name });
  for (const name of rule.fromCookies ?? []) add({ kind: 'cookie', name });
  if (found.size === 0) {
    add({ kind: 'header', ...DEFAULT_TOKEN_HEADER });
    add({ kind: 'param', name: DEFAULT_TOKEN_PARAM });
  }
  const order = { header: 0, param: 1, cookie: 2 } as const;
  return [...found.entries()]
    .sort(([ka, a], [kb, b]) => order[a.kind] - order[b.kind] || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .map(([, location]) => location);
}

function headerValues(headers: RequestView['headers'], name: string): string[] {
  const value = headers[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

const TOKEN_CHAR = /[A-Za-z0-9\-_.]/;

/**
 * Envoy looks for the prefix anywhere in the value, then skips to the first base64url-or-dot
 * character after it and takes the rest; the exact JWT syntax is checked later, when parsed.
 */
function tokenAfterPrefix(value: string, prefix: string): string | undefined {
  if (prefix === '') return value;
  const at = value.indexOf(prefix);
  if (at < 0) return undefined;
  const rest = value.slice(at + prefix.length);
  const start = rest.search(TOKEN_CHAR);
  return start < 0 ? value : rest.slice(start);
}

function queryParam(query: string | undefined, name: string): string | undefined {
  if (!query) return undefined;
  return new URLSearchParams(query.startsWith('?') ? query.slice(1) : query).get(name) ?? undefined;
}

function cookie(headers: RequestView['headers'], name: string): string | undefined {
  for (const line of headerValues(headers, 'cookie')) {
    for (const pair of line.split(';')) {
      const eq = pair.indexOf('=');
      if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
      const value = pair.slice(eq + 1).trim();
      return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
    }
  }
  return undefined;
}

/** Every token present at the given locations, in location order (a header may carry several). */
export function extractTokens(locations: readonly TokenLocation[], req: RequestView): ExtractedToken[] {
  const tokens: ExtractedToken[] = [];
  for (const location of locations) {
    if (location.kind === 'header') {
      for (const value of headerValues(req.headers, location.name)) {
        const token = tokenAfterPrefix(value, location.prefix);
        if (token !== undefined) tokens.push({ token, location });
      }
    } else {
      const token = location.kind === 'param' ? queryParam(req.query, location.name) : cookie(req.headers, location.name);
      if (token !== undefined) tokens.push({ token, location });
    }
  }
  return tokens;
}

/** Removes the given query parameters from a path such as "/a?x=1&access_token=t" (for forwardOriginalToken: false). */
export function withoutQueryParams(path: string, names: readonly string[]): string {
  const q = path.indexOf('?');
  if (q < 0 || names.length === 0) return path;
  const kept = path
    .slice(q + 1)
    .split('&')
    .filter((pair) => {
      const raw = pair.split('=', 1)[0] ?? '';
      let key = raw;
      try {
        key = decodeURIComponent(raw.replace(/\+/g, ' '));
      } catch {
        // A malformed escape cannot be one of our names; keep the pair as it was.
      }
      return !names.includes(key);
    });
  return kept.length > 0 ? `${path.slice(0, q)}?${kept.join('&')}` : path.slice(0, q);
}
