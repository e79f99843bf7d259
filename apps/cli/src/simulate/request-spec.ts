// The request `skiff simulate` is asked about, read from the command line the way the sidecar
// reads an absolute-form request ("GET http://reviews:9080/x"): the authority is taken as
// written (lower-cased, port kept), the port defaults to 80, and the path keeps its query.
import { UsageError } from '../usage-error.js';

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
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function parseSimulatedRequest(method: string, url: string, headerArgs: readonly string[]): SimulatedRequest {
  if (!TOKEN.test(method)) throw new UsageError(`"${method}" is not an HTTP method; give one like GET or POST before the URL`);
  const match = /^(https?):\/\/([^/?#]*)(.*)$/i.exec(url);
  if (!match) throw new UsageError(`"${url}" is not an absolute http:// URL; write it as the app would call it, e.g. http://reviews:9080/reviews/1`);
  const [, scheme = 'http', rawAuthority = '', rest = ''] = match;
  try {
    new URL(url);
  } catch {
    throw new UsageError(`"${url}" is not a valid URL; check the host and port`);
  }
  if (rawAuthority === '' || rawAuthority.includes('@')) throw new UsageError(`"${url}" needs a host (and no user:password@), e.g. http://reviews:9080/`);
  const authority = rawAuthority.toLowerCase();
  const port = portOf(authority, url);
  const path = rest.startsWith('/') ? stripFragment(rest) : `/${stripFragment(rest)}`;
  return { method: method.toUpperCase(), url, scheme: scheme.toLowerCase(), authority, port, path, headers: parseHeaders(headerArgs) };
}

function portOf(authority: string, url: string): number {
  const colon = authority.lastIndexOf(':');
  if (colon < 0 || colon < authority.lastIndexOf(']')) return 80;
  const port = Number(authority.slice(colon + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`bad port in "${url}": give a number 1-65535`);
  return port;
}

/** A fragment never reaches the proxy. */
function stripFragment(path: string): string {
  const hash = path.indexOf('#');
  return hash < 0 ? path : path.slice(0, hash);
}

/** `-H 'name: value'` arguments, as curl takes them. */
export function parseHeaders(args: readonly string[]): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const arg of args) {
    const colon = arg.indexOf(':');
    const name = colon < 0 ? '' : arg.slice(0, colon).trim().toLowerCase();
    if (colon <= 0 || !TOKEN.test(name)) throw new UsageError(`bad header "${arg}": write it as -H 'name: value', e.g. -H 'end-user: jason'`);
    const value = arg.slice(colon + 1).trim();
    const previous = headers[name];
    headers[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return headers;
}
