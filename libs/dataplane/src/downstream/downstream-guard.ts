// What every data listener does for its downstream connections, before any request is routed:
// Envoy's listener connection limit, its HTTP connection manager's timeouts, and the overload
// manager's actions (overload-policy.ts). The request-headers clock starts when the connection
// is accepted (node:http's started at a request's first byte, so a connection that sent nothing
// was never closed); the codec's connections take the timeouts from `limits`.
import type { Socket } from 'node:net';
import type { Logger } from '@skiff/telemetry';
import type { LocalReply } from '../core/errors.js';
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

  /** A request head arrived: it counts as in flight until done() (call it once); a refusal means answer it so. */
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
}

function noop(): void {
  // nothing left to release
}

function peerKey(socket: Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}`;
}
