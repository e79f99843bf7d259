// VirtualService tcp[] -> snapshot TCP routes (Envoy's tcp_proxy with weighted clusters). A
// sidecar gets one TcpService per TCP-family service port (Istio's IsTCP ports); a gateway one
// per TCP server port. Matches whose own `gateways` exclude this context are dropped; an entry
// all of whose matches belong elsewhere is skipped, never turned into a catch-all.
import { clusterName, type L4MatchAttributes, type Loaded, type VirtualService } from '@skiff/api';
import { resourceKey } from './describe.js';
import { clusterFor } from './destinations.js';
import type { RouteContext } from './http-route.js';
import type { TcpMatchInput, TcpRouteInput } from './snapshot-types.js';

function translateMatch(m: L4MatchAttributes): TcpMatchInput {
  const out: TcpMatchInput = {};
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
  const key = resourceKey(vs);
  const out: TcpRouteInput[] = [];
  (vs.spec.tcp ?? []).forEach((tcp, index) => {
    const where = `VirtualService ${key} spec.tcp[${index}]`;
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
    out.push({ name: `${key} tcp[${index}]`, origin: { virtualService: key, tcpIndex: index }, matches: kept.map(translateMatch), clusters });
  });
  return out;
}

/** Every connection to the service's own cluster, as Istio routes a TCP port no VirtualService claims. */
export function defaultTcpRoute(fqdn: string, port: number): TcpRouteInput {
  return { name: 'default', matches: [], clusters: [{ cluster: clusterName('outbound', port, undefined, fqdn), weight: 100 }] };
}
