// Headers that describe one connection, not the request (RFC 9110 §7.6.1). A proxy must not
// forward them; undici also refuses several of them outright.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

export type HeaderMap = Record<string, string | string[]>;

/** Copies node's incoming headers without hop-by-hop ones (including those named in Connection). */
export function forwardableHeaders(headers: Record<string, string | string[] | undefined>): HeaderMap {
  const connection = headers['connection'];
  const named = typeof connection === 'string' && connection.length > 0 ? connection.toLowerCase().split(',').map((h) => h.trim()) : [];
  const out: HeaderMap = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    if (named.length > 0 && named.includes(name)) continue;
    out[name] = value;
  }
  return out;
}
