// The proxy's side of the discovery stream: announce the node, apply each pushed snapshot
// atomically and ACK it, or NACK it and keep the last good one. When the control plane goes
// away the proxy keeps serving what it has and reconnects with capped exponential backoff.
import { parseSnapshot, type WorkloadInfo } from '@skiff/api';
import { createDiscoveryClient, snapshotJsonOf, type AggregatedDiscoveryClient, type DiscoveryResponse, type DiscoveryStream } from '@skiff/protocol';
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
}

export interface XdsClientOptions {
  controlPlane: string;
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

  constructor(private readonly options: XdsClientOptions) {
    this.status = { controlPlane: options.controlPlane, connected: false, version: '', acks: 0, nacks: 0, reconnects: 0 };
  }

  start(): void {
    this.#client = createDiscoveryClient(this.options.controlPlane);
    this.#connect();
  }

  #connect(): void {
    if (this.#stopped || !this.#client) return;
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
      },
      versionInfo: this.status.version,
      responseNonce: '',
    });
    stream.on('data', (response: DiscoveryResponse) => {
      if (!this.status.connected) {
        this.status.connected = true;
        this.#attempt = 0;
        this.options.logger.info({ controlPlane: this.options.controlPlane }, 'connected to control plane');
      }
      this.#apply(stream, response);
    });
    stream.on('metadata', () => {
      // Headers arrive as soon as the control plane accepts the stream, before any push.
      this.status.connected = true;
      this.#attempt = 0;
    });
    const onGone = (error?: Error) => {
      if (this.#stream !== stream) return;
      this.#stream = undefined;
      const wasConnected = this.status.connected;
      this.status.connected = false;
      if (this.#stopped) return;
      if (wasConnected) this.options.logger.warn({ error: error?.message }, 'lost the control plane; serving the last config and reconnecting');
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
