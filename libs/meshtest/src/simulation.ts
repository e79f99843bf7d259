// The simulation itself: the route config the proxy would consult, then libs/routing's
// explainRoute (the same matcher the proxy runs), then what the chosen route does: weighted
// clusters with their endpoints, timeout, retries, fault, mirror. The result is plain data, for
// --json and for the text report alike.
import type { Endpoint, ProxySnapshot, RetryPolicy, Route, RouteMatch, SourceRef, WorkloadInfo } from '@skiff/api';
import { compileRouteConfig, explainRoute, formatExplanation, rewritePath, type RouteVerdict } from '@skiff/routing';
import type { SimulatedRequest } from './request.js';

export type SimulationOutcome = 'matched' | 'no-route-config' | 'no-virtual-host' | 'no-route';

export interface DestinationReport {
  cluster: string;
  weight: number;
  /** Share of requests, 0-100. */
  percent: number;
  /** False when the snapshot has no such cluster: the proxy would answer 503. */
  known: boolean;
  endpoints: Array<Pick<Endpoint, 'address' | 'port' | 'workload'>>;
  /** Header operations for requests sent to this destination (VirtualService route[].headers). */
  headers?: Route['headers'];
}

export interface RouteReport {
  name: string;
  virtualHost: string;
  /** The domain that selected the virtual host, as configured. */
  domain: string;
  origin?: { virtualService: string; httpIndex: number; routeName?: string; file?: string; line?: number };
  action: 'route' | 'redirect';
  destinations: DestinationReport[];
  timeoutMs?: number;
  retries?: RetryPolicy;
  fault?: Extract<Route['action'], { kind: 'route' }>['fault'];
  mirror?: { cluster: string; percent: number };
  rewrite?: { uri?: string; authority?: string };
  /** The path the destination gets: the request's, or as the rewrite leaves it. */
  upstreamPath?: string;
  redirect?: { location: string; code: number };
  /** Header operations of the route (http[].headers). */
  headers?: Route['headers'];
}

export interface SimulationResult {
  proxy: Pick<WorkloadInfo, 'id' | 'kind' | 'namespace' | 'labels'>;
  request: SimulatedRequest;
  routeConfig: string;
  outcome: SimulationOutcome;
  /** Why this outcome, from libs/routing (or why there was no route config to look in). */
  reason: string;
  /** What the proxy does with the request, in one sentence. */
  effect: string;
  route?: RouteReport;
  /** Every route of the chosen virtual host, in order, with its verdict. */
  verdicts: RouteVerdict[];
  /** formatExplanation's text; absent when there was no route config. */
  explanation?: string;
}

export interface SimulationInput {
  snapshot: ProxySnapshot;
  proxy: WorkloadInfo;
  request: SimulatedRequest;
  locate?: (virtualService: string) => SourceRef | undefined;
}

/** As the proxy picks it: a sidecar's outbound listener by the request's port, a gateway by its server port. */
export function routeConfigNameFor(proxy: Pick<WorkloadInfo, 'kind'>, port: number): string {
  return proxy.kind === 'gateway' ? `http.${port}` : String(port);
}

export function simulate(input: SimulationInput): SimulationResult {
  const { snapshot, proxy, request } = input;
  const routeConfig = routeConfigNameFor(proxy, request.port);
  const base = { proxy: { id: proxy.id, kind: proxy.kind, namespace: proxy.namespace, labels: proxy.labels }, request, routeConfig };
  const unrouted = proxy.kind === 'gateway' ? 'the gateway answers 404 (NR: no route)' : `the sidecar passes it through unchanged to ${request.authority} (PassthroughCluster, Istio's ALLOW_ANY): no mesh routing, retries or policy apply`;

  const rc = snapshot.routeConfigs.find((r) => r.name === routeConfig);
  if (!rc) {
    const have = snapshot.routeConfigs.map((r) => JSON.stringify(r.name)).join(', ') || 'none';
    const what = proxy.kind === 'gateway' ? `no Gateway server on port ${request.port} selects this gateway` : `no service in the mesh has port ${request.port}`;
    return { ...base, outcome: 'no-route-config', reason: `${proxy.id} has no route config ${JSON.stringify(routeConfig)} (${what}; it has: ${have})`, effect: unrouted, verdicts: [] };
  }

  const explanation = explainRoute(compileRouteConfig(rc), {
    method: request.method,
    authority: request.authority,
    path: request.path,
    headers: request.headers,
    scheme: request.scheme,
    port: request.port,
    // Gateways route without source labels (their listener passes none); sidecars pass their own.
    sourceLabels: proxy.kind === 'sidecar' ? proxy.labels : undefined,
    sourceNamespace: proxy.kind === 'sidecar' ? proxy.namespace : undefined,
  });
  const common = { ...base, verdicts: [...explanation.routes], explanation: formatExplanation(explanation) };
  const { decision } = explanation;
  if (decision.kind === 'no-virtual-host') return { ...common, outcome: 'no-virtual-host', reason: decision.reason, effect: unrouted };
  if (decision.kind === 'no-route') return { ...common, outcome: 'no-route', reason: decision.reason, effect: `the ${proxy.kind === 'gateway' ? 'gateway' : 'sidecar'} answers 404 (NR: no route)` };

  const report = routeReport(decision.route.route, decision.virtualHost.name, decision.domain, snapshot, request, input.locate, decision.match?.match.uri);
  return { ...common, outcome: 'matched', reason: decision.reason, effect: effectOf(report), route: report };
}

function routeReport(route: Route, virtualHost: string, domain: string, snapshot: ProxySnapshot, request: SimulatedRequest, locate: SimulationInput['locate'], uriMatch: RouteMatch['uri'] | undefined): RouteReport {
  const report: RouteReport = { name: route.name, virtualHost, domain, action: route.action.kind, destinations: [], ...(route.headers ? { headers: route.headers } : {}) };
  if (route.origin) {
    const where = locate?.(route.origin.virtualService);
    report.origin = { ...route.origin, ...(where ? { file: where.file, line: where.line } : {}) };
  }
  const action = route.action;
  if (action.kind === 'redirect') {
    const location = `${action.scheme ?? request.scheme}://${action.authority ?? request.authority}${action.port !== undefined ? `:${action.port}` : ''}${action.uri ?? request.path}`;
    report.redirect = { location, code: action.redirectCode };
    return report;
  }
  const total = action.clusters.reduce((sum, c) => sum + c.weight, 0);
  report.destinations = action.clusters.map((c) => {
    const cluster = snapshot.clusters.find((k) => k.name === c.cluster);
    return {
      cluster: c.cluster,
      weight: c.weight,
      percent: total === 0 ? 0 : (c.weight * 100) / total,
      known: cluster !== undefined,
      endpoints: (cluster?.endpoints ?? []).map((e) => ({ address: e.address, port: e.port, workload: e.workload })),
      ...(c.headers ? { headers: c.headers } : {}),
    };
  });
  if (action.timeoutMs !== undefined) report.timeoutMs = action.timeoutMs;
  if (action.retries) report.retries = action.retries;
  if (action.fault) report.fault = action.fault;
  if (action.mirror) report.mirror = action.mirror;
  if (action.rewrite) report.rewrite = action.rewrite;
  report.upstreamPath = action.rewrite?.uri !== undefined ? rewritePath(request.path, uriMatch, action.rewrite.uri) : request.path;
  return report;
}

function effectOf(route: RouteReport): string {
  if (route.redirect) return `the proxy answers ${route.redirect.code} with Location: ${route.redirect.location}`;
  const live = route.destinations.filter((d) => d.weight > 0);
  if (live.length > 0 && live.every((d) => !d.known || d.endpoints.length === 0)) return 'the proxy answers 503 (UH: no healthy upstream): no destination has an endpoint';
  return live.length === 1 ? `forwarded to ${live[0]?.cluster}` : `forwarded to one of ${live.length} clusters, picked by weight`;
}
