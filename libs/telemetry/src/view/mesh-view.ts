// What the control plane tells the dashboard (apps/dashboard), over JSON and server-sent events.
// Types only: the dashboard's browser code imports them with `import type`, so nothing of node
// reaches the browser bundle.

/** One workload (a Deployment in Istio's terms: app + version), or a caller outside the mesh. */
export interface GraphNode {
  /** "<workload>.<namespace>", e.g. "reviews-v2.default" (the proxy id for meshed workloads). */
  id: string;
  workload: string;
  namespace: string;
  /** The `app` label ("reviews"), or the workload name when it has none. */
  app: string;
  /** The `version` label ("v2"), when the workload has one. */
  version?: string;
  kind: 'sidecar' | 'gateway' | 'unknown';
  /** A proxy of this workload is connected to the control plane now. */
  connected: boolean;
}

/** Traffic from one workload to one destination workload over the recent window. */
export interface GraphEdge {
  /** "<source id>-><destination id>". */
  id: string;
  source: string;
  destination: string;
  /** The service asked for, e.g. "reviews.default.svc.cluster.local". */
  service: string;
  /** Requests per second over the window. */
  rps: number;
  /** Requests in the window. */
  requests: number;
  /** Share of the window's requests answered 5xx (or not at all), 0..1. */
  errorRate: number;
  /** 99th percentile of duration in ms, from the histogram buckets; undefined with no requests. */
  p99Ms?: number;
  /** Share of what `source` sent to `service` that went to this destination (the version split), 0..1. */
  share: number;
  /** Every request of the window on this edge was mutual TLS. */
  mtls: boolean;
  /**
   * What the edge carries: HTTP requests, gRPC calls (request_protocol="grpc"), or TCP
   * connections (the istio_tcp_* metrics: `rps` and `requests` then count connections closed,
   * `share` is of connections, and there is no p99).
   */
  protocol: 'http' | 'grpc' | 'tcp';
  /** TCP: bytes per second both ways over the window. */
  bytesPerSecond?: number;
}

export interface MeshGraph {
  /** ISO time of the newest scrape in the window. */
  at: string;
  windowSeconds: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export interface ConfigIssueView {
  severity: 'error' | 'warning';
  /** One line a user can act on: file, resource, field, what to do. */
  text: string;
  file?: string;
}

export interface ConfigView {
  /** ISO time the config in force was loaded. */
  loadedAt: string;
  resources: Array<{ kind: string; name: string; namespace: string; file?: string }>;
  files: Array<{ file: string; rejected: boolean }>;
  issues: ConfigIssueView[];
}

export interface ProxyView {
  /** "reviews-v2.default". */
  id: string;
  kind: 'sidecar' | 'gateway';
  namespace: string;
  app?: string;
  version?: string;
  connectedAt: string;
  /** The proxy ACKed the newest config the control plane sent it. */
  synced: boolean;
  sentVersion: string;
  ackedVersion: string;
  pushes: number;
  nacks: number;
  lastNack?: string;
  /** Its workload certificate, when it has one. */
  identity?: { spiffeId: string; notAfter: string };
}

export interface TraceSummary {
  traceId: string;
  /** Name of the root span (or of the earliest span when the root has not arrived). */
  rootName: string;
  /** Service of each span, in order of first appearance. */
  services: string[];
  /** Epoch milliseconds. */
  startTime: number;
  durationMs: number;
  spanCount: number;
  /** A span of the trace has an error status or a 5xx code. */
  error: boolean;
}

export interface TraceSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** The `service.name` of the process that made the span, e.g. "reviews.default". */
  service: string;
  kind: 'server' | 'client' | 'internal' | 'producer' | 'consumer';
  /** Epoch milliseconds (fractional). */
  startTime: number;
  durationMs: number;
  attributes: Record<string, string | number | boolean>;
  error: boolean;
}

export interface TraceDetail {
  traceId: string;
  /** Sorted by start time. */
  spans: TraceSpan[];
}

/** A check of the scenario's current step, as the runner judged it. */
export interface ScenarioCheck {
  name: string;
  /** Absent for what is shown but not judged (e.g. the callers a sidecar saw). */
  ok?: boolean;
  detail: string;
}

/**
 * The scenario `skiff scenario run` is running (or ran last), as it reports it to the control
 * plane (POST /debug/scenario) for the dashboard.
 */
export interface ScenarioView {
  /** e.g. "canary", "fault". */
  name: string;
  summary: string;
  state: 'running' | 'passed' | 'failed' | 'interrupted';
  /** 1-based; `of` is unknown for a canary, whose step count depends on its analysis. */
  step: { index: number; of?: number; title: string; explain?: string };
  /** Route weights in force, by subset (a canary's primary and canary). */
  weights?: Record<string, number>;
  /** The current step's checks, as they complete. */
  checks: ScenarioCheck[];
  /** Once it ended: what it concluded. */
  verdict?: string;
  /** When the control plane last heard from the runner (ISO 8601). */
  updatedAt: string;
}

/**
 * Server-sent events on GET /api/events. Each event's `data` is the JSON of the named type;
 * every kind is sent once on connect, then whenever it changes.
 */
export interface DashboardEvents {
  graph: MeshGraph;
  config: ConfigView;
  proxies: ProxyView[];
  traces: TraceSummary[];
  /** null until a scenario has run since the control plane started. */
  scenario: ScenarioView | null;
}
