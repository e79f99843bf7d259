// Envoy's HTTP connection manager, for the codec: each accepted socket becomes a ServerConnection
// with the listener's limits, each request an HttpExchange run through the filter chain built
// for the config it arrived under (one chain per listener per config push, kept while the
// snapshot lives). Every data listener — inbound, outbound, gateway — is one of these.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '@skiff/telemetry';
import type { CompiledSnapshot } from '../core/compiled-snapshot.js';
import { badRequest, connectRefused, upgradeRefused } from '../core/errors.js';
import { forwardableHeaders } from '../core/hop-by-hop.js';
import { PEER_METADATA_HEADER } from '../core/peer-metadata.js';
import type { RequestEvent } from '../core/request-event.js';
import { requestTarget } from '../core/request-target.js';
import type { SnapshotHolder } from '../core/snapshot-holder.js';
import { replyOnStream } from '../core/stream-reply.js';
import type { DownstreamGuard } from '../downstream/downstream-guard.js';
import { recordOf } from '../http1/field-list.js';
import { ServerConnection, type ServerConnectionOptions } from '../http1/server-connection.js';
import type { DownstreamStream } from './downstream-stream.js';
import { upgradeDecision } from '../upgrade/upgrade-policy.js';
import { Http2Acceptor, sniffHttp2Preface } from '../http2/h2-acceptor.js';
import type { FilterChain } from './filter-chain.js';
import { HttpExchange } from './http-exchange.js';

export interface ConnectionManagerOptions {
  /** e.g. "outbound", "gateway :80" (logs). */
  name: string;
  holder: SnapshotHolder;
  guard: DownstreamGuard;
  logger: Logger;
  /** The listener's filters for a config (undefined: no config yet). */
  buildChain: (snapshot: CompiledSnapshot | undefined) => FilterChain;
  /** Who sends the request on, for its event (the proxy itself; inbound: the caller, set by a filter). */
  source: RequestEvent['source'];
  /** CONNECT is tunnelled by a filter of this listener (the outbound one); elsewhere it gets 403. */
  allowConnect?: boolean;
}

const UNKNOWN_SOURCE: RequestEvent['source'] = { workload: 'unknown', namespace: 'unknown' };

export class HttpConnectionManager {
  readonly #options: ConnectionManagerOptions;
  readonly #connectionOptions: ServerConnectionOptions;
  readonly #connections = new Set<ServerConnection>();
  readonly #chains = new WeakMap<CompiledSnapshot, FilterChain>();
  readonly #h2: Http2Acceptor;
  #unconfigured: FilterChain | undefined;

  constructor(options: ConnectionManagerOptions) {
    this.#options = options;
    const { limits } = options.guard;
    this.#h2 = new Http2Acceptor((stream) => this.#onStream(stream), {
      maxHeadBytes: limits.maxHeadBytes,
      idleTimeoutMs: limits.idleTimeoutMs,
      streamIdleTimeoutMs: limits.streamIdleTimeoutMs,
      onRefused: (why, socket) => options.logger.debug({ listener: options.name, remote: socket.remoteAddress, why }, 'HTTP/2 stream refused'),
    });
    this.#connectionOptions = {
      limits: { maxHeadBytes: limits.maxHeadBytes, maxHeaders: 100 },
      requestHeadersTimeoutMs: limits.requestHeadersTimeoutMs,
      idleTimeoutMs: limits.idleTimeoutMs,
      streamIdleTimeoutMs: limits.streamIdleTimeoutMs,
      // Envoy logs codec refusals at debug: a client's bad bytes are not the proxy's trouble.
      onProtocolError: (error, socket) => options.logger.debug({ listener: options.name, remote: socket.remoteAddress, status: error.status, detail: error.detail, why: error.message }, 'request refused: not valid HTTP/1.1'),
    };
  }

  /**
   * Serves a socket the listener has admitted (plaintext, or TLS already terminated): HTTP/2 when
   * TLS negotiated h2 or the client opens with HTTP/2's preface (prior knowledge, as gRPC
   * clients speak to a sidecar), HTTP/1.1 otherwise.
   */
  accept(socket: Socket): void {
    if ((socket as TLSSocket).alpnProtocol === 'h2') return this.#h2.accept(socket);
    sniffHttp2Preface(socket, (http2) => {
      if (http2) return this.#h2.accept(socket);
      const connection = new ServerConnection(socket, (stream) => this.#onStream(stream), this.#connectionOptions);
      this.#connections.add(connection);
      socket.once('close', () => this.#connections.delete(connection));
    });
  }

  /** The filter chain for a config: built on first use after a push, then reused. */
  chainFor(snapshot: CompiledSnapshot | undefined): FilterChain {
    if (!snapshot) return (this.#unconfigured ??= this.#options.buildChain(undefined));
    let chain = this.#chains.get(snapshot);
    if (!chain) {
      chain = this.#options.buildChain(snapshot);
      this.#chains.set(snapshot, chain);
    }
    return chain;
  }

  /**
   * On shutdown: closes connections with no request in flight now, and the others as soon as
   * their request is done (checked every 100 ms until none is left).
   */
  closeIdleConnections(): void {
    const sweep = () => {
      for (const connection of this.#connections) if (connection.idle) connection.destroy();
      if (this.#connections.size === 0) clearInterval(timer);
    };
    const timer = setInterval(sweep, 100);
    timer.unref();
    sweep();
    this.#h2.closeSessions();
  }

  get connections(): number {
    return this.#connections.size + this.#h2.sessions;
  }

  #onStream(stream: DownstreamStream): void {
    const { refusal, done } = this.#options.guard.beginRequest(stream.socket);
    const received = recordOf(stream.head.headers);
    const host = received['host'];
    const requested = requestTarget(stream.head.target, typeof host === 'string' ? host : undefined);
    if (typeof requested === 'string') {
      done();
      return replyOnStream(stream, badRequest(requested));
    }
    // The forwarded copy; the codec writes each side's framing itself.
    const headers = forwardableHeaders(received);
    delete headers['content-length'];
    // Only a sidecar may say who the caller is, and only to its peer over mTLS.
    delete headers[PEER_METADATA_HEADER];
    headers['host'] = requested.authority;
    // TE is hop-by-hop, but "trailers" says the client takes trailers, which gRPC servers want
    // to hear (Envoy keeps TE: trailers and drops any other value).
    const te = received['te'];
    if (typeof te === 'string' && hasTrailersToken(te)) headers['te'] = 'trailers';
    const snapshot = this.#options.holder.current;
    const x = new HttpExchange(stream, snapshot, this.chainFor(snapshot), received, headers, requested, this.#options.source ?? UNKNOWN_SOURCE);
    x.onComplete = done;
    if (refusal) return x.answer({ ...refusal, headers: { 'x-envoy-overloaded': 'true' } });
    if (stream.head.method === 'CONNECT' && !this.#options.allowConnect) return x.answer(connectRefused());
    const upgrade = upgradeDecision(stream.head);
    if (upgrade.kind === 'refuse') return x.answer(upgradeRefused(upgrade.status, upgrade.reason));
    if (upgrade.kind === 'tunnel') x.upgrade = upgrade.protocol;
    x.chain.run(x);
  }
}

function hasTrailersToken(te: string): boolean {
  for (const token of te.toLowerCase().split(',')) if (token.split(';')[0]?.trim() === 'trailers') return true;
  return false;
}
