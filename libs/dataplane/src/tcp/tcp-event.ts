// One proxied TCP connection as telemetry sees it (libs/telemetry's ObservedTcpConnection),
// reported when it opens and again when it closes.
import type { RequestEvent } from '../core/request-event.js';

export interface TcpEvent {
  reporter: 'source' | 'destination';
  phase: 'open' | 'close';
  startTime: number;
  durationMs: number;
  bytesReceived: number;
  bytesSent: number;
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

/** Reports a connection's open once and its close once, whatever path it ends on. */
export class TcpReport {
  readonly #t0 = performance.now();
  #opened = false;
  #closed = false;

  constructor(
    readonly event: TcpEvent,
    private readonly observer: TcpObserver | undefined,
  ) {}

  open(): void {
    if (this.#opened) return;
    this.#opened = true;
    this.observer?.({ ...this.event, phase: 'open' });
  }

  close(flag: string, bytesReceived: number, bytesSent: number): void {
    if (this.#closed) return;
    this.open();
    this.#closed = true;
    Object.assign(this.event, { phase: 'close', responseFlags: flag, bytesReceived, bytesSent, durationMs: performance.now() - this.#t0 });
    this.observer?.(this.event);
  }
}
