// Route selection (Envoy's route table lookup, done by its router filter; here a filter of its
// own so fault, rewrite and mirror can read the match): virtual host by authority, first matching
// route, weighted cluster. Redirect routes answer here. A host the mesh does not know is passed
// through on a sidecar (Istio's ALLOW_ANY; 502 under REGISTRY_ONLY) and answered 404 on a gateway.
import { randomBytes } from 'node:crypto';
import type { RouteAction } from '@skiff/api';
import { pickCluster, selectRoute, type CompiledRouteConfig } from '@skiff/routing';
import { forwardingLoop, noRoute, notReady } from '../../core/errors.js';
import { blackHole } from './black-hole.js';
import type { RequestTarget } from '../../core/request-target.js';
import type { HttpExchange } from '../http-exchange.js';
import type { HttpFilter, LocalAnswer } from '../http-filter.js';

/** Names the proxies a passed-through request has crossed, so one that comes back is recognised. */
export const PASSTHROUGH_HEADER = 'x-skiff-passthrough';

export interface RouteMatchOptions {
  /** The route config for a request (sidecar: by the port it was addressed to; gateway: fixed). */
  routeConfig: (target: RequestTarget) => CompiledRouteConfig | undefined;
  passthrough: boolean;
  sourceLabels?: Record<string, string>;
  sourceNamespace?: string;
  random: () => number;
  /** Marks requests this proxy passed through (unique per proxy, even between replicas). */
  passthroughMark?: string;
}

export function passthroughMarkFor(self: { workload: string; namespace: string } | undefined): string {
  return `${self ? `${self.workload}.${self.namespace}` : 'proxy'}~${randomBytes(4).toString('hex')}`;
}

export function routeMatchFilter(options: RouteMatchOptions | undefined): HttpFilter {
  return {
    name: 'route',
    decodeHeaders(x) {
      if (!options || !x.snapshot) return notReady();
      const target = x.requested;
      const routeConfig = options.routeConfig(target);
      const decision = routeConfig
        ? selectRoute(routeConfig, {
            method: x.head.method,
            authority: target.authority,
            path: x.path,
            headers: x.received,
            port: target.port,
            sourceLabels: options.sourceLabels,
            sourceNamespace: options.sourceNamespace,
          })
        : undefined;
      if (!decision || decision.kind === 'no-virtual-host') {
        if (!options.passthrough) return noRoute(target.authority);
        return x.snapshot.raw.outboundTrafficPolicy === 'REGISTRY_ONLY' ? blackHole(x) : passThrough(x, options.passthroughMark ?? 'proxy');
      }
      if (decision.kind === 'no-route') return noRoute(target.authority);
      const route = decision.route.route;
      x.route = route.name;
      const action = route.action;
      if (action.kind === 'redirect') return redirect(action, target, x.path);
      x.action = action;
      x.routeMatch = decision.match?.match;
      x.routeHeaders = route.headers;
      x.weighted = pickCluster(decision.route, options.random);
      return undefined;
    },
  };
}

/**
 * PassthroughCluster: a host the mesh does not know goes where the app asked. Where that is this
 * proxy itself (its own listener's address as Host), each pass would take another pooled
 * connection until none is left: the proxy marks what it passes through and refuses its own mark.
 */
function passThrough(x: HttpExchange, mark: string): LocalAnswer | undefined {
  const seen = x.received[PASSTHROUGH_HEADER];
  if (typeof seen === 'string' && seen.split(',').some((m) => m.trim() === mark)) return forwardingLoop(x.requested.authority);
  x.headers[PASSTHROUGH_HEADER] = typeof seen === 'string' ? `${seen}, ${mark}` : mark;
  x.passthrough = true;
  return undefined;
}

function redirect(action: Extract<RouteAction, { kind: 'redirect' }>, target: RequestTarget, path: string): LocalAnswer {
  const host = action.authority ?? target.host;
  const port = action.port !== undefined ? `:${action.port}` : action.authority === undefined && target.authority.includes(':') ? target.authority.slice(target.authority.lastIndexOf(':')) : '';
  const location = `${action.scheme ?? 'http'}://${host}${port}${action.uri ?? path}`;
  return { status: action.redirectCode, body: '', flag: '-', headers: { location } };
}
