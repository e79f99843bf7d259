// VirtualService tcp[] -> snapshot TCP routes (Envoy's tcp_proxy with weighted clusters). A
// sidecar gets one TcpService per TCP-family service port (Istio's IsTCP ports); a gateway one
// per TCP server port. Matches whose own `gateways` exclude this context are dropped; an entry
// all of whose matches belong elsewhere is skipped, never turned into a catch-all.
import { clusterName, type L4MatchAttributes, type Loaded, type RouteDestination, type TLSMatchAttributes, type VirtualService } from '@skiff/api';
import { resourceKey } from './describe.js';
import { clusterFor } from './destinations.js';
import type { RouteContext } from './http-route.js';
import type { TcpMatchInput, TcpRouteInput } from './snapshot-types.js';

function translateMatch(m: L4MatchAttributes | TLSMatchAttributes): TcpMatchInput {
  const out: TcpMatchInput = {};
  if ('sniHosts' in m) out.sniHosts = m.sniHosts.map((h) => h.toLowerCase());
  if (m.port !== undefined) out.port = m.port;
  if (m.destinationSubnets && m.destinationSubnets.length > 0) out.destinationSubnets = [...m.destinationSubnets];
  if (m.sourceLabels) out.sourceLabels = { ...m.sourceLabels };
  if (m.sourceNamespace !== undefined) out.sourceNamespace = m.sourceNamespace;
  return out;
}

/** Weights as Istio reads them: a lone destination takes all; an unweighted list splits evenly. */
function weights(route: readonly { weight?: number | undefined }[]): number[] {
  if (route.length === 1) return [route[0]?.weight ?? 100];
  if (route.every((d) => d.weight === undefined)) {
    const share = Math.floor(100 / route.length);
    return route.map((_, i) => share + (i < 100 - share * route.length ? 1 : 0));
  }
  return route.map((d) => d.weight ?? 0);
}

/** Every tcp entry of `vs` that applies here, in order. */
export function translateTcpRoutes(vs: Loaded<VirtualService>, ctx: RouteContext): TcpRouteInput[] {
  return translateL4Routes(vs, 'tcp', vs.spec.tcp ?? [], ctx);
}

/** Every tls entry of `vs` that applies here, in order: matched on the ClientHello's server name too. */
export function translateTlsRoutes(vs: Loaded<VirtualService>, ctx: RouteContext): TcpRouteInput[] {
  return translateL4Routes(vs, 'tls', vs.spec.tls ?? [], ctx);
}

function translateL4Routes(
  vs: Loaded<VirtualService>,
  kind: 'tcp' | 'tls',
  entries: readonly { match?: readonly (L4MatchAttributes | TLSMatchAttributes)[]; route: readonly RouteDestination[] }[],
  ctx: RouteContext,
): TcpRouteInput[] {
  const key = resourceKey(vs);
  const out: TcpRouteInput[] = [];
  entries.forEach((tcp, index) => {
    const where = `VirtualService ${key} spec.${kind}[${index}]`;
    const all = tcp.match ?? [];
    const kept = all.filter((m) => !m.gateways || m.gateways.length === 0 || ctx.applies(m.gateways));
    if (all.length > 0 && kept.length === 0) return;
    const ws = weights(tcp.route);
    const clusters: TcpRouteInput['clusters'] = [];
    tcp.route.forEach((d, i) => {
      const cluster = clusterFor(d.destination, vs.metadata.namespace, ctx.port, `${where}.route[${i}]`, ctx);
      if (cluster !== undefined) clusters.push({ cluster, weight: ws[i] as number });
    });
    if (clusters.length === 0) {
      ctx.warn(`${where}: no destination could be resolved, so this route is left out. Fix the destination hosts or ports.`);
      return;
    }
    out.push({ name: `${key} ${kind}[${index}]`, origin: kind === 'tcp' ? { virtualService: key, tcpIndex: index } : { virtualService: key, tlsIndex: index }, matches: kept.map(translateMatch), clusters });
  });
  return out;
}

/** Every connection to the service's own cluster, as Istio routes a TCP port no VirtualService claims. */
export function defaultTcpRoute(fqdn: string, port: number): TcpRouteInput {
  return { name: 'default', matches: [], clusters: [{ cluster: clusterName('outbound', port, undefined, fqdn), weight: 100 }] };
}
