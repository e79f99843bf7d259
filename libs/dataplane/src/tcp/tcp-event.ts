// One proxied TCP connection as telemetry sees it (libs/telemetry's ObservedTcpConnection),
// reported when it opens, every few seconds while bytes move, and when it closes.
import type { RequestEvent } from '../core/request-event.js';

export interface TcpEvent {
  reporter: 'source' | 'destination';
  phase: 'open' | 'progress' | 'close';
  startTime: number;
  durationMs: number;
  /** Totals so far (at close: the connection's). */
  bytesReceived: number;
  bytesSent: number;
  /** progress and close: the bytes since the previous report, which metrics count. */
  newBytesReceived?: number;
  newBytesSent?: number;
  responseFlags: string;
  route?: string;
  upstreamCluster?: string;
  upstreamHost?: string;
  authority?: string;
  source: RequestEvent['source'];
  destination: RequestEvent['destination'];
  connectionSecurityPolicy: 'mutual_tls' | 'none';
}

export type TcpObserver = (event: TcpEvent) => void;

/**
 * How often a long connection's bytes are reported while it is open: Istio's stats filter
 * default (`tcp_reporting_duration`, 5 s in istio/proxy's istio_stats.cc), so a long-lived
 * connection shows in istio_tcp_*_bytes_total before it closes.
 */
export const TCP_REPORTING_MS = 5_000;

/** Reports a connection's open once and its close once, whatever path it ends on, and its bytes while it lasts. */
export class TcpReport {
  readonly #t0 = performance.now();
  #opened = false;
  #closed = false;
  #reported = { received: 0, sent: 0 };
  #ticker: NodeJS.Timeout | undefined;

  constructor(
    readonly event: TcpEvent,
    private readonly observer: TcpObserver | undefined,
  ) {}

  open(): void {
    if (this.#opened) return;
    this.#opened = true;
    this.observer?.({ ...this.event, phase: 'open' });
  }

  /** Reports the bytes `read` counts every `everyMs` until close, when they moved. */
  track(read: () => { received: number; sent: number }, everyMs = TCP_REPORTING_MS): void {
    if (this.#closed || !this.observer || this.#ticker) return;
    this.#ticker = setInterval(() => {
      const now = read();
      const newBytesReceived = now.received - this.#reported.received;
      const newBytesSent = now.sent - this.#reported.sent;
      if (newBytesReceived === 0 && newBytesSent === 0) return;
      this.#reported = { received: now.received, sent: now.sent };
      this.observer?.({ ...this.event, phase: 'progress', bytesReceived: now.received, bytesSent: now.sent, newBytesReceived, newBytesSent, durationMs: performance.now() - this.#t0 });
    }, everyMs).unref();
  }

  close(flag: string, bytesReceived: number, bytesSent: number): void {
    if (this.#closed) return;
    this.open();
    this.#closed = true;
    if (this.#ticker) clearInterval(this.#ticker);
    const newBytesReceived = bytesReceived - this.#reported.received;
    const newBytesSent = bytesSent - this.#reported.sent;
    Object.assign(this.event, { phase: 'close', responseFlags: flag, bytesReceived, bytesSent, newBytesReceived, newBytesSent, durationMs: performance.now() - this.#t0 });
    this.observer?.(this.event);
  }
}
