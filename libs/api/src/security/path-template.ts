// AuthorizationPolicy path templates (Istio 1.22+, Envoy's URI templates): "{*}" matches one
// path segment, "{**}" one or more, and no operator may follow "{**}". A path without either
// operator is a plain Istio string match (exact, "prefix*", "*suffix" or "*").
import { RE2JS } from 're2js';

export const PATH_MATCH_ONE_SEGMENT = '{*}';
export const PATH_MATCH_SEGMENTS = '{**}';

// RFC 3986 pchar, which literal segments of a template must be made of (Istio checks the same).
const LITERAL = /^[a-zA-Z0-9\-._~%!$&'()+,;:@=]+$/;

export function isPathTemplate(path: string): boolean {
  return path.includes(PATH_MATCH_ONE_SEGMENT) || path.includes(PATH_MATCH_SEGMENTS);
}

/** Why `path` is not a usable path (template), or undefined. */
export function pathTemplateProblem(path: string): string | undefined {
  const template = isPathTemplate(path);
  let sawMatchAny = false;
  for (const segment of path.replace(/^\/+|\/+$/g, '').split('/')) {
    if (segment === PATH_MATCH_ONE_SEGMENT || segment === PATH_MATCH_SEGMENTS) {
      if (sawMatchAny) return `invalid path template ${JSON.stringify(path)}: no operator may follow {**}`;
      if (segment === PATH_MATCH_SEGMENTS) sawMatchAny = true;
      continue;
    }
    if (/[{}]/.test(segment)) return `invalid path template ${JSON.stringify(path)}: "{" and "}" may only appear as a whole segment {*} or {**}`;
    if (template && segment !== '' && !LITERAL.test(segment)) return `invalid path template ${JSON.stringify(path)}: segment ${JSON.stringify(segment)} has characters not allowed in a path`;
  }
  return undefined;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The template as a test of the whole path (without query). It runs on RE2 like every pattern
 * that meets request data (see regex.ts), so no path can make it backtrack.
 */
export function compilePathTemplate(path: string): { test(path: string): boolean } {
  const parts = path.split('/').map((segment) => {
    if (segment === PATH_MATCH_ONE_SEGMENT) return '[^/]+';
    if (segment === PATH_MATCH_SEGMENTS) return '[^/]+(?:/[^/]+)*';
    return escapeRegex(segment);
  });
  const re = RE2JS.compile(parts.join('/'));
  return { test: (value) => re.matches(value) };
}
