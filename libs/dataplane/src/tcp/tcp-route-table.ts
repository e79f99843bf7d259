// The snapshot's TcpServices, compiled once per push: found by the name a CONNECT gives
// ("tcp-echo:9000") or, on a gateway, by the server port; a connection's route is the first whose
// L4 match holds (Istio's L4MatchAttributes), and its cluster a weighted pick.
import { ipInBlock, parseIpAddress, parseIpBlock, type IpBlock, type TcpRoute, type TcpService } from '@skiff/api';

/** What is known of a connection when it is routed. */
export interface TcpConnectionFacts {
  /** The port the caller addressed (the service port; a gateway's server port). */
  port: number;
  /** The address the caller addressed, when it was an IP (destinationSubnets). */
  destinationIp?: string;
  sourceLabels: Readonly<Record<string, string>>;
  sourceNamespace: string;
  /** The ClientHello's server name, when the service reads it (tls routes). */
  sni?: string;
}

interface CompiledMatch {
  port?: number;
  subnets?: IpBlock[];
  sourceLabels?: [string, string][];
  sourceNamespace?: string;
  sniHosts?: Array<(name: string) => boolean>;
}

/** "nginx.example.com" exactly, "*.example.com" any name under it, "*" any name (Istio's sniHosts). */
function sniMatcher(pattern: string): (name: string) => boolean {
  const p = pattern.toLowerCase();
  if (p === '*') return () => true;
  if (p.startsWith('*.')) {
    const suffix = p.slice(1);
    return (name) => name.endsWith(suffix) && name.length > suffix.length;
  }
  return (name) => name === p;
}

export interface CompiledTcpRoute {
  route: TcpRoute;
  matches: CompiledMatch[];
  totalWeight: number;
}

export interface CompiledTcpService {
  service: TcpService;
  routes: CompiledTcpRoute[];
}

function compileRoute(route: TcpRoute): CompiledTcpRoute {
  const matches = route.matches.map((m): CompiledMatch => {
    const out: CompiledMatch = {};
    if (m.port !== undefined) out.port = m.port;
    // Validated by the control plane; a range that does not parse matches nothing.
    if (m.destinationSubnets) out.subnets = m.destinationSubnets.map(parseIpBlock).filter((b): b is IpBlock => b !== undefined);
    if (m.sourceLabels) out.sourceLabels = Object.entries(m.sourceLabels);
    if (m.sourceNamespace !== undefined) out.sourceNamespace = m.sourceNamespace;
    if (m.sniHosts) out.sniHosts = m.sniHosts.map(sniMatcher);
    return out;
  });
  return { route, matches, totalWeight: route.clusters.reduce((sum, c) => sum + c.weight, 0) };
}

function matches(m: CompiledMatch, facts: TcpConnectionFacts): boolean {
  if (m.port !== undefined && m.port !== facts.port) return false;
  if (m.sourceNamespace !== undefined && m.sourceNamespace !== facts.sourceNamespace) return false;
  if (m.sourceLabels && !m.sourceLabels.every(([k, v]) => facts.sourceLabels[k] === v)) return false;
  if (m.sniHosts) {
    const sni = facts.sni;
    if (sni === undefined || !m.sniHosts.some((matches) => matches(sni))) return false;
  }
  if (m.subnets) {
    const ip = facts.destinationIp === undefined ? undefined : parseIpAddress(facts.destinationIp);
    if (!ip || !m.subnets.some((b) => ipInBlock(ip, b))) return false;
  }
  return true;
}

/** The first route any of whose matches holds (no matches: every connection). */
export function selectTcpRoute(service: CompiledTcpService, facts: TcpConnectionFacts): CompiledTcpRoute | undefined {
  return service.routes.find((r) => r.matches.length === 0 || r.matches.some((m) => matches(m, facts)));
}

/** A cluster by weight (Envoy's weighted_clusters); undefined when every weight is 0. */
export function pickTcpCluster(route: CompiledTcpRoute, random: () => number): string | undefined {
  if (route.totalWeight <= 0) return undefined;
  let point = random() * route.totalWeight;
  for (const c of route.route.clusters) {
    if (point < c.weight) return c.cluster;
    point -= c.weight;
  }
  return route.route.clusters[route.route.clusters.length - 1]?.cluster;
}

export class TcpRouteTable {
  readonly #byDomain = new Map<string, CompiledTcpService>();
  readonly #byName = new Map<string, CompiledTcpService>();

  constructor(services: readonly TcpService[]) {
    for (const service of services) {
      const compiled = { service, routes: service.routes.map(compileRoute) };
      this.#byName.set(service.name, compiled);
      for (const domain of service.domains) if (!this.#byDomain.has(domain)) this.#byDomain.set(domain.toLowerCase(), compiled);
    }
  }

  get size(): number {
    return this.#byName.size;
  }

  /** The service a CONNECT authority ("tcp-echo:9000", "tcp-echo.default.svc.cluster.local:9000") names. */
  forAuthority(authority: string): CompiledTcpService | undefined {
    return this.#byDomain.get(authority.toLowerCase());
  }

  /** By snapshot name ("tcp.31400" on a gateway). */
  byName(name: string): CompiledTcpService | undefined {
    return this.#byName.get(name);
  }
}
