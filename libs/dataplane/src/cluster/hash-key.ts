// The key a CONSISTENT_HASH cluster hashes for one request, as Envoy's route hash policies
// compute it: a header value, a cookie, the caller's IP or a query parameter. A request without
// the key gets undefined and the ring picks at random, except for a cookie policy with a ttl:
// then, like Envoy, the proxy makes up a cookie value, hashes that, and asks the router to send it
// back in Set-Cookie so the client's next requests stick to the same host.
import type { LoadBalancerPolicy } from './traffic-policy.js';

export interface HashRequest {
  /** Node's IncomingMessage headers: lower-case names. */
  headers: Record<string, string | string[] | undefined>;
  sourceIp?: string | undefined;
  /** The query string, with or without its leading "?". */
  query?: string | undefined;
}

export interface HashKey {
  key: string;
  /** A Set-Cookie header value to add to the response (cookie policy, cookie was missing). */
  setCookie?: string;
}

export function hashKeyFor(policy: LoadBalancerPolicy, request: HashRequest, random: () => number = Math.random): HashKey | undefined {
  if (policy.kind !== 'CONSISTENT_HASH') return undefined;
  const source = policy.key;
  if ('header' in source) {
    const value = request.headers[source.header];
    // Several values hash as one, in a stable order (Envoy sorts and joins them too).
    if (Array.isArray(value)) return value.length === 0 ? undefined : { key: [...value].sort().join(',') };
    return value === undefined ? undefined : { key: value };
  }
  if ('cookie' in source) {
    const { name, path, ttlMs } = source.cookie;
    const existing = cookieValue(request.headers['cookie'], name);
    if (existing !== undefined) return { key: existing };
    if (ttlMs === undefined) return undefined; // Istio: without a ttl no cookie is generated
    const key = randomHex(random) + randomHex(random);
    return { key, setCookie: setCookieValue(name, key, path, ttlMs) };
  }
  if ('sourceIp' in source) return request.sourceIp ? { key: request.sourceIp } : undefined;
  const value = queryParameter(request.query, source.queryParameter);
  return value === undefined ? undefined : { key: value };
}

/** The named cookie from Cookie header(s), surrounding double quotes removed; first one wins. */
export function cookieValue(header: string | string[] | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  const lines = Array.isArray(header) ? header : [header];
  for (const line of lines) {
    for (const pair of line.split(';')) {
      const eq = pair.indexOf('=');
      if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
      const value = pair.slice(eq + 1).trim();
      return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
    }
  }
  return undefined;
}

/** The first value of a query parameter, percent-decoded ("+" is a space, as in forms). */
export function queryParameter(query: string | undefined, name: string): string | undefined {
  if (!query) return undefined;
  const params = new URLSearchParams(query.startsWith('?') ? query.slice(1) : query);
  return params.get(name) ?? undefined;
}

/**
 * Envoy's generated cookie: name="value"; Max-Age=<seconds>; Path=<path>; HttpOnly. A ttl of 0
 * makes a session cookie (no Max-Age).
 */
export function setCookieValue(name: string, value: string, path: string | undefined, ttlMs: number): string {
  let cookie = `${name}="${value}"`;
  const maxAge = Math.floor(ttlMs / 1000);
  if (maxAge > 0) cookie += `; Max-Age=${maxAge}`;
  if (path) cookie += `; Path=${path}`;
  return `${cookie}; HttpOnly`;
}

// Envoy derives the value from the client's address and port; behind a sidecar every request
// comes from the local app's address, so Skiff draws it at random instead.
function randomHex(random: () => number): string {
  return Math.floor(random() * 2 ** 32)
    .toString(16)
    .padStart(8, '0');
}
