// The control plane's side of the discovery stream. Each connected proxy gets its own snapshot;
// pushes happen when that snapshot's content changes, and ACK/NACK are tracked per proxy so
// `skiff` and the dashboard can show who runs which version.
import type { Loaded, WorkloadInfo } from '@skiff/api';
import { discoveryServiceDefinition, grpc, type DiscoveryRequest, type ServerDiscoveryStream } from '@skiff/protocol';
import type { Logger } from '@skiff/telemetry';
import { workloadFromNode } from './node.js';
import type { WorkloadRegistry } from './registry.js';
import { computeSnapshot, prepareConfig } from './snapshot-source.js';
import type { PreparedConfig } from '@skiff/configgen';
import type { DiscoveryMetrics } from '../metrics.js';

export interface ProxyConnection {
  workload: WorkloadInfo;
  connectedAt: string;
  /** Version the proxy said it had when it connected (after a control-plane restart). */
  reportedVersion: string;
  sentVersion: string;
  sentNonce: string;
  sentAt?: number;
  ackedVersion: string;
  lastAckAt?: string;
  lastPushLatencyMs?: number;
  pushes: number;
  nacks: number;
  lastNack?: { version: string; error: string; at: string };
  stream: ServerDiscoveryStream;
}

export interface DiscoveryServerOptions {
  registry: WorkloadRegistry;
  logger: Logger;
  resources: () => Loaded[];
  /** Until then, proxies that already hold a config are left alone while the registry fills. */
  warmupUntil: number;
  trustDomain: string;
  /** Pushes, ACK latency, NACKs and internal errors for /metrics. */
  metrics?: DiscoveryMetrics;
  /** False for workloads that must get no traffic though their proxy is connected (Kubernetes: pod not ready). */
  serving?: (workload: WorkloadInfo) => boolean;
}

export class DiscoveryServer {
  readonly connections = new Set<ProxyConnection>();
  readonly #server = new grpc.Server();
  #nonce = 0;
  #pushTimer: NodeJS.Timeout | undefined;
  #warmupTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: DiscoveryServerOptions) {
    this.#server.addService(discoveryServiceDefinition(), { Stream: (stream: ServerDiscoveryStream) => this.#onStream(stream) });
    options.registry.onChange(() => this.schedulePush());
    const warmupLeft = options.warmupUntil - Date.now();
    if (warmupLeft > 0) this.#warmupTimer = setTimeout(() => this.pushAll(), warmupLeft).unref();
  }

  /** Other services sharing the discovery port (the CA). */
  addService(definition: grpc.ServiceDefinition, handlers: grpc.UntypedServiceImplementation): void {
    this.#server.addService(definition, handlers);
  }

  listen(address: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, port) => {
        if (error) reject(new Error(`discovery server cannot bind ${address}: ${error.message}`));
        else resolve(port);
      });
    });
  }

  /** Coalesces bursts (many proxies starting at once) into one round of pushes. */
  schedulePush(delayMs = 20): void {
    if (this.#pushTimer) return;
    this.#pushTimer = setTimeout(() => {
      this.#pushTimer = undefined;
      this.pushAll();
    }, delayMs);
  }

  pushAll(): void {
    const t0 = performance.now();
    const prepared = this.prepare();
    const t1 = performance.now();
    const warming = Date.now() < this.options.warmupUntil;
    let sent = 0;
    for (const connection of this.connections) {
      if (warming && connection.reportedVersion !== '' && connection.sentVersion === connection.reportedVersion) continue;
      if (this.#pushTo(connection, prepared)) sent++;
    }
    // As istiod's "Push Status": one line per round, so a slow push shows where its time went.
    if (sent > 0) this.options.logger.info({ proxies: sent, of: this.connections.size, prepareMs: Math.round(t1 - t0), sendMs: Math.round(performance.now() - t1) }, 'pushed a new config');
  }

  /** The config in force and the registry, prepared once for a round of pushes. */
  prepare(): PreparedConfig {
    const serving = this.options.serving;
    const workloads = this.options.registry.list();
    return prepareConfig(this.options.resources(), serving ? workloads.filter(serving) : workloads, this.options.trustDomain);
  }

  /** Sends the proxy its snapshot unless it already has it; true when something was sent. */
  #pushTo(connection: ProxyConnection, prepared: PreparedConfig): boolean {
    let computed;
    try {
      computed = computeSnapshot(prepared, connection.workload);
    } catch (error) {
      this.options.logger.error({ proxy: connection.workload.id, error: error instanceof Error ? error.stack : String(error) }, 'cannot compute snapshot; proxy keeps its current config');
      this.options.metrics?.internalError();
      return false;
    }
    if (computed.version === connection.sentVersion) return false;
    const nonce = String(++this.#nonce);
    connection.sentVersion = computed.version;
    connection.sentNonce = nonce;
    connection.sentAt = performance.now();
    connection.pushes += 1;
    this.options.metrics?.pushed();
    connection.stream.write({ versionInfo: computed.version, nonce, snapshotGzip: computed.gzip });
    this.options.logger.debug({ proxy: connection.workload.id, version: computed.version }, 'pushed config');
    return true;
  }

  #onStream(stream: ServerDiscoveryStream): void {
    let connection: ProxyConnection | undefined;
    stream.on('data', (request: DiscoveryRequest) => {
      if (!connection) {
        const workload = workloadFromNode(request.node);
        if (typeof workload === 'string') {
          this.options.logger.warn({ error: workload }, 'refused a discovery stream');
          stream.destroy(Object.assign(new Error(workload), { code: grpc.status.INVALID_ARGUMENT }));
          return;
        }
        connection = {
          workload,
          connectedAt: new Date().toISOString(),
          reportedVersion: request.versionInfo,
          // A proxy that already holds a version counts as having been sent it: if the content
          // is unchanged, pushAll will not send it again.
          sentVersion: request.versionInfo,
          sentNonce: '',
          ackedVersion: request.versionInfo,
          pushes: 0,
          nacks: 0,
          stream,
        };
        this.connections.add(connection);
        this.options.logger.info({ proxy: workload.id, version: request.versionInfo || '(none)' }, 'proxy connected');
        this.options.registry.upsert(workload);
        const warming = Date.now() < this.options.warmupUntil;
        if (!warming || request.versionInfo === '') this.#pushTo(connection, this.prepare());
        return;
      }
      this.#onAckOrNack(connection, request);
    });
    const gone = () => {
      if (!connection || !this.connections.has(connection)) return;
      this.connections.delete(connection);
      this.options.logger.info({ proxy: connection.workload.id }, 'proxy disconnected');
      const stillConnected = [...this.connections].some((c) => c.workload.id === connection?.workload.id);
      if (!stillConnected) this.options.registry.disconnected(connection.workload.id);
    };
    stream.on('end', () => {
      gone();
      stream.end();
    });
    stream.on('error', gone);
    stream.on('cancelled', gone);
    stream.on('close', gone);
  }

  #onAckOrNack(connection: ProxyConnection, request: DiscoveryRequest): void {
    if (request.responseNonce !== connection.sentNonce) return; // answers an older push; a newer one is in flight
    if (request.errorDetail?.message) {
      connection.nacks += 1;
      this.options.metrics?.rejected();
      connection.lastNack = { version: connection.sentVersion, error: request.errorDetail.message, at: new Date().toISOString() };
      this.options.logger.error({ proxy: connection.workload.id, version: connection.sentVersion, error: request.errorDetail.message }, 'proxy rejected config (NACK)');
      return;
    }
    connection.ackedVersion = request.versionInfo;
    connection.lastAckAt = new Date().toISOString();
    if (connection.sentAt !== undefined) {
      connection.lastPushLatencyMs = Math.round((performance.now() - connection.sentAt) * 100) / 100;
      this.options.metrics?.acked(connection.lastPushLatencyMs / 1000);
    }
  }

  async close(): Promise<void> {
    if (this.#pushTimer) clearTimeout(this.#pushTimer);
    if (this.#warmupTimer) clearTimeout(this.#warmupTimer);
    for (const c of this.connections) c.stream.end();
    await new Promise<void>((resolve) => this.#server.tryShutdown(() => resolve()));
    this.#server.forceShutdown();
  }
}
