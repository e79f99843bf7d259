// The control plane's side of the discovery stream. It runs over mutual TLS: a stream is served
// only for the identity its certificate proves (admission.ts), each stream's workload is its own
// registry entry, and each proxy gets the snapshot of its own class, pushed when its content
// changes. ACK/NACK are tracked per proxy so `skiff` and the dashboard can show who runs which
// version. A plaintext port exists only behind --plaintext-xds-port, for debugging.
import { lookup as dnsLookup } from 'node:dns/promises';
import { portProtocolAdvice, type Loaded, type WorkloadInfo } from '@skiff/api';
import { discoveryServiceDefinition, grpc, mutualTlsServerCredentials, type DiscoveryRequest, type MutableCertificateProvider, type ServerDiscoveryStream } from '@skiff/protocol';
import { spiffeId } from '@skiff/pki';
import type { Logger } from '@skiff/telemetry';
import { addressProblem, admitNode, identityOfPeer, peerAddress, type Entitlements, type StreamPeer } from './admission.js';
import type { WorkloadRegistry } from './registry.js';
import { computeSnapshot, prepareConfig } from './snapshot-source.js';
import type { PreparedConfig } from '@skiff/configgen';
import type { DiscoveryMetrics } from '../metrics.js';

export interface ProxyConnection {
  /** This stream's registry key. */
  key: string;
  workload: WorkloadInfo;
  /** The SPIFFE ID the proxy's certificate proved; undefined on the plaintext debugging port. */
  identity?: string;
  /** Where the connection comes from. */
  peer: string;
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
  /** The sidecar's probe of its app, as last reported. */
  health?: { healthy: boolean; message: string; at: string };
  stream: ServerDiscoveryStream;
}

export interface DiscoveryServerOptions {
  registry: WorkloadRegistry;
  logger: Logger;
  resources: () => Loaded[];
  /**
   * After a start, proxies that already hold a config are left alone while the registry fills:
   * until `registryComplete` says every registration the control plane knew of is back, or this
   * time at the latest. Nothing is lost meanwhile: proxies keep serving what they have.
   */
  warmupUntil: number;
  registryComplete?: () => boolean;
  trustDomain: string;
  /** meshConfig.outboundTrafficPolicy.mode for every sidecar (default ALLOW_ANY). */
  outboundTrafficPolicy?: 'ALLOW_ANY' | 'REGISTRY_ONLY';
  /** Which services each identity may announce endpoints of. */
  entitlements: Entitlements;
  /** The serving certificate and the roots client certificates must chain to. */
  tls: MutableCertificateProvider;
  /** Pushes, ACK latency, NACKs and internal errors for /metrics. */
  metrics?: DiscoveryMetrics;
  /** False for workloads that must get no traffic though their proxy is connected (Kubernetes: pod not ready). */
  serving?: (workload: WorkloadInfo) => boolean;
  /** DNS for announced hostnames (tests replace it). */
  lookup?: (host: string) => Promise<string[]>;
}

const defaultLookup = async (host: string) => (await dnsLookup(host, { all: true })).map((a) => a.address);

export class DiscoveryServer {
  readonly connections = new Set<ProxyConnection>();
  readonly #server = new grpc.Server();
  #plaintextServer: grpc.Server | undefined;
  #nonce = 0;
  #streams = 0;
  #pushTimer: NodeJS.Timeout | undefined;
  #warmupTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: DiscoveryServerOptions) {
    this.#server.addService(discoveryServiceDefinition(), { Stream: (stream: ServerDiscoveryStream) => this.#onStream(stream, false) });
    options.registry.onChange(() => this.schedulePush());
    const warmupLeft = options.warmupUntil - Date.now();
    if (warmupLeft > 0) this.#warmupTimer = setTimeout(() => this.pushAll(), warmupLeft).unref();
  }

  /** Other services sharing the (mutual TLS) discovery port: the CA. */
  addService(definition: grpc.ServiceDefinition, handlers: grpc.UntypedServiceImplementation): void {
    this.#server.addService(definition, handlers);
  }

  /** The discovery port (Istio's 15012): mutual TLS. */
  listen(address: string): Promise<number> {
    return bind(this.#server, address, mutualTlsServerCredentials(this.options.tls), 'discovery server');
  }

  /** Istio's 15010: plaintext, for debugging only; every connection is logged as a warning. */
  listenPlaintext(address: string): Promise<number> {
    this.#plaintextServer = new grpc.Server();
    this.#plaintextServer.addService(discoveryServiceDefinition(), { Stream: (stream: ServerDiscoveryStream) => this.#onStream(stream, true) });
    this.options.logger.warn({ address }, 'discovery: a PLAINTEXT port is open (--plaintext-xds-port); any local process can read configs and announce endpoints through it. For debugging only');
    return bind(this.#plaintextServer, address, grpc.ServerCredentials.createInsecure(), 'plaintext discovery server');
  }

  #warmedUp = false;

  /** False while a restarted control plane still waits for the registrations it knew of. */
  get warmedUp(): boolean {
    return !this.#warming();
  }

  /** True while a restarted control plane still waits for registrations it knew of. */
  #warming(): boolean {
    if (this.#warmedUp) return false;
    if (Date.now() < this.options.warmupUntil && !(this.options.registryComplete?.() ?? false)) return true;
    this.#warmedUp = true;
    if (this.#warmupTimer) clearTimeout(this.#warmupTimer);
    this.options.logger.info({ proxies: this.connections.size }, 'warm-up over: the registry is complete (or the warm-up time has passed); pushing to every proxy');
    return false;
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
    const warming = this.#warming();
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
    return prepareConfig(this.options.resources(), serving ? workloads.filter(serving) : workloads, this.options.trustDomain, this.options.outboundTrafficPolicy);
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

  #refuse(stream: ServerDiscoveryStream, code: grpc.status, reason: 'unauthenticated' | 'identity' | 'address' | 'invalid', message: string, peer: StreamPeer, node?: unknown): void {
    this.options.metrics?.refused(reason);
    const identity = peer.identity ? spiffeId(peer.identity.trustDomain, peer.identity.namespace, peer.identity.serviceAccount) : undefined;
    this.options.logger.warn({ peer: peer.address, identity, node, reason: message }, `refused a discovery stream: ${message}`);
    endWithStatus(stream, code, message);
  }

  #onStream(stream: ServerDiscoveryStream, plaintext: boolean): void {
    const authContext = plaintext ? undefined : stream.getAuthContext();
    const peer: StreamPeer = { address: peerAddress(stream.getPeer()), plaintext, ...(plaintext ? {} : { identity: identityOfPeer(authContext) }) };
    if (plaintext) this.options.logger.warn({ peer: peer.address }, 'discovery: a PLAINTEXT connection; nothing about this proxy is verified (--plaintext-xds-port is for debugging only)');
    else if (!peer.identity) {
      // Refused before it can say anything: no certificate, no config and no endpoint.
      return this.#refuse(stream, grpc.status.UNAUTHENTICATED, 'unauthenticated', 'no workload certificate was presented: discovery runs over mutual TLS; give the proxy its bootstrap token (--token-file) and the mesh root (--root-cert)', peer);
    }
    let connection: ProxyConnection | undefined;
    let admitting = false;
    const early: DiscoveryRequest[] = [];
    const gone = () => {
      clearTimeout(expiry);
      if (!connection || !this.connections.has(connection)) return;
      this.connections.delete(connection);
      this.options.logger.info({ proxy: connection.workload.id }, 'proxy disconnected');
      this.options.registry.disconnected(connection.key);
    };
    // A stream lives no longer than the certificate it was opened with: the proxy reconnects
    // with the rotated one (and a revoked identity, once its certificate lapses, is gone).
    const validTo = authContext?.sslPeerCertificate?.valid_to ? Date.parse(authContext.sslPeerCertificate.valid_to) : NaN;
    const expiry = Number.isFinite(validTo)
      ? setTimeout(() => endWithStatus(stream, grpc.status.UNAVAILABLE, 'the workload certificate this stream was opened with has expired; reconnect with the current one'), Math.min(Math.max(0, validTo - Date.now()), 2 ** 31 - 1)).unref()
      : undefined;
    stream.on('data', (request: DiscoveryRequest) => {
      if (connection) return this.#onRequest(connection, request);
      if (admitting) return void early.push(request);
      admitting = true;
      void this.#admit(stream, request, peer).then((admitted) => {
        if (!admitted) return;
        connection = admitted;
        for (const later of early) this.#onRequest(admitted, later);
      });
    });
    stream.on('end', () => {
      gone();
      stream.end();
    });
    stream.on('error', gone);
    stream.on('cancelled', gone);
    stream.on('close', gone);
  }

  async #admit(stream: ServerDiscoveryStream, request: DiscoveryRequest, peer: StreamPeer): Promise<ProxyConnection | undefined> {
    const admission = admitNode(request.node, peer, { trustDomain: this.options.trustDomain, entitlements: this.options.entitlements });
    if (!admission.ok) {
      const code = { invalid: grpc.status.INVALID_ARGUMENT, unauthenticated: grpc.status.UNAUTHENTICATED, identity: grpc.status.PERMISSION_DENIED }[admission.kind];
      this.#refuse(stream, code, admission.kind, admission.reason, peer, request.node);
      return undefined;
    }
    if (!peer.plaintext) {
      const problem = await addressProblem(admission.workload.address, peer.address, this.options.lookup ?? defaultLookup);
      if (problem) {
        this.#refuse(stream, grpc.status.PERMISSION_DENIED, 'address', problem, peer, request.node);
        return undefined;
      }
    }
    if (stream.destroyed || stream.cancelled) return undefined;
    const health = request.health ? { healthy: request.health.healthy, message: request.health.message, at: new Date().toISOString() } : undefined;
    const connection: ProxyConnection = {
      key: `stream-${++this.#streams}`,
      workload: admission.workload,
      ...(peer.identity ? { identity: spiffeId(peer.identity.trustDomain, peer.identity.namespace, peer.identity.serviceAccount) } : {}),
      peer: peer.address,
      connectedAt: new Date().toISOString(),
      reportedVersion: request.versionInfo,
      // A proxy that already holds a version counts as having been sent it: if the content
      // is unchanged, pushAll will not send it again.
      sentVersion: request.versionInfo,
      sentNonce: '',
      ackedVersion: request.versionInfo,
      pushes: 0,
      nacks: 0,
      ...(health ? { health } : {}),
      stream,
    };
    this.connections.add(connection);
    this.options.logger.info({ proxy: connection.workload.id, identity: connection.identity ?? '(plaintext)', version: request.versionInfo || '(none)' }, 'proxy connected');
    const advice = portProtocolAdvice(connection.workload.servicePortName, connection.workload.appProtocol);
    if (advice) this.options.logger.warn({ proxy: connection.workload.id, port: connection.workload.servicePort }, advice);
    this.options.registry.register(connection.key, this.#registered(connection));
    if (!this.#warming() || request.versionInfo === '') this.#pushTo(connection, this.prepare());
    return connection;
  }

  /** The registry's view of a connection: its workload, and whether its app is healthy. */
  #registered(connection: ProxyConnection): WorkloadInfo {
    return connection.health?.healthy === false ? { ...connection.workload, healthy: false } : connection.workload;
  }

  #onRequest(connection: ProxyConnection, request: DiscoveryRequest): void {
    const health = request.health;
    if (health) {
      const flipped = health.healthy !== (connection.health?.healthy ?? true);
      connection.health = { healthy: health.healthy, message: health.message, at: new Date().toISOString() };
      if (flipped) {
        this.options.logger[health.healthy ? 'info' : 'warn']({ proxy: connection.workload.id, message: health.message }, health.healthy ? 'app is healthy again; its endpoint is back' : 'app is unhealthy; its endpoint is marked unhealthy');
        this.options.registry.register(connection.key, this.#registered(connection));
      }
    }
    if (request.responseNonce) this.#onAckOrNack(connection, request);
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
    await Promise.all([this.#server, this.#plaintextServer].map((server) => (server ? new Promise<void>((resolve) => server.tryShutdown(() => resolve())) : undefined)));
    this.#server.forceShutdown();
    this.#plaintextServer?.forceShutdown();
  }
}

/**
 * Ends a stream with a status the client sees. (grpc-js sends the status from the stream's own
 * 'error' handler; destroy() would drop the stream before that status goes out.)
 */
function endWithStatus(stream: ServerDiscoveryStream, code: grpc.status, message: string): void {
  stream.emit('error', Object.assign(new Error(message), { code }));
}

function bind(server: grpc.Server, address: string, credentials: grpc.ServerCredentials, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (error, port) => {
      if (error) reject(new Error(`${what} cannot bind ${address}: ${error.message}`));
      else resolve(port);
    });
  });
}
