// Gateway proxies: the Gateways whose selector matches the proxy's labels open server ports;
// each port gets a route config "http.<port>" whose virtual hosts come from the VirtualServices
// bound to those Gateways, limited to the hosts the servers admit. Servers terminating TLS on a
// port are listed one entry per certificate, so the listener can pick by SNI.
import type { Gateway, GatewayServer, Loaded, VirtualService, WorkloadInfo } from '@skiff/api';
import type { Warn } from './destination-rules.js';
import { describeResource, resourceKey } from './describe.js';
import type { DestinationContext } from './destinations.js';
import { isVisibleTo } from './export-to.js';
import { intersectHosts, parseServerHost, resolveHost, type ServerHost } from './hosts.js';
import { serverTls, tlsKey, type ServerTls } from './gateway-tls.js';
import { translateHttpRoutes } from './http-route.js';
import type { GatewayServerInput, RouteConfigInput, TcpRouteInput, TcpServiceInput, VirtualHostInput } from './snapshot-types.js';
import { translateTcpRoutes, translateTlsRoutes } from './tcp-routes.js';

/** Gateway server protocols carried as byte streams and routed by tcp routes (TLS waits for SNI routing). */
const TCP_SERVER_PROTOCOLS = new Set(['TCP', 'MONGO', 'REDIS', 'MYSQL']);

/** Gateways whose selector labels are all on the proxy (an empty selector selects every gateway proxy). */
export function selectGateways(gateways: readonly Loaded<Gateway>[], proxy: WorkloadInfo): Loaded<Gateway>[] {
  return gateways.filter((g) => Object.entries(g.spec.selector ?? {}).every(([k, v]) => proxy.labels[k] === v));
}

/** A VirtualService's `gateways` entry as "ns/name": bare names are relative to the VirtualService. */
export function resolveGatewayRef(ref: string, vsNamespace: string): string {
  return ref.includes('/') ? ref : `${vsNamespace}/${ref}`;
}

interface BoundServer {
  gatewayKey: string;
  hosts: ServerHost[];
}

/** Servers on one port with the same TLS settings: one snapshot entry, hosts merged. */
interface TlsEntry {
  key: string;
  tls: ServerTls;
  rawHosts: string[];
}

interface PortGroup {
  port: number;
  protocol: string;
  /** What the port does with TLS; the first server on the port decides. */
  tlsKind: 'plaintext' | 'terminate' | 'passthrough';
  firstServer: string;
  entries: TlsEntry[];
  servers: BoundServer[];
}

function groupServersByPort(gateways: readonly Loaded<Gateway>[], warn: Warn): PortGroup[] {
  const groups = new Map<number, PortGroup>();
  for (const gateway of gateways) {
    gateway.spec.servers.forEach((server: GatewayServer, i) => {
      const port = server.port.number;
      const where = `${describeResource(gateway)} spec.servers[${i}]`;
      const tls = serverTls(server);
      if (tls.kind === 'unsupported') {
        warn(`${where}: ${tls.reason}; the server is ignored.`);
        return;
      }
      const tlsKind = tls.kind;
      let group = groups.get(port);
      if (!group) groups.set(port, (group = { port, protocol: server.port.protocol, tlsKind, firstServer: where, entries: [], servers: [] }));
      else if (group.tlsKind !== tlsKind) {
        // One listener cannot both terminate TLS and serve plaintext HTTP (nor can Envoy's).
        const has = (t: PortGroup['tlsKind']) => ({ plaintext: 'serves plaintext', terminate: 'terminates TLS', passthrough: 'passes TLS through' })[t];
        warn(`${where}: port ${port} ${has(group.tlsKind)} (${group.firstServer}) but this ${server.port.protocol} server ${has(tlsKind)}; the server is ignored. Servers sharing a port must agree on TLS.`);
        return;
      } else if (group.protocol.toUpperCase() !== server.port.protocol.toUpperCase()) {
        warn(`${where}: port ${port} is already served as ${group.protocol}; ${server.port.protocol} is ignored. Use one protocol per port.`);
      }
      const key = tlsKey(tls);
      let entry = group.entries.find((e) => e.key === key);
      if (!entry) group.entries.push((entry = { key, tls, rawHosts: [] }));
      for (const host of server.hosts) if (!entry.rawHosts.includes(host)) entry.rawHosts.push(host);
      group.servers.push({ gatewayKey: resourceKey(gateway), hosts: server.hosts.map((h) => parseServerHost(h, gateway.metadata.namespace)) });
    });
  }
  return [...groups.values()].sort((a, b) => a.port - b.port);
}

function serverEntry(group: PortGroup, entry: TlsEntry, routeConfig: string): GatewayServerInput {
  const out: GatewayServerInput = { port: group.port, protocol: group.protocol, hosts: entry.rawHosts, routeConfig };
  if (entry.tls.kind === 'terminate') out.tls = entry.tls.tls;
  if (entry.tls.kind === 'plaintext' && entry.tls.httpsRedirect) out.httpsRedirect = true;
  return out;
}

/** The domains a VirtualService gets on one port: its hosts narrowed by the hosts of the servers it binds to. */
function domainsFor(vsHosts: readonly string[], vsNamespace: string, servers: readonly BoundServer[]): string[] {
  const domains: string[] = [];
  for (const server of servers) {
    for (const serverHost of server.hosts) {
      if (serverHost.namespace !== '*' && serverHost.namespace !== vsNamespace) continue;
      for (const vsHost of vsHosts) {
        const domain = intersectHosts(serverHost.host, vsHost);
        if (domain !== undefined && !domains.includes(domain)) domains.push(domain);
      }
    }
  }
  return domains;
}

export interface GatewayRoutes {
  routeConfigs: RouteConfigInput[];
  gatewayServers: GatewayServerInput[];
  tcpServices: TcpServiceInput[];
}

/** `selected` are the Gateways selecting this proxy, `virtualServices` all of them, both in namespace/name order. */
export function buildGatewayRoutes(
  selected: readonly Loaded<Gateway>[],
  virtualServices: readonly Loaded<VirtualService>[],
  proxyNamespace: string,
  ctx: DestinationContext,
): GatewayRoutes {
  const groups = groupServersByPort(selected, ctx.warn);
  const routeConfigs: RouteConfigInput[] = [];
  const gatewayServers: GatewayServerInput[] = [];
  const tcpServices: TcpServiceInput[] = [];
  for (const group of groups) {
    if (group.tlsKind === 'passthrough' || TCP_SERVER_PROTOCOLS.has(group.protocol.toUpperCase())) {
      const name = `tcp.${group.port}`;
      const passthrough = group.tlsKind === 'passthrough';
      tcpServices.push({ name, domains: ['*'], port: group.port, ...(passthrough ? { sni: true } : {}), routes: gatewayTcpRoutes(group, virtualServices, proxyNamespace, ctx, passthrough) });
      for (const entry of group.entries) gatewayServers.push(serverEntry(group, entry, name));
      continue;
    }
    const name = `http.${group.port}`;
    const virtualHosts: VirtualHostInput[] = [];
    const domainOwner = new Map<string, string>();
    for (const vs of virtualServices) {
      if (!isVisibleTo(vs.spec.exportTo, vs.metadata.namespace, proxyNamespace)) continue;
      const refs = new Set((vs.spec.gateways ?? []).filter((g) => g !== 'mesh').map((g) => resolveGatewayRef(g, vs.metadata.namespace)));
      const bound = group.servers.filter((s) => refs.has(s.gatewayKey));
      if (bound.length === 0) continue;
      const key = resourceKey(vs);
      const vsHosts = vs.spec.hosts.map((h) => resolveHost(h, vs.metadata.namespace, ctx.knownNamespaces));
      const domains = domainsFor(vsHosts, vs.metadata.namespace, bound).filter((domain) => {
        const owner = domainOwner.get(domain);
        if (owner === undefined) {
          domainOwner.set(domain, key);
          return true;
        }
        ctx.warn(`conflict: on gateway port ${group.port}, host ${domain} is claimed by VirtualService ${owner} and ${describeResource(vs)}; the first by namespace/name keeps it. Put all routes for a host in one VirtualService.`);
        return false;
      });
      if (domains.length === 0) continue;
      const boundKeys = new Set(bound.map((s) => s.gatewayKey));
      const applies = (gateways: readonly string[]): boolean => gateways.some((g) => boundKeys.has(resolveGatewayRef(g, vs.metadata.namespace)));
      const routes = translateHttpRoutes(vs, { ...ctx, applies, port: undefined });
      if (routes.length === 0) {
        ctx.warn(`${describeResource(vs)} has no http route that applies to gateway port ${group.port}, so its hosts get no routes there.`);
        continue;
      }
      virtualHosts.push({ name: `${key}:${group.port}`, domains, routes });
    }
    routeConfigs.push({ name, virtualHosts });
    for (const entry of group.entries) gatewayServers.push(serverEntry(group, entry, name));
  }
  return { routeConfigs, gatewayServers, tcpServices };
}

/**
 * The tcp routes of every VirtualService bound to a TCP server port, in namespace/name order
 * (Envoy's filter chain has one tcp_proxy: the first route that matches a connection wins).
 * A match naming another port is dropped here, as Istio builds routes per server port.
 */
function gatewayTcpRoutes(group: PortGroup, virtualServices: readonly Loaded<VirtualService>[], proxyNamespace: string, ctx: DestinationContext, passthrough: boolean): TcpRouteInput[] {
  const routes: TcpRouteInput[] = [];
  for (const vs of virtualServices) {
    if (!isVisibleTo(vs.spec.exportTo, vs.metadata.namespace, proxyNamespace) || !(vs.spec.tcp || (passthrough && vs.spec.tls))) continue;
    const refs = new Set((vs.spec.gateways ?? []).filter((g) => g !== 'mesh').map((g) => resolveGatewayRef(g, vs.metadata.namespace)));
    const bound = group.servers.filter((s) => refs.has(s.gatewayKey));
    if (bound.length === 0) continue;
    const boundKeys = new Set(bound.map((s) => s.gatewayKey));
    const applies = (gateways: readonly string[]): boolean => gateways.some((g) => boundKeys.has(resolveGatewayRef(g, vs.metadata.namespace)));
    const routeCtx = { ...ctx, applies, port: undefined };
    // A passthrough server's tls routes come first (matched by SNI), then tcp routes.
    const serverHosts = bound.flatMap((s) => s.hosts.filter((h) => h.namespace === '*' || h.namespace === vs.metadata.namespace).map((h) => h.host));
    for (const route of [...(passthrough ? translateTlsRoutes(vs, routeCtx) : []), ...translateTcpRoutes(vs, routeCtx)]) {
      const matches = route.matches ?? [];
      if (matches.length > 0) {
        const here = matches
          .filter((m) => m.port === undefined || m.port === group.port)
          .map(({ port: _port, ...rest }) => rest)
          // A server name the server's hosts do not admit never reaches this route (Istio drops it too).
          .map((m) => (m.sniHosts ? { ...m, sniHosts: m.sniHosts.filter((h) => serverHosts.some((sh) => intersectHosts(sh, h) !== undefined)) } : m))
          .filter((m) => !m.sniHosts || m.sniHosts.length > 0);
        if (here.length === 0) continue;
        route.matches = here;
      }
      routes.push(route);
    }
  }
  if (routes.length === 0) {
    const kind = passthrough ? 'tls' : 'tcp';
    ctx.warn(`gateway port ${group.port} serves ${group.protocol}${passthrough ? ' (PASSTHROUGH)' : ''} but no VirtualService bound to it has a ${kind} route for it, so its connections are closed. Add a VirtualService with gateways: [<gateway>] and ${kind}: [{match: [{port: ${group.port}${passthrough ? ', sniHosts: [<host>]' : ''}}], route: …}].`);
  }
  return routes;
}
