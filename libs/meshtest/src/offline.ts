// A case worked out offline, with the proxies' own code on the snapshots the control plane would
// push: the caller's sidecar (or gateway) routes the request (libs/routing, as `skiff simulate`
// does); each destination's sidecar authorizes it (libs/security, on the caller's identity). What
// neither proxy decides, the app's own answer, counts as 200 and says so in a note.
import { ProxySnapshotSchema, type Loaded, type ProxySnapshot, type WorkloadInfo } from '@skiff/api';
import { prepare, workloadIdentity, type PrepareOptions, type PreparedConfig } from '@skiff/configgen';
import { applyHeaderOperations, type HeaderMap } from '@skiff/routing';
import { compileAuthorization } from '@skiff/security';
import type { Observation, ObservedDestination } from './observation.js';
import { parseClusterName } from './observation.js';
import { parseRequest, type SimulatedRequest } from './request.js';
import type { MeshTestCase } from './schema.js';
import { simulate, type RouteReport } from './simulation.js';
import { findWorkload } from './workloads.js';

export interface OfflineMesh {
  resources: readonly Loaded[];
  /** The mesh's workloads as their proxies would announce them. */
  workloads: readonly WorkloadInfo[];
  options?: PrepareOptions;
}

/** The snapshots of a config directory's mesh, as its control plane would push them (each computed once). */
export function offlineSnapshots(mesh: OfflineMesh): (proxy: WorkloadInfo) => ProxySnapshot {
  const prepared: PreparedConfig = prepare(mesh.resources, mesh.workloads, mesh.options ?? {});
  const cache = new Map<string, ProxySnapshot>();
  return (proxy) => {
    let s = cache.get(proxy.id);
    if (!s) {
      s = ProxySnapshotSchema.parse(prepared.snapshotFor(proxy, 'offline').snapshot);
      cache.set(proxy.id, s);
    }
    return s;
  };
}

/**
 * Works a case out on the proxies' snapshots: a config directory's (offlineSnapshots), or those a
 * running control plane pushes (`skiff test --live` reads them to explain what it sees).
 */
export class CaseEvaluator {
  readonly #trustDomain: string;

  constructor(
    readonly workloads: readonly WorkloadInfo[],
    readonly snapshotOf: (proxy: WorkloadInfo) => ProxySnapshot,
    trustDomain = 'cluster.local',
  ) {
    this.#trustDomain = trustDomain;
  }

  /** The case's request worked out; an Error for a case that cannot be asked (unknown workload, bad URL). */
  evaluate(c: MeshTestCase): Observation | Error {
    const from = findWorkload(c.request.from, this.workloads);
    if (typeof from === 'string') return new Error(`request.from: ${from}`);
    let request: SimulatedRequest;
    try {
      request = parseRequest(c.request.method, c.request.url, c.request.headers);
    } catch (error) {
      return new Error(`request.url: ${(error as Error).message}`);
    }
    if (c.request.port !== undefined) request = { ...request, port: c.request.port };
    const total = c.request.repeat;
    const result = simulate({ snapshot: this.snapshotOf(from), proxy: from, request });
    const why = [`${from.id} (${from.kind}): ${result.reason}`];
    const notes: string[] = [];
    const obs: Observation = { caller: { id: from.id, namespace: from.namespace }, total, statuses: {}, destinations: [], why, notes };
    const answer = (status: number, count: number) => (obs.statuses[status] = (obs.statuses[status] ?? 0) + count);

    if (result.outcome !== 'matched' || !result.route) {
      if (from.kind === 'gateway' || result.outcome === 'no-route') {
        answer(404, total);
      } else if (this.snapshotOf(from).outboundTrafficPolicy === 'REGISTRY_ONLY') {
        why.push('the host is not in the mesh and outboundTrafficPolicy is REGISTRY_ONLY: BlackHoleCluster answers 502');
        answer(502, total);
      } else {
        notes.push(`${request.authority} is not in the mesh: the sidecar passes the request through (PassthroughCluster), so what answers is outside the mesh`);
      }
      return obs;
    }
    const route = result.route;
    obs.route = { fullName: route.name, ...(route.origin?.routeName ? { name: route.origin.routeName } : {}) };
    if (route.redirect) {
      answer(route.redirect.code, total);
      obs.responseHeaders = { location: route.redirect.location };
      return obs;
    }
    this.#describeRoute(route, obs);
    const live = route.destinations.filter((d) => d.weight > 0);
    this.#headers(request, route, live, obs);
    const sumWeights = live.reduce((a, d) => a + d.weight, 0);
    // Requests the fault aborts never reach a destination.
    const abortShare = (obs.fault?.abort?.percent ?? 0) / 100;
    if (obs.fault?.abort) {
      // A gRPC abort is an HTTP 200 whose grpc-status says the error (Envoy's fault filter).
      answer(obs.fault.abort.grpcStatus !== undefined ? 200 : obs.fault.abort.httpStatus, total * abortShare);
      why.push(`fault: abort ${obs.fault.abort.grpcStatus !== undefined ? `grpc-status ${obs.fault.abort.grpcStatus}` : obs.fault.abort.httpStatus} for ${obs.fault.abort.percent}% of requests`);
    }
    const forwarded = total * (1 - abortShare);
    for (const d of live) {
      const count = sumWeights === 0 ? 0 : (forwarded * d.weight) / sumWeights;
      const { host, port, subset } = parseClusterName(d.cluster);
      const destination: ObservedDestination = { cluster: d.cluster, host, port, count, ...(subset ? { subset } : {}) };
      obs.destinations.push(destination);
      if (!d.known || d.endpoints.length === 0) {
        why.push(`${d.cluster}: no endpoint, so the caller's proxy answers 503 (UH: no healthy upstream)`);
        answer(503, count);
        continue;
      }
      const verdict = this.#authorize(c, from, request, route, d.endpoints.map((e) => e.workload), port);
      why.push(`${d.cluster}: ${verdict.reason}`);
      answer(verdict.allowed ? 200 : 403, count);
      if (verdict.allowed) notes.push(`the app's own answer is taken as 200 offline (--live sends it)`);
    }
    obs.notes = [...new Set(notes)];
    return obs;
  }

  #describeRoute(route: RouteReport, obs: Observation): void {
    if (route.fault) obs.fault = route.fault;
    if (route.retries) obs.retries = { attempts: route.retries.attempts, retryOn: route.retries.retryOn, ...(route.retries.perTryTimeoutMs !== undefined ? { perTryTimeoutMs: route.retries.perTryTimeoutMs } : {}) };
    obs.timeoutMs = route.timeoutMs ?? 0;
    if (route.mirror) {
      const { host, subset } = parseClusterName(route.mirror.cluster);
      obs.mirror = { host, percent: route.mirror.percent, ...(subset ? { subset } : {}) };
    }
  }

  /** The route's header operations applied, as the caller's proxy applies them (Istio's http[].headers and route[].headers). */
  #headers(request: SimulatedRequest, route: RouteReport, live: RouteReport['destinations'], obs: Observation): void {
    const perDestination = new Set(live.map((d) => JSON.stringify(d.headers ?? {})));
    if (perDestination.size > 1) {
      obs.notes.push('its destinations set different headers; headers are judged only where every request gets the same');
      return;
    }
    const upstream: HeaderMap = structuredClone(request.headers);
    const response: HeaderMap = {};
    applyHeaderOperations(upstream, route.headers?.request);
    applyHeaderOperations(upstream, live[0]?.headers?.request);
    applyHeaderOperations(response, route.headers?.response);
    applyHeaderOperations(response, live[0]?.headers?.response);
    const flat = (h: HeaderMap): Record<string, string> => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]));
    obs.upstreamHeaders = flat(upstream);
    obs.responseHeaders = flat(response);
    obs.notes.push("response headers offline are only those the route sets (the app's own come with --live)");
  }

  /** The destination workloads' own AuthorizationPolicies on the caller's identity (the first endpoint's, as they share labels). */
  #authorize(c: MeshTestCase, from: WorkloadInfo, request: SimulatedRequest, route: RouteReport, endpointWorkloads: readonly string[], servicePort: number): { allowed: boolean; reason: string } {
    const target = this.workloads.find((w) => endpointWorkloads.includes(w.id));
    if (!target) return { allowed: true, reason: 'an endpoint outside the mesh (no sidecar): nothing authorizes' };
    const policies = this.snapshotOf(target).security?.authorization ?? [];
    const principal = c.request.principal ?? (from.kind === 'gateway' || from.kind === 'sidecar' ? workloadIdentity(this.#trustDomain, from.namespace, from.serviceAccount) : undefined);
    const path = route.upstreamPath ?? request.path;
    const decision = compileAuthorization(policies).evaluate({
      ...(principal ? { principal } : {}),
      ...(c.request.namespace ? { namespace: c.request.namespace } : {}),
      method: request.method,
      path,
      host: route.rewrite?.authority ?? request.authority,
      port: servicePort,
      headers: request.headers,
      ...(c.request.jwt ? { claims: c.request.jwt } : {}),
    });
    return { allowed: decision.allowed, reason: `${target.id}'s sidecar ${decision.allowed ? 'allows' : 'denies (403)'}: ${decision.reason}` };
  }
}
