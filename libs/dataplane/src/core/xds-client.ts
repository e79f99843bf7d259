// The proxy's side of the discovery stream: announce the node (over mutual TLS, with the
// workload certificate), apply each pushed snapshot atomically and ACK it, or NACK it and keep
// the last good one, and report the app's health when it changes. When the control plane goes
// away the proxy keeps serving what it has and reconnects with capped exponential backoff.
import { parseSnapshot, type WorkloadInfo } from '@skiff/api';
import { createDiscoveryClient, grpc, snapshotJsonOf, type AggregatedDiscoveryClient, type DiscoveryResponse, type DiscoveryStream, type DiscoveryTransport, type WorkloadHealthMessage } from '@skiff/protocol';
import type { Logger } from '@skiff/telemetry';
import { CompiledSnapshot } from './compiled-snapshot.js';
import type { SnapshotHolder } from './snapshot-holder.js';

export interface XdsStatus {
  controlPlane: string;
  connected: boolean;
  version: string;
  acks: number;
  nacks: number;
  lastNack?: { version: string; error: string; at: string };
  reconnects: number;
  lastUpdate?: string;
  /** Why the control plane ended the last stream, when it said (a refusal names what was wrong). */
  lastError?: string;
}

export interface XdsClientOptions {
  controlPlane: string;
  transport: DiscoveryTransport;
  node: WorkloadInfo;
  holder: SnapshotHolder;
  logger: Logger;
  maxBackoffMs?: number;
}

export class XdsClient {
  readonly status: XdsStatus;
  #client: AggregatedDiscoveryClient | undefined;
  #stream: DiscoveryStream | undefined;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #health: WorkloadHealthMessage | undefined;

  constructor(private readonly options: XdsClientOptions) {
    this.status = { controlPlane: options.controlPlane, connected: false, version: '', acks: 0, nacks: 0, reconnects: 0 };
  }

  start(): void {
    this.#connect();
  }

  /** The app's health as the sidecar's probe sees it; sent now and on every reconnect. */
  setHealth(health: WorkloadHealthMessage): void {
    this.#health = health;
    this.#stream?.write({ versionInfo: this.status.version, responseNonce: '', health });
  }

  #connect(): void {
    if (this.#stopped) return;
    // A fresh channel for each attempt: a channel that failed keeps a reconnect backoff of its
    // own, which would add to ours and stretch a reconnect past the documented 2 s cap.
    this.#client ??= createDiscoveryClient(this.options.controlPlane, this.options.transport);
    const stream = this.#client.Stream();
    this.#stream = stream;
    const node = this.options.node;
    stream.write({
      node: {
        id: node.id,
        kind: node.kind,
        service: node.service,
        namespace: node.namespace,
        serviceAccount: node.serviceAccount,
        labels: node.labels,
        address: node.address,
        inboundPort: node.inboundPort,
        servicePort: node.servicePort,
        adminPort: node.adminPort ?? 0,
        servicePortName: node.servicePortName ?? '',
        appProtocol: node.appProtocol ?? '',
      },
      versionInfo: this.status.version,
      responseNonce: '',
      ...(this.#health ? { health: this.#health } : {}),
    });
    const openedAt = Date.now();
    stream.on('data', (response: DiscoveryResponse) => {
      if (!this.status.connected) {
        this.status.connected = true;
        this.options.logger.info({ controlPlane: this.options.controlPlane }, 'connected to control plane');
      }
      this.#apply(stream, response);
    });
    stream.on('metadata', () => {
      // Headers arrive as soon as the control plane accepts the stream, before any push.
      this.status.connected = true;
    });
    const onGone = (error?: Error & { code?: number }) => {
      if (this.#stream !== stream) return;
      this.#stream = undefined;
      const wasConnected = this.status.connected;
      this.status.connected = false;
      if (this.#stopped) return;
      // A stream that lived a while resets the backoff; one refused at once does not, so a
      // refused proxy retries every couple of seconds rather than in a tight loop.
      if (Date.now() - openedAt > 5_000) this.#attempt = 0;
      if (error?.message) this.status.lastError = error.message;
      this.#client?.close();
      this.#client = undefined;
      const refused = error?.code === grpc.status.PERMISSION_DENIED || error?.code === grpc.status.UNAUTHENTICATED || error?.code === grpc.status.INVALID_ARGUMENT;
      if (refused) this.options.logger.error({ error: error?.message }, 'the control plane refused this proxy; fix what it names (the proxy keeps retrying)');
      else if (wasConnected) this.options.logger.warn({ error: error?.message }, 'lost the control plane; serving the last config and reconnecting');
      else if (this.#attempt % 10 === 0) this.options.logger.warn({ error: error?.message, attempts: this.#attempt + 1 }, `cannot reach the control plane at ${this.options.controlPlane}; retrying`);
      this.#scheduleReconnect();
    };
    stream.on('error', (error: Error) => onGone(error));
    stream.on('end', () => onGone());
  }

  #apply(stream: DiscoveryStream, response: DiscoveryResponse): void {
    try {
      const snapshot = parseSnapshot(snapshotJsonOf(response));
      const compiled = new CompiledSnapshot(snapshot, this.options.holder.current);
      this.options.holder.swap(compiled);
      this.status.version = response.versionInfo;
      this.status.acks += 1;
      this.status.lastUpdate = new Date().toISOString();
      stream.write({ versionInfo: response.versionInfo, responseNonce: response.nonce });
      this.options.logger.info({ version: response.versionInfo }, 'applied config');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.status.nacks += 1;
      this.status.lastNack = { version: response.versionInfo, error: message, at: new Date().toISOString() };
      stream.write({ versionInfo: this.status.version, responseNonce: response.nonce, errorDetail: { message } });
      this.options.logger.error({ version: response.versionInfo, error: message }, 'rejected config (NACK); keeping the last good one');
    }
  }

  #scheduleReconnect(): void {
    const max = this.options.maxBackoffMs ?? 2000;
    const base = Math.min(max, 100 * 2 ** this.#attempt);
    this.#attempt += 1;
    const delay = base / 2 + Math.random() * (base / 2); // jitter, so proxies do not reconnect in lockstep
    this.status.reconnects += 1;
    this.#timer = setTimeout(() => this.#connect(), delay);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#stream?.cancel();
    this.#client?.close();
  }
}
