// A request as a sidecar reads an absolute-form request line ("GET http://reviews:9080/x"): the
// authority as written (lower-cased, port kept), the port 80 when none is given, the path with
// its query. `skiff simulate` and `skiff test` both ask about requests in this form.

export interface SimulatedRequest {
  method: string;
  url: string;
  scheme: string;
  /** e.g. "reviews:9080": what the proxy matches virtual host domains against. */
  authority: string;
  /** The port the request is addressed to; picks the sidecar's route config. */
  port: number;
  /** Path with query string, e.g. "/reviews/1?x=1". */
  path: string;
  /** Lower-case names; a repeated header has several values, joined with "," when matched. */
  headers: Record<string, string | string[]>;
}

// RFC 9110 token characters, for methods and header names.
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Throws an Error that says what to write instead. */
export function parseRequest(method: string, url: string, headers: Record<string, string | string[]> = {}): SimulatedRequest {
  if (!TOKEN.test(method)) throw new Error(`"${method}" is not an HTTP method; give one like GET or POST before the URL`);
  const match = /^(https?):\/\/([^/?#]*)(.*)$/i.exec(url);
  if (!match) throw new Error(`"${url}" is not an absolute http:// URL; write it as the app would call it, e.g. http://reviews:9080/reviews/1`);
  const [, scheme = 'http', rawAuthority = '', rest = ''] = match;
  try {
    new URL(url);
  } catch {
    throw new Error(`"${url}" is not a valid URL; check the host and port`);
  }
  if (rawAuthority === '' || rawAuthority.includes('@')) throw new Error(`"${url}" needs a host (and no user:password@), e.g. http://reviews:9080/`);
  const authority = rawAuthority.toLowerCase();
  const port = portOf(authority, url);
  const path = rest.startsWith('/') ? stripFragment(rest) : `/${stripFragment(rest)}`;
  const lower: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) lower[name.toLowerCase()] = value;
  return { method: method.toUpperCase(), url, scheme: scheme.toLowerCase(), authority, port, path, headers: lower };
}

function portOf(authority: string, url: string): number {
  const colon = authority.lastIndexOf(':');
  if (colon < 0 || colon < authority.lastIndexOf(']')) return 80;
  const port = Number(authority.slice(colon + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`bad port in "${url}": give a number 1-65535`);
  return port;
}

/** A fragment never reaches the proxy. */
function stripFragment(path: string): string {
  const hash = path.indexOf('#');
  return hash < 0 ? path : path.slice(0, hash);
}
