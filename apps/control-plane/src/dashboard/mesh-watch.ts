// Keeps the dashboard's picture of the mesh current: every few seconds it scrapes each connected
// proxy's admin port (/stats/prometheus for the graph, /certs for its identity), rebuilds the
// graph over the recent window, and publishes whatever changed to the dashboard's event stream.
import { formatIssue, type ValidationIssue } from '@skiff/api';
import { buildMeshGraph, GRAPH_METRICS, MetricsWindow, parsePrometheusText, type ConfigView, type DashboardEvents, type KnownWorkload, type Logger, type MeshGraph, type ProxyView, type TraceStore, type TraceSummary } from '@skiff/telemetry';
import type { ConfigSet } from '../config/config-set.js';
import type { DiscoveryServer } from '../discovery/discovery-server.js';
import type { EventStream } from './event-stream.js';

export interface MeshWatchOptions {
  discovery: DiscoveryServer;
  config: () => ConfigSet;
  /** Findings across files and against the registry, shown with the validation messages. */
  analysis?: () => readonly ValidationIssue[];
  configLoadedAt: () => Date;
  traces: TraceStore;
  events: EventStream<DashboardEvents>;
  logger: Logger;
  /** How often proxies are scraped (default 2 s). */
  intervalMs?: number;
  /** The graph's rate window (default 10 s: short, so a workshop sees a change soon). */
  windowSeconds?: number;
}

interface ProxyCert {
  spiffeId: string;
  notAfter: string;
}

export class MeshWatch {
  readonly #window: MetricsWindow;
  readonly #certs = new Map<string, ProxyCert>();
  #timer: NodeJS.Timeout | undefined;
  #graph: MeshGraph;
  #running = false;

  constructor(private readonly options: MeshWatchOptions) {
    this.#window = new MetricsWindow((options.windowSeconds ?? 10) * 1000);
    this.#graph = { at: new Date(0).toISOString(), windowSeconds: options.windowSeconds ?? 10, nodes: [], edges: [] };
  }

  start(): void {
    this.publishConfig();
    void this.tick();
    this.#timer = setInterval(() => void this.tick(), this.options.intervalMs ?? 2000);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  graph(): MeshGraph {
    return this.#graph;
  }

  proxies(): ProxyView[] {
    return [...this.options.discovery.connections].map((c) => {
      const w = c.workload;
      const cert = this.#certs.get(w.id);
      return {
        id: w.id,
        kind: w.kind,
        namespace: w.namespace,
        ...(w.labels['app'] ? { app: w.labels['app'] } : {}),
        ...(w.labels['version'] ? { version: w.labels['version'] } : {}),
        connectedAt: c.connectedAt,
        synced: c.sentVersion === c.ackedVersion,
        sentVersion: c.sentVersion,
        ackedVersion: c.ackedVersion,
        pushes: c.pushes,
        nacks: c.nacks,
        ...(c.lastNack ? { lastNack: `${c.lastNack.at} ${c.lastNack.version}: ${c.lastNack.error}` } : {}),
        ...(cert ? { identity: cert } : {}),
      };
    });
  }

  /** Recent traces that are complete: none of their spans arrived in the last 2 s (proxies batch for 1 s). */
  traces(limit = 50): TraceSummary[] {
    return this.options.traces.list(limit, Date.now() - 2000);
  }

  configView(): ConfigView {
    const config = this.options.config();
    return {
      loadedAt: this.options.configLoadedAt().toISOString(),
      resources: config.resources.map((r) => ({ kind: r.kind, name: r.metadata.name, namespace: r.metadata.namespace, file: r.source.file })),
      files: config.files.map((f) => ({ file: f.file, rejected: f.rejected })),
      issues: [...config.issues, ...(this.options.analysis?.() ?? [])].map((i) => ({ severity: i.severity, text: formatIssue(i), file: i.file })),
    };
  }

  /** Call when the config changed, so the dashboard shows it without waiting for a tick. */
  publishConfig(): void {
    this.options.events.publish('config', this.configView());
    this.options.events.publish('proxies', this.proxies());
  }

  async tick(): Promise<void> {
    if (this.#running) return; // a slow scrape must not pile up behind itself
    this.#running = true;
    try {
      const connections = [...this.options.discovery.connections];
      await Promise.all(connections.map((c) => this.#scrape(c.workload.id, c.workload.address, c.workload.adminPort)));
      this.#window.retain(new Set(connections.map((c) => c.workload.id)));
      const known: KnownWorkload[] = connections.map((c) => ({ id: c.workload.id, workload: c.workload.id.slice(0, c.workload.id.lastIndexOf('.')) || c.workload.id, namespace: c.workload.namespace, kind: c.workload.kind, labels: c.workload.labels, connected: true }));
      this.#graph = buildMeshGraph(this.#window.increase(), this.#window.windowMs / 1000, known);
      const { events } = this.options;
      events.publish('graph', this.#graph);
      events.publish('proxies', this.proxies());
      events.publish('traces', this.traces());
    } catch (error) {
      this.options.logger.warn({ error: String(error) }, 'dashboard: cannot refresh the mesh view');
    } finally {
      this.#running = false;
    }
  }

  async #scrape(id: string, address: string, adminPort: number | undefined): Promise<void> {
    if (!adminPort) return;
    const base = `http://${address.includes(':') ? `[${address}]` : address}:${adminPort}`;
    try {
      const [stats, certs] = await Promise.all([
        fetch(`${base}/stats/prometheus`, { signal: AbortSignal.timeout(1500) }).then((r) => (r.ok ? r.text() : '')),
        fetch(`${base}/certs`, { signal: AbortSignal.timeout(1500) }).then((r) => (r.ok ? (r.json() as Promise<{ identity?: { spiffeId?: string; notAfter?: string } | null }>) : undefined)),
      ]);
      this.#window.add(id, Date.now(), parsePrometheusText(stats), (name) => GRAPH_METRICS.has(name));
      const identity = certs?.identity;
      if (identity?.spiffeId && identity.notAfter) this.#certs.set(id, { spiffeId: identity.spiffeId, notAfter: identity.notAfter });
    } catch (error) {
      // A proxy that is starting or stopping; the next tick tries again.
      this.options.logger.debug({ proxy: id, error: String(error) }, 'dashboard: scrape failed');
    }
  }
}
