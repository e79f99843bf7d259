// RouteConfig -> CompiledRouteConfig, once per config push. Everything that can be decided
// without a request is decided here (lower-cased domains, compiled regexes, cumulative
// weights, reason strings), and a config that cannot work (bad regex, all-zero weights) throws
// here, naming where, so the proxy can reject the push and keep its last good config.
import type { RouteConfig, VirtualHost } from '@skiff/api';
import { DomainIndex } from './domains.js';
import { compileRoute, type CompiledRoute } from './route.js';

export interface CompiledVirtualHost {
  readonly index: number;
  readonly name: string;
  /** The virtual host as configured. */
  readonly virtualHost: VirtualHost;
  readonly routes: readonly CompiledRoute[];
}

export interface CompiledRouteConfig {
  readonly name: string;
  /** The route config as configured. */
  readonly routeConfig: RouteConfig;
  readonly virtualHosts: readonly CompiledVirtualHost[];
  readonly domains: DomainIndex<CompiledVirtualHost>;
  /** Problems that do not stop routing (duplicate domains, stray "*"), for logs and analysis. */
  readonly warnings: readonly string[];
  /** A short list of the configured domains, for "no virtual host" messages. */
  readonly domainSummary: string;
}

const SUMMARY_DOMAINS = 8;

export function compileRouteConfig(rc: RouteConfig): CompiledRouteConfig {
  const where = `route config ${JSON.stringify(rc.name)}`;
  const virtualHosts = rc.virtualHosts.map(
    (vh, index): CompiledVirtualHost => ({
      index,
      name: vh.name,
      virtualHost: vh,
      routes: vh.routes.map((r, i) => compileRoute(r, i, `${where} virtual host ${JSON.stringify(vh.name)}`)),
    }),
  );
  const domains = new DomainIndex(
    virtualHosts.flatMap((vh) => vh.virtualHost.domains.map((domain) => ({ domain, value: vh, owner: `virtual host ${JSON.stringify(vh.name)}` }))),
  );
  const all = rc.virtualHosts.flatMap((vh) => vh.domains);
  const shown = all.slice(0, SUMMARY_DOMAINS).map((d) => JSON.stringify(d));
  const more = all.length > SUMMARY_DOMAINS ? `, and ${all.length - SUMMARY_DOMAINS} more` : '';
  return {
    name: rc.name,
    routeConfig: rc,
    virtualHosts,
    domains,
    warnings: domains.warnings.map((w) => `${where}: ${w}`),
    domainSummary: all.length === 0 ? 'none' : shown.join(', ') + more,
  };
}

/** Compiles every route config of a snapshot, keyed by name (the listener looks them up once). */
export function compileRouteConfigs(rcs: readonly RouteConfig[]): Map<string, CompiledRouteConfig> {
  return new Map(rcs.map((rc) => [rc.name, compileRouteConfig(rc)]));
}
