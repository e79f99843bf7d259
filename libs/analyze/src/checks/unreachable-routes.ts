// IST0130: http routes are tried in order and the first match wins, so a route after one that
// matches every request never gets any traffic. Usually the catch-all was meant to be last.
import type { HTTPMatchRequest, HTTPRoute } from '@skiff/api';
import type { AnalysisContext } from '../context.js';

/** Fields of a match that restrict nothing: a match made only of these matches every request. */
const NEUTRAL = new Set(['name', 'ignoreUriCase']);

function isEmpty(value: unknown): boolean {
  if (value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

/** A uri condition every path satisfies. */
function isAnyUri(uri: HTTPMatchRequest['uri']): boolean {
  if (uri === undefined) return true;
  if ('prefix' in uri) return uri.prefix === '' || uri.prefix === '/';
  if ('regex' in uri) return uri.regex === '.*' || uri.regex === '/.*';
  return false;
}

export function matchesEverything(match: HTTPMatchRequest): boolean {
  return Object.entries(match).every(([key, value]) => NEUTRAL.has(key) || (key === 'uri' ? isAnyUri(match.uri) : isEmpty(value)));
}

/** Why the route catches every request, or undefined when it does not. */
function catchAllReason(route: HTTPRoute, index: number): string | undefined {
  if (!route.match || route.match.length === 0) return `spec.http[${index}] before it has no match, so it takes every request`;
  const m = route.match.findIndex(matchesEverything);
  return m < 0 ? undefined : `spec.http[${index}].match[${m}] before it matches every request`;
}

export function checkUnreachableRoutes(ctx: AnalysisContext): void {
  for (const vs of ctx.virtualServices) {
    const routes = vs.spec.http ?? [];
    const first = routes.findIndex((r, i) => catchAllReason(r, i) !== undefined);
    if (first < 0) continue;
    const reason = catchAllReason(routes[first] as HTTPRoute, first) as string;
    for (let i = first + 1; i < routes.length; i++) {
      ctx.report(
        'VirtualServiceUnreachableRule',
        vs,
        ['spec', 'http', i],
        `this route is never used: ${reason} (routes are tried in order). Move the catch-all route last, or give it a match.`,
      );
    }
  }
}
