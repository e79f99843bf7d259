// The hot path: authority -> virtual host -> first matching route. No parsing beyond what the
// request view does lazily; reasons are mostly strings built at compile time.
import type { CompiledRouteConfig, CompiledVirtualHost } from './compile.js';
import type { DomainHit } from './domains.js';
import type { CompiledMatch } from './match.js';
import { RequestView, type RouteRequest } from './request.js';
import type { CompiledRoute } from './route.js';

export type RouteDecision =
  | {
      kind: 'matched';
      virtualHost: CompiledVirtualHost;
      route: CompiledRoute;
      /** The match that held; undefined when the route has none (catch-all). */
      match: CompiledMatch | undefined;
      /** The domain that selected the virtual host, as configured. */
      domain: string;
      reason: string;
    }
  | { kind: 'no-virtual-host'; reason: string }
  | { kind: 'no-route'; virtualHost: CompiledVirtualHost; domain: string; reason: string };

export function lookupVirtualHost(compiled: CompiledRouteConfig, authority: string): DomainHit<CompiledVirtualHost> | undefined {
  return compiled.domains.lookup(authority);
}

export function selectRoute(compiled: CompiledRouteConfig, req: RouteRequest | RequestView): RouteDecision {
  const view = req instanceof RequestView ? req : new RequestView(req);
  const hit = compiled.domains.lookup(view.req.authority);
  if (!hit) return { kind: 'no-virtual-host', reason: noVirtualHostReason(compiled, view.req.authority) };
  const vh = hit.value;
  for (const route of vh.routes) {
    const routeHit = route.matchRequest(view);
    if (routeHit) {
      return { kind: 'matched', virtualHost: vh, route, match: routeHit.match, domain: hit.domain, reason: `${hit.description}; ${routeHit.reason}` };
    }
  }
  const n = vh.routes.length;
  const none = n === 0 ? 'it has no routes' : n === 1 ? 'its only route does not match' : `none of its ${n} routes match`;
  return { kind: 'no-route', virtualHost: vh, domain: hit.domain, reason: `${hit.description}; ${none}` };
}

function noVirtualHostReason(compiled: CompiledRouteConfig, authority: string): string {
  return `no virtual host in route config ${JSON.stringify(compiled.name)} has a domain matching ${JSON.stringify(authority)} (domains: ${compiled.domainSummary})`;
}
