// Istio's HTTPRewrite: a prefix match has just the matched prefix replaced (as Envoy's
// prefix_rewrite); exact and regex matches, or no uri match, replace the whole path. The query
// string is kept.
import type { RouteMatch } from '@skiff/api';

export function rewritePath(path: string, uriMatch: RouteMatch['uri'] | undefined, newUri: string): string {
  const q = path.indexOf('?');
  const pathOnly = q < 0 ? path : path.slice(0, q);
  const query = q < 0 ? '' : path.slice(q);
  if (uriMatch && 'prefix' in uriMatch && pathOnly.toLowerCase().startsWith(uriMatch.prefix.toLowerCase())) {
    return newUri + pathOnly.slice(uriMatch.prefix.length) + query;
  }
  return newUri + query;
}

/** Envoy appends "-shadow" to the host of mirrored requests, before the port. */
export function shadowAuthority(authority: string): string {
  const bracket = authority.lastIndexOf(']');
  const colon = authority.lastIndexOf(':');
  if (colon > bracket) return `${authority.slice(0, colon)}-shadow${authority.slice(colon)}`;
  return `${authority}-shadow`;
}
