// Per-request security on the receiving side (sidecar inbound, and the gateway for
// RequestAuthentication): JWT first, then AuthorizationPolicy on the peer's verified identity
// and the token's claims, as Envoy's jwt_authn then rbac filters do.
import type { CompiledSnapshot } from '../core/compiled-snapshot.js';
import type { LocalReply } from '../core/errors.js';
import type { HeaderMap } from '../core/hop-by-hop.js';
import { bearerChallenge, withoutQueryParams } from './jwt/index.js';

export interface SecurityVerdict {
  ok: boolean;
  /** The path to forward (query parameters carrying a token are removed). */
  path: string;
  reply?: LocalReply & { headers?: Record<string, string> };
  requestPrincipal?: string;
}

export interface Peer {
  principal: string;
  namespace: string;
}

/** What the security filters read of a request, whichever codec decoded it. */
export interface RequestFacts {
  url: string | undefined;
  method: string | undefined;
  /** The request's headers as received (lowercased names). */
  headers: Record<string, string | string[] | undefined>;
  remoteAddress: string | undefined;
}

export async function checkRequest(snapshot: CompiledSnapshot | undefined, req: RequestFacts, headers: HeaderMap, peer: Peer | undefined, port: number): Promise<SecurityVerdict> {
  let path = req.url ?? '/';
  if (!snapshot) return { ok: true, path };
  const q = path.indexOf('?');
  let auth: { principal?: string; claims?: Record<string, unknown>; audiences?: string[]; presenter?: string } = {};
  const jwt = snapshot.jwt;
  if (jwt?.active) {
    const result = await jwt.authenticate({ headers: req.headers, query: q < 0 ? undefined : path.slice(q + 1), method: req.method });
    if (result.kind === 'invalid') {
      const host = String(req.headers.host ?? '');
      return { ok: false, path, reply: { status: result.status, body: result.body, flag: 'UAEX', headers: { 'www-authenticate': bearerChallenge({ scheme: 'http', host, path }) } } };
    }
    for (const name of result.removeHeaders) delete headers[name];
    if (result.kind === 'ok') {
      for (const [name, value] of Object.entries(result.addHeaders)) headers[name] = value;
      if (result.removeQueryParams.length > 0) path = withoutQueryParams(path, result.removeQueryParams);
      auth = { principal: result.principal, claims: result.claims, audiences: result.audiences, ...(result.presenter ? { presenter: result.presenter } : {}) };
    }
  }
  const pathOnly = q < 0 ? path : path.slice(0, path.indexOf('?') < 0 ? path.length : path.indexOf('?'));
  const verdict = snapshot.authorize({
    principal: peer?.principal,
    namespace: peer?.namespace,
    sourceIp: req.remoteAddress,
    method: req.method ?? 'GET',
    path: pathOnly,
    host: String(req.headers.host ?? ''),
    port,
    headers: req.headers,
    requestPrincipal: auth.principal,
    claims: auth.claims,
    audiences: auth.audiences,
  });
  if (verdict && !verdict.allowed) return { ok: false, path, reply: { status: 403, body: 'RBAC: access denied', flag: 'RBAC' }, ...(auth.principal ? { requestPrincipal: auth.principal } : {}) };
  return { ok: true, path, ...(auth.principal ? { requestPrincipal: auth.principal } : {}) };
}
