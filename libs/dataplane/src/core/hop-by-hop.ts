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

export const isHopByHop = (name: string): boolean => HOP_BY_HOP.has(name);

/**
 * `Expect: 100-continue` is answered by the proxy itself (node:http's server sends the 100 before
 * the request reaches a handler) and not passed on, as Envoy does unless `proxy_100_continue` is
 * set (envoy/api/envoy/extensions/filters/network/http_connection_manager/v3/
 * http_connection_manager.proto). Passed on, undici refuses the request outright.
 */
export const isContinueExpectation = (name: string, value: string | string[]) => name === 'expect' && typeof value === 'string' && value.trim().toLowerCase() === '100-continue';

/** Copies node's incoming headers without hop-by-hop ones (including those named in Connection). */
export function forwardableHeaders(headers: Record<string, string | string[] | undefined>): HeaderMap {
  const connection = headers['connection'];
  const named = typeof connection === 'string' && connection.length > 0 ? connection.toLowerCase().split(',').map((h) => h.trim()) : [];
  const out: HeaderMap = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || isContinueExpectation(name, value)) continue;
    if (named.length > 0 && named.includes(name)) continue;
    out[name] = value;
  }
  return out;
}
