// What the inbound side knows about a request when it authorizes it, and how each attribute an
// AuthorizationPolicy can name is read from it.

export interface AuthzRequest {
  /** Peer identity from the client certificate, "cluster.local/ns/default/sa/reviews" ("spiffe://" is tolerated). Absent without mTLS. */
  principal?: string;
  /** Peer namespace; derived from the principal when absent. */
  namespace?: string;
  /** The directly connected peer's address. */
  sourceIp?: string;
  method: string;
  /** The path without query (a query is stripped if present). */
  path: string;
  /** Host or :authority, possibly with a port. */
  host: string;
  /** Destination (workload) port. */
  port: number;
  /** Header names in any case. */
  headers: Record<string, string | string[] | undefined>;
  /** "<iss>/<sub>" of a validated JWT; derived from claims when absent. */
  requestPrincipal?: string;
  /** Claims of the validated JWT. */
  claims?: Record<string, unknown>;
  /** Audiences of the validated JWT; derived from claims.aud when absent. */
  audiences?: string[];
}

/** The request's attributes, each read at most once per evaluation. */
export interface RequestAttributes {
  principal: string | undefined;
  namespace: string | undefined;
  sourceIp: string | undefined;
  method: string;
  path: string;
  host: string;
  /** The host without ":port" (Istio matches hosts with and without the port). */
  hostWithoutPort: string;
  port: string;
  header(name: string): string[] | undefined;
  requestPrincipal: string | undefined;
  audiences: string[];
  presenter: string | undefined;
  claim(path: readonly string[]): string[] | undefined;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

function namespaceOf(principal: string | undefined): string | undefined {
  const m = principal === undefined ? null : /\/ns\/([^/]+)\/sa\//.exec(principal);
  return m ? m[1] : undefined;
}

function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end >= 0 ? host.slice(0, end + 1) : host;
  }
  const colon = host.lastIndexOf(':');
  return colon >= 0 && host.indexOf(':') === colon && /^\d+$/.test(host.slice(colon + 1)) ? host.slice(0, colon) : host;
}

/** A claim's string values: a string claim is one value, a list claim its string elements. */
function claimStrings(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return undefined;
}

export function readAttributes(req: AuthzRequest): RequestAttributes {
  let principal = nonEmpty(req.principal);
  if (principal?.startsWith('spiffe://')) principal = principal.slice('spiffe://'.length);
  const claims = req.claims ?? {};
  const iss = typeof claims['iss'] === 'string' ? claims['iss'] : undefined;
  const sub = typeof claims['sub'] === 'string' ? claims['sub'] : undefined;
  const query = req.path.indexOf('?');
  let lowerHeaders: Map<string, string[]> | undefined;
  return {
    principal,
    namespace: nonEmpty(req.namespace) ?? namespaceOf(principal),
    sourceIp: nonEmpty(req.sourceIp),
    method: req.method,
    path: query >= 0 ? req.path.slice(0, query) : req.path,
    host: req.host,
    hostWithoutPort: stripPort(req.host),
    port: String(req.port),
    header(name) {
      if (!lowerHeaders) {
        lowerHeaders = new Map();
        for (const [k, v] of Object.entries(req.headers)) {
          if (v === undefined) continue;
          const list = lowerHeaders.get(k.toLowerCase()) ?? [];
          list.push(...(Array.isArray(v) ? v : [v]));
          lowerHeaders.set(k.toLowerCase(), list);
        }
      }
      return lowerHeaders.get(name.toLowerCase());
    },
    requestPrincipal: nonEmpty(req.requestPrincipal) ?? (iss !== undefined && sub !== undefined ? `${iss}/${sub}` : undefined),
    audiences: req.audiences ?? claimStrings(claims['aud']) ?? [],
    presenter: typeof claims['azp'] === 'string' ? claims['azp'] : undefined,
    claim(path) {
      let node: unknown = claims;
      for (const key of path) {
        if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
        node = (node as Record<string, unknown>)[key];
      }
      return claimStrings(node);
    },
  };
}
