// A proxy's config dump as istioctl-style rows. Plain data, so --json prints the same rows the
// tables show. Route matches are described by libs/routing, the code the proxy matches with.
import type { ProxySnapshot } from '@skiff/api';
import { compileRouteConfig } from '@skiff/routing';
import type { ConfigDump, EndpointHealth } from './config-dump.js';

export interface RouteRow {
  routeConfig: string;
  virtualHost: string;
  domains: string[];
  route: string;
  /** e.g. `header end-user exact "jason"`, "/*" for a catch-all. */
  match: string;
  /** istioctl's form, name.namespace; "" for routes Skiff made without a VirtualService. */
  virtualService: string;
}

export interface ClusterRow {
  name: string;
  service: string;
  port: number;
  subset: string;
  direction: string;
  endpoints: number;
}

export interface EndpointRow {
  endpoint: string;
  status: string;
  cluster: string;
  workload: string;
}

export interface ListenerRow {
  name: string;
  address: string;
  port: number;
  description: string;
}

/** "default/reviews" -> "reviews.default", as istioctl prints it. */
function istioName(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? key : `${key.slice(slash + 1)}.${key.slice(0, slash)}`;
}

export function routeRows(snapshot: ProxySnapshot): RouteRow[] {
  return snapshot.routeConfigs.flatMap((rc) =>
    compileRouteConfig(rc).virtualHosts.flatMap((vh) =>
      vh.routes.map((r) => ({
        routeConfig: rc.name,
        virtualHost: vh.name,
        domains: vh.virtualHost.domains,
        route: r.name,
        match: r.matches.length === 0 ? '/*' : r.matches.map((m) => m.description).join(' OR '),
        virtualService: r.route.origin ? istioName(r.route.origin.virtualService) : '',
      })),
    ),
  );
}

/** The shortest few domains without a port (what people type), then how many more. */
export function summarizeDomains(domains: readonly string[], shown = 2): string {
  const plain = domains.filter((d) => !/:\d+$/.test(d));
  const pick = [...(plain.length > 0 ? plain : domains)].sort((a, b) => a.length - b.length || a.localeCompare(b)).slice(0, shown);
  const more = domains.length - pick.length;
  return `${pick.join(', ')}${more > 0 ? ` + ${more} more` : ''}`;
}

export function clusterRows(snapshot: ProxySnapshot): ClusterRow[] {
  return snapshot.clusters.map((c) => ({
    name: c.name,
    service: c.service,
    port: c.port,
    subset: c.subset ?? '',
    direction: c.name.split('|')[0] ?? '',
    endpoints: c.endpoints.length,
  }));
}

export function endpointRows(snapshot: ProxySnapshot, health: EndpointHealth): EndpointRow[] {
  return snapshot.clusters.flatMap((c) =>
    c.endpoints.map((e) => {
      const endpoint = `${e.address}:${e.port}`;
      return { endpoint, status: health.get(`${c.name} ${endpoint}`) ?? 'HEALTHY', cluster: c.name, workload: e.workload };
    }),
  );
}

function describeListener(name: string): string {
  if (name === 'outbound') return "the app's HTTP proxy; route config by the request's port";
  if (name === 'inbound') return 'peers call here; forwards to the local app';
  if (name === 'admin') return 'admin: /config_dump /clusters /server_info /ready';
  const gateway = /^gateway:(\d+)$/.exec(name);
  if (gateway) return `Gateway server port ${gateway[1]}; route config "http.${gateway[1]}"`;
  return '';
}

export function listenerRows(dump: Pick<ConfigDump, 'node' | 'listeners'>): ListenerRow[] {
  return Object.entries(dump.listeners).map(([name, port]) => ({ name, address: dump.node.address, port, description: describeListener(name) }));
}
