// Sidecar route configs: one per service port (named by the port, as Istio's "9080"), with a
// virtual host per service holding the routes of the VirtualService that owns its host, or a
// default route.
import { isTcpProtocol, type Loaded, type VirtualService } from '@skiff/api';
import { resourceKey } from './describe.js';
import type { DestinationContext } from './destinations.js';
import { defaultRoute } from './default-route.js';
import { serviceDomains } from './hosts.js';
import { translateHttpRoutes } from './http-route.js';
import type { ServiceInfo } from './services.js';
import type { RouteConfigInput, TcpServiceInput, VirtualHostInput } from './snapshot-types.js';
import { defaultTcpRoute, translateTcpRoutes, translateTlsRoutes } from './tcp-routes.js';
import type { VirtualServiceIndex } from './virtual-services.js';

const appliesToMeshMatch = (gateways: readonly string[]): boolean => gateways.includes('mesh');

/** The virtual host for one service port as seen from `proxyNamespace`. */
export function sidecarVirtualHost(service: ServiceInfo, port: number, proxyNamespace: string, vs: Loaded<VirtualService> | undefined, ctx: DestinationContext): VirtualHostInput {
  let routes = vs ? translateHttpRoutes(vs, { ...ctx, applies: appliesToMeshMatch, port }) : [];
  if (vs && routes.length === 0) {
    ctx.warn(`VirtualService ${resourceKey(vs)} has no http route that applies to sidecars for ${service.fqdn}:${port}; using the default route.`);
  }
  if (routes.length === 0) routes = [defaultRoute(service.fqdn, port)];
  return { name: `${service.fqdn}:${port}`, domains: serviceDomains(service, port, proxyNamespace), routes };
}

export type VirtualHostBuilder = typeof sidecarVirtualHost;

/** Route configs by port (ascending), virtual hosts in service order. `virtualHost` may be a memoized sidecarVirtualHost. */
export function buildSidecarRouteConfigs(
  services: readonly ServiceInfo[],
  proxyNamespace: string,
  virtualServices: VirtualServiceIndex,
  ctx: DestinationContext,
  virtualHost: VirtualHostBuilder = sidecarVirtualHost,
): RouteConfigInput[] {
  const byPort = new Map<number, RouteConfigInput>();
  for (const service of services) {
    const vs = virtualServices.forHost(service.fqdn);
    for (const port of service.ports) {
      if (isTcpPort(service, port)) continue;
      let config = byPort.get(port);
      if (!config) byPort.set(port, (config = { name: String(port), virtualHosts: [] }));
      config.virtualHosts.push(virtualHost(service, port, proxyNamespace, vs, ctx));
    }
  }
  return [...byPort.entries()].sort(([a], [b]) => a - b).map(([, config]) => config);
}

function isTcpPort(service: ServiceInfo, port: number): boolean {
  const protocol = service.protocols.get(port);
  return protocol !== undefined && isTcpProtocol(protocol);
}

/**
 * One TcpService per TCP-family service port (Istio's outbound tcp_proxy for a TCP port): the
 * tcp routes of the VirtualService that owns the host, or everything to the service's cluster.
 * Callers reach it by a CONNECT to any of its sidecar domains. A port whose protocol is not
 * declared gets one too, beside its HTTP virtual host, as Istio's sniffed outbound listener
 * carries both: an HTTP request is routed as HTTP, a CONNECT as TCP.
 */
export function buildSidecarTcpServices(services: readonly ServiceInfo[], proxyNamespace: string, virtualServices: VirtualServiceIndex, ctx: DestinationContext): TcpServiceInput[] {
  const out: TcpServiceInput[] = [];
  for (const service of services) {
    const vs = virtualServices.forHost(service.fqdn);
    for (const port of service.ports) {
      const protocol = service.protocols.get(port);
      const sniffed = protocol === undefined || protocol === 'UNKNOWN';
      if (!isTcpPort(service, port) && !sniffed) continue;
      // tls routes apply to ports that carry TLS (Istio: TLS and HTTPS ports), before tcp routes.
      const carriesTls = protocol === 'TLS' || protocol === 'HTTPS';
      const routeCtx = { ...ctx, applies: appliesToMeshMatch, port };
      let routes = vs ? [...(carriesTls ? translateTlsRoutes(vs, routeCtx) : []), ...translateTcpRoutes(vs, routeCtx)] : [];
      if (!sniffed && vs && routes.length === 0 && (vs.spec.tcp?.length ?? 0) + (vs.spec.tls?.length ?? 0) + (vs.spec.http?.length ?? 0) > 0) {
        ctx.warn(`VirtualService ${resourceKey(vs)} has no tcp route that applies to sidecars for ${service.fqdn}:${port}, a ${service.protocols.get(port)} port; using the default route. Write its routes under tcp: (or tls:), not http:.`);
      }
      if (routes.length === 0) routes = [defaultTcpRoute(service.fqdn, port)];
      const sni = routes.some((r) => r.matches?.some((m) => m.sniHosts !== undefined));
      out.push({ name: `${service.fqdn}:${port}`, domains: serviceDomains(service, port, proxyNamespace), port, ...(sni ? { sni } : {}), routes });
    }
  }
  return out;
}
