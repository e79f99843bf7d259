// What every data listener does for its downstream connections, before any request is routed:
// Envoy's listener connection limit, its HTTP connection manager's timeouts, and the overload
// manager's actions (overload-policy.ts). node:http's own timers miss the cases hostile clients
// use: its headers timeout starts at a request's first byte, so a connection that sends nothing
// was never closed; here the clock starts when the connection is accepted.
import type { IncomingMessage, Server as HttpServer, ServerOptions, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '@skiff/telemetry';
import type { LocalReply } from '../core/errors.js';
import { localReplyFlags } from '../core/forward.js';
import { nonConformance } from './request-conformance.js';
import type { OverloadMonitor } from './overload-monitor.js';
import type { OverloadState } from './overload-policy.js';

export interface DownstreamLimits {
  /** From accepting a connection (or a head's first byte) to the end of the request head. Envoy's request_headers_timeout; 10 s as in Envoy's edge-proxy guide. */
  requestHeadersTimeoutMs: number;
  /**
   * A connection with no request in flight is closed after this. Envoy's idle_timeout is 1 h; a
   * Node socket costs more memory than an Envoy one, and clients' pools close theirs after a few
   * seconds, so Skiff keeps 65 s (longer than those pools, so clients close first).
   */
  idleTimeoutMs: number;
  /** No byte either way while a request is in flight: the connection is closed. Envoy's stream_idle_timeout, 5 min. */
  streamIdleTimeoutMs: number;
  /** Connections at once on this listener; more are closed as they come. */
  maxConnections: number;
  /** A request head's size cap in bytes: larger ones get 431. Envoy's max_request_headers_kb, 60 KiB. */
  maxHeadBytes: number;
}

export const DEFAULT_DOWNSTREAM_LIMITS: DownstreamLimits = {
  requestHeadersTimeoutMs: 10_000,
  idleTimeoutMs: 65_000,
  streamIdleTimeoutMs: 300_000,
  maxConnections: 8192,
  maxHeadBytes: 60 * 1024,
};

export interface DownstreamStats {
  /** Connections open now. */
  active: number;
  accepted: number;
  /** Closed at accept: over maxConnections with every connection busy. */
  refusedOverLimit: number;
  /** Idle connections closed to make room for a new one at maxConnections. */
  evictedForRoom: number;
  /** Closed at accept, or requests answered 503: the overload manager's refuse action. */
  refusedOverload: number;
  requestsRefusedOverload: number;
  /** No complete request head in time. */
  headersTimeouts: number;
  /** Idle connections closed to relieve pressure. */
  shedIdle: number;
}

interface Tracked {
  inFlight: number;
  headersTimer: NodeJS.Timeout | undefined;
  socket: Socket;
}

export const overloaded = (): LocalReply => ({ status: 503, body: 'proxy overloaded: try again shortly\n', flag: 'OM' });

export class DownstreamGuard {
  readonly limits: DownstreamLimits;
  readonly stats: DownstreamStats = { active: 0, accepted: 0, refusedOverLimit: 0, evictedForRoom: 0, refusedOverload: 0, requestsRefusedOverload: 0, headersTimeouts: 0, shedIdle: 0 };
  // Keyed by the peer's address and port: a TLS socket a request arrives on wraps the raw socket
  // admitted here, and both report the same peer.
  readonly #connections = new Map<string, Tracked>();
  readonly #unsubscribe: (() => void) | undefined;

  constructor(
    private readonly name: string,
    private readonly logger: Logger,
    limits: Partial<DownstreamLimits> = {},
    private readonly overload?: OverloadMonitor,
  ) {
    this.limits = { ...DEFAULT_DOWNSTREAM_LIMITS, ...limits };
    this.#unsubscribe = overload?.onChange((state) => this.#relieve(state));
  }

  /** Options for the listener's http.Server: node's own timers set from the limits. */
  httpServerOptions(): ServerOptions {
    return {
      keepAlive: true,
      keepAliveTimeout: this.limits.idleTimeoutMs,
      headersTimeout: this.limits.requestHeadersTimeoutMs,
      // Envoy has no whole-request timeout by default; node's 300 s one would cut long uploads.
      requestTimeout: 0,
      maxHeaderSize: this.limits.maxHeadBytes,
      // node checks headersTimeout in sweeps; the default 30 s sweep would let a slow head live 40 s.
      connectionsCheckingInterval: Math.min(1000, this.limits.requestHeadersTimeoutMs),
    };
  }

  /** Applies the limits node reads from the server instance (socket inactivity = stream idle). */
  configure(server: HttpServer): void {
    server.timeout = this.limits.streamIdleTimeoutMs;
    server.keepAliveTimeout = this.limits.idleTimeoutMs;
    server.headersTimeout = this.limits.requestHeadersTimeoutMs;
    server.requestTimeout = 0;
    server.on('close', () => this.close());
  }

  /** At accept: false (and the socket is closed) over the connection cap or under overload. */
  admit(socket: Socket): boolean {
    if (this.overload?.state.level === 'refuse') {
      this.stats.refusedOverload++;
      socket.destroy();
      return false;
    }
    // At the cap, the oldest connection with no request in flight makes room (idle sockets are
    // cheap to open, so a flood of them must not lock out clients with real requests).
    if (this.#connections.size >= this.limits.maxConnections && this.#evictOldestIdle()) this.stats.evictedForRoom++;
    if (this.#connections.size >= this.limits.maxConnections) {
      this.stats.refusedOverLimit++;
      if (this.stats.refusedOverLimit === 1 || this.stats.refusedOverLimit % 1000 === 0) {
        this.logger.warn({ listener: this.name, maxConnections: this.limits.maxConnections, refused: this.stats.refusedOverLimit }, 'connection refused: the listener is at its connection limit (--max-connections)');
      }
      socket.destroy();
      return false;
    }
    const key = peerKey(socket);
    const tracked: Tracked = { inFlight: 0, headersTimer: undefined, socket };
    this.#connections.set(key, tracked);
    this.stats.accepted++;
    this.stats.active = this.#connections.size;
    tracked.headersTimer = setTimeout(() => {
      this.stats.headersTimeouts++;
      this.logger.debug({ listener: this.name, remote: socket.remoteAddress }, 'connection closed: no complete request head within the request headers timeout');
      socket.destroy();
    }, this.limits.requestHeadersTimeoutMs);
    tracked.headersTimer.unref();
    socket.once('close', () => {
      if (tracked.headersTimer) clearTimeout(tracked.headersTimer);
      if (this.#connections.get(key) === tracked) this.#connections.delete(key);
      this.stats.active = this.#connections.size;
    });
    return true;
  }

  /** A request head arrived: the connection is busy until its response ends. A reply means refuse it. */
  onRequest(req: IncomingMessage, res: ServerResponse): LocalReply | undefined {
    const { refusal, done } = this.beginRequest(req.socket);
    res.once('close', done);
    return refusal;
  }

  /** The same for any codec: the request counts as in flight until done() (call it once). */
  beginRequest(socket: Socket): { refusal: LocalReply | undefined; done: () => void } {
    const tracked = this.#connections.get(peerKey(socket));
    let done = noop;
    if (tracked) {
      if (tracked.headersTimer) {
        clearTimeout(tracked.headersTimer);
        tracked.headersTimer = undefined;
      }
      tracked.inFlight++;
      done = () => {
        tracked.inFlight--;
        done = noop;
      };
    }
    if (this.overload?.state.level === 'refuse') {
      this.stats.requestsRefusedOverload++;
      return { refusal: overloaded(), done: () => done() };
    }
    return { refusal: undefined, done: () => done() };
  }

  close(): void {
    this.#unsubscribe?.();
    for (const tracked of this.#connections.values()) if (tracked.headersTimer) clearTimeout(tracked.headersTimer);
  }

  #evictOldestIdle(): boolean {
    for (const [key, tracked] of this.#connections) {
      if (tracked.inFlight > 0) continue;
      this.#connections.delete(key);
      tracked.socket.destroy();
      return true;
    }
    return false;
  }

  /** Envoy's reduce_timeouts, taken to its end: connections without a request in flight go first. */
  #relieve(state: OverloadState): void {
    if (state.level === 'normal') return;
    for (const tracked of this.#connections.values()) {
      if (tracked.inFlight > 0) continue;
      this.stats.shedIdle++;
      tracked.socket.destroy();
    }
  }

  /**
   * Wraps a listener's request handler: the guard sees each request first and answers those it
   * refuses (overload 503, or a request HTTP/1.1 forbids) itself, closing the connection after.
   */
  wrap(handler: (req: IncomingMessage, res: ServerResponse) => void): (req: IncomingMessage, res: ServerResponse) => void {
    return (req, res) => {
      const refusal = this.onRequest(req, res) ?? nonConformance(req);
      if (!refusal) return handler(req, res);
      if (refusal.flag === 'DPE') this.logger.debug({ listener: this.name, remote: req.socket.remoteAddress, status: refusal.status, why: refusal.body.trim() }, 'request refused: not valid HTTP/1.1');
      localReplyFlags.set(res, refusal.flag);
      const body = refusal.body;
      res.writeHead(refusal.status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), connection: 'close', ...(refusal.flag === 'OM' ? { 'x-envoy-overloaded': 'true' } : {}) });
      res.end(body);
    };
  }
}

function noop(): void {
  // nothing left to release
}

function peerKey(socket: Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}`;
}
