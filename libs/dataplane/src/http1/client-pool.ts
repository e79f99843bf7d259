// Keep-alive HTTP/1.1 connections to one upstream origin, on net or TLS sockets: a free
// connection is reused (most recently used first, so idle ones age out), a new one is opened up
// to the limit, and beyond it requests wait in order. Counters say what the pool holds, so a
// test can show no connection was left behind by an aborted exchange.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { ClientConnection } from './client-connection.js';
import type { UpstreamPool } from '../chain/upstream-connection.js';

export interface ClientPoolOptions {
  host: string;
  port: number;
  /** TLS to the upstream (mTLS to a peer sidecar: key, cert, ca, servername, identity check). */
  tls?: ConnectionOptions;
  /** Connections at once (default: unlimited). */
  maxConnections?: number;
  /** A free connection unused this long is closed; shorter than servers' idle timeouts (default 30 s). */
  idleTimeoutMs?: number;
  /** Envoy's connect_timeout (Istio's default 10 s). */
  connectTimeoutMs?: number;
  /** Envoy's max_requests_per_connection (0: unlimited). */
  maxRequestsPerConnection?: number;
}

export interface ClientPoolStats {
  /** Connections open (busy and free). */
  open: number;
  free: number;
  busy: number;
  /** Requests waiting for a connection. */
  waiting: number;
  /** Connections being opened. */
  connecting: number;
  opened: number;
  /** Connection attempts that failed. */
  connectFailures: number;
}

/** A failed connection attempt, with the code undici and Node use (ECONNREFUSED, ETIMEDOUT…). */
export class ConnectError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConnectError';
  }
}

interface Waiter {
  resolve: (connection: ClientConnection) => void;
  reject: (error: Error) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class ClientPool implements UpstreamPool {
  readonly protocol = 'HTTP/1.1';
  readonly #free: ClientConnection[] = [];
  readonly #all = new Set<ClientConnection>();
  readonly #waiters: Waiter[] = [];
  readonly #idleTimers = new Map<ClientConnection, NodeJS.Timeout>();
  #connecting = 0;
  #opened = 0;
  #connectFailures = 0;
  #closed = false;
  /** Retired: serves what is already waiting or running, then closes every connection. */
  #retired = false;

  constructor(readonly options: ClientPoolOptions) {}

  get stats(): ClientPoolStats {
    return {
      open: this.#all.size,
      free: this.#free.length,
      busy: this.#all.size - this.#free.length,
      waiting: this.#waiters.length,
      connecting: this.#connecting,
      opened: this.#opened,
      connectFailures: this.#connectFailures,
    };
  }

  /** A free connection now, without waiting, or undefined (then use acquire). */
  tryAcquire(): ClientConnection | undefined {
    return this.#closed ? undefined : this.#takeFree();
  }

  /** A connection for one exchange; hand it back by letting the exchange complete (or destroy it). */
  acquire(signal?: AbortSignal): Promise<ClientConnection> {
    if (this.#closed) return Promise.reject(new ConnectError('ECLOSED', 'the pool is closed'));
    const free = this.#takeFree();
    if (free) return Promise.resolve(free);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined };
      if (signal) {
        if (signal.aborted) return reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        waiter.onAbort = () => {
          const at = this.#waiters.indexOf(waiter);
          if (at >= 0) this.#waiters.splice(at, 1);
          reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#waiters.push(waiter);
      this.#grow();
    });
  }

  /** True once retired or closed: callers that cache a pool take a fresh one from UpstreamPools. */
  get retired(): boolean {
    return this.#retired || this.#closed;
  }

  /**
   * Closes gracefully (a config push removed the origin, or a certificate rotated): free
   * connections close now, busy ones when their exchange ends, and requests already waiting are
   * still served.
   */
  retire(): void {
    this.#retired = true;
    for (const connection of this.#free.splice(0)) {
      const timer = this.#idleTimers.get(connection);
      if (timer) clearTimeout(timer);
      this.#idleTimers.delete(connection);
      connection.destroy();
    }
  }

  close(): void {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new ConnectError('ECLOSED', 'the pool is closed'));
    for (const connection of this.#all) connection.destroy();
  }

  #takeFree(): ClientConnection | undefined {
    while (this.#free.length > 0) {
      const connection = this.#free.pop() as ClientConnection;
      const timer = this.#idleTimers.get(connection);
      if (timer) clearTimeout(timer);
      this.#idleTimers.delete(connection);
      if (!connection.closed) return connection;
    }
    return undefined;
  }

  #grow(): void {
    const limit = this.options.maxConnections ?? Infinity;
    while (this.#waiters.length > this.#connecting && this.#all.size + this.#connecting < limit) this.#open();
  }

  #open(): void {
    this.#connecting++;
    const { host, port, tls } = this.options;
    const socket: Socket = tls ? tlsConnect({ ...tls, host, port }) : netConnect({ host, port });
    const timeout = setTimeout(() => socket.destroy(Object.assign(new Error(`connect to ${host}:${port} timed out`), { code: 'ETIMEDOUT' })), this.options.connectTimeoutMs ?? 10_000);
    const onError = (error: Error & { code?: string }) => {
      clearTimeout(timeout);
      this.#connecting--;
      this.#connectFailures++;
      // Every waiter beyond the attempts still under way learns of it: the origin is failing.
      const failing = this.#waiters.splice(0, Math.max(1, this.#waiters.length - this.#connecting));
      for (const waiter of failing) {
        if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
        waiter.reject(new ConnectError(error.code ?? 'ECONNRESET', `cannot connect to ${host}:${port}: ${error.message}`));
      }
    };
    socket.once('error', onError);
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timeout);
      socket.off('error', onError);
      this.#connecting--;
      this.#opened++;
      const connection = new ClientConnection(socket);
      this.#all.add(connection);
      connection.onIdle = (c) => this.#release(c);
      connection.onClose = (c) => this.#forget(c);
      this.#release(connection);
    });
  }

  #release(connection: ClientConnection): void {
    const max = this.options.maxRequestsPerConnection ?? 0;
    if (this.#closed || (max > 0 && connection.requests >= max)) {
      connection.destroy();
      this.#forget(connection);
      this.#grow();
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) {
      if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(connection);
      return;
    }
    if (this.#retired) {
      connection.destroy();
      return;
    }
    this.#free.push(connection);
    const timer = setTimeout(() => {
      this.#idleTimers.delete(connection);
      const at = this.#free.indexOf(connection);
      if (at >= 0) this.#free.splice(at, 1);
      connection.destroy();
    }, this.options.idleTimeoutMs ?? 30_000);
    timer.unref();
    this.#idleTimers.set(connection, timer);
  }

  #forget(connection: ClientConnection): void {
    if (!this.#all.delete(connection)) return;
    const at = this.#free.indexOf(connection);
    if (at >= 0) this.#free.splice(at, 1);
    const timer = this.#idleTimers.get(connection);
    if (timer) clearTimeout(timer);
    this.#idleTimers.delete(connection);
    if (!this.#closed) this.#grow();
  }
}
