// The service graph from Istio's metrics, the way Kiali draws it from Prometheus: edges from
// the client side's istio_requests_total (reporter="source"), plus the server side's for
// callers outside the mesh (source_workload="unknown"); p99 from the duration histogram. gRPC
// edges are the requests with request_protocol="grpc"; TCP edges come from the istio_tcp_*
// series (connections closed, bytes both ways), as Kiali draws its TCP edges.
import type { Sample } from '../metrics/parse-prometheus.js';
import type { GraphEdge, GraphNode, MeshGraph } from './mesh-view.js';
import type { WindowIncrease } from './metrics-window.js';

export interface KnownWorkload {
  id: string;
  workload: string;
  namespace: string;
  kind: 'sidecar' | 'gateway';
  labels: Record<string, string>;
  connected: boolean;
}

export const GRAPH_METRICS = new Set(['istio_requests_total', 'istio_request_duration_milliseconds_bucket', 'istio_tcp_connections_closed_total', 'istio_tcp_sent_bytes_total', 'istio_tcp_received_bytes_total']);

interface EdgeAccumulator {
  source: string;
  destination: string;
  service: string;
  protocol: 'http' | 'grpc' | 'tcp';
  requests: number;
  errors: number;
  mtlsRequests: number;
  bytes: number;
  buckets: Map<number, number>;
}

const isCounted = (s: Sample) => s.labels['reporter'] === 'source' || (s.labels['reporter'] === 'destination' && s.labels['source_workload'] === 'unknown');

function nodeIdOf(workload: string | undefined, namespace: string | undefined): string {
  return `${workload || 'unknown'}.${namespace || 'unknown'}`;
}

/** Prometheus' histogram_quantile over cumulative buckets (linear inside the bucket). */
export function histogramQuantile(q: number, buckets: ReadonlyMap<number, number>): number | undefined {
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const total = sorted.find(([le]) => le === Infinity)?.[1] ?? sorted[sorted.length - 1]?.[1] ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of sorted) {
    if (count >= rank) {
      if (le === Infinity) return prevLe;
      if (count === prevCount) return le;
      return prevLe + ((le - prevLe) * (rank - prevCount)) / (count - prevCount);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

export function buildMeshGraph(window: WindowIncrease, windowSeconds: number, known: readonly KnownWorkload[]): MeshGraph {
  const edges = new Map<string, EdgeAccumulator>();
  const nodes = new Map<string, GraphNode>();
  for (const w of known) {
    nodes.set(w.id, { id: w.id, workload: w.workload, namespace: w.namespace, app: w.labels['app'] ?? w.workload, ...(w.labels['version'] ? { version: w.labels['version'] } : {}), kind: w.kind, connected: w.connected });
  }
  const seen = (id: string, workload: string, namespace: string, app: string | undefined, version: string | undefined) => {
    if (nodes.has(id)) return;
    nodes.set(id, { id, workload, namespace, app: app && app !== 'unknown' ? app : workload, ...(version && version !== 'unknown' ? { version } : {}), kind: 'unknown', connected: false });
  };
  const edgeFor = (s: Sample, protocol: EdgeAccumulator['protocol']): EdgeAccumulator => {
    const l = s.labels;
    const source = nodeIdOf(l['source_workload'], l['source_workload_namespace']);
    const destination = nodeIdOf(l['destination_workload'], l['destination_workload_namespace']);
    seen(source, l['source_workload'] || 'unknown', l['source_workload_namespace'] || 'unknown', l['source_app'], l['source_version']);
    seen(destination, l['destination_workload'] || 'unknown', l['destination_workload_namespace'] || 'unknown', l['destination_app'], l['destination_version']);
    // One edge per pair and kind: HTTP and gRPC requests, and TCP connections, are drawn apart.
    const id = protocol === 'http' ? `${source}->${destination}` : `${source}->${destination} ${protocol}`;
    let edge = edges.get(id);
    if (!edge) {
      edge = { source, destination, service: l['destination_service'] ?? 'unknown', protocol, requests: 0, errors: 0, mtlsRequests: 0, bytes: 0, buckets: new Map() };
      edges.set(id, edge);
    }
    return edge;
  };
  const requestKind = (s: Sample) => (s.labels['request_protocol'] === 'grpc' ? 'grpc' : 'http');
  for (const s of window.samples) {
    if (!isCounted(s)) continue;
    if (s.name === 'istio_requests_total') {
      const edge = edgeFor(s, requestKind(s));
      edge.requests += s.value;
      // A gRPC call fails inside an HTTP 200: its grpc_response_status says (0 is OK), as Kiali
      // reads gRPC edges; without one (the call never got an answer) the HTTP code decides.
      const code = Number(s.labels['response_code']);
      const grpcStatus = s.labels['grpc_response_status'];
      const failed = requestKind(s) === 'grpc' && grpcStatus !== undefined && grpcStatus !== '' ? grpcStatus !== '0' : !(code > 0 && code < 500);
      if (failed) edge.errors += s.value;
      if (s.labels['connection_security_policy'] === 'mutual_tls') edge.mtlsRequests += s.value;
    } else if (s.name === 'istio_request_duration_milliseconds_bucket') {
      const le = s.labels['le'] === '+Inf' ? Infinity : Number(s.labels['le']);
      const edge = edgeFor(s, requestKind(s));
      edge.buckets.set(le, (edge.buckets.get(le) ?? 0) + s.value);
    } else if (s.name === 'istio_tcp_connections_closed_total') {
      const edge = edgeFor(s, 'tcp');
      edge.requests += s.value;
      // A connection that could not be routed or was refused carries one of Envoy's failure flags.
      if (/\b(UF|UH|NR|NC|UO|URX|RBAC)\b/.test(s.labels['response_flags'] ?? '')) edge.errors += s.value;
      if (s.labels['connection_security_policy'] === 'mutual_tls') edge.mtlsRequests += s.value;
    } else if (s.name === 'istio_tcp_sent_bytes_total' || s.name === 'istio_tcp_received_bytes_total') {
      edgeFor(s, 'tcp').bytes += s.value;
    }
  }
  const seconds = window.spanMs > 0 ? window.spanMs / 1000 : windowSeconds;
  const perService = new Map<string, number>();
  for (const e of edges.values()) {
    const key = `${e.source} ${e.service} ${e.protocol}`;
    perService.set(key, (perService.get(key) ?? 0) + e.requests);
  }
  const out: GraphEdge[] = [];
  for (const [id, e] of edges) {
    if (e.requests <= 0) continue;
    const p99 = histogramQuantile(0.99, e.buckets);
    out.push({
      id,
      source: e.source,
      destination: e.destination,
      service: e.service,
      rps: e.requests / seconds,
      requests: e.requests,
      errorRate: e.errors / e.requests,
      ...(p99 !== undefined ? { p99Ms: p99 } : {}),
      share: e.requests / (perService.get(`${e.source} ${e.service} ${e.protocol}`) ?? e.requests),
      mtls: e.mtlsRequests === e.requests,
      protocol: e.protocol,
      ...(e.protocol === 'tcp' ? { bytesPerSecond: e.bytes / seconds } : {}),
    });
  }
  return {
    at: new Date(window.newest || 0).toISOString(),
    windowSeconds,
    nodes: [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id)),
    edges: out.sort((a, b) => a.id.localeCompare(b.id)),
  };
}
