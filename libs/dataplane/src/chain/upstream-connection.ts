// What the router's attempts need from an upstream, whatever it speaks: a pool that lends one
// exchange at a time (an HTTP/1.1 keep-alive connection, or a stream on a shared HTTP/2
// connection) and the exchange itself: send a head, stream the body, hear the response.
import type { ClientPoolStats } from '../http1/client-pool.js';
import type { ClientRequestHead, RequestBodyFraming, ResponseEvents } from '../http1/client-connection.js';

export type UpstreamProtocol = 'HTTP/1.1' | 'HTTP/2';

export interface UpstreamConnection {
  readonly closed: boolean;
  send(request: ClientRequestHead, framing: RequestBodyFraming, events: ResponseEvents): boolean;
  /** Request body bytes; false when the upstream cannot take more now (wait for onDrain). */
  write(chunk: Buffer): boolean;
  end(trailers?: readonly string[]): void;
  /** Stops (and restarts) reading the response: the client cannot take more now. */
  pause(): void;
  resume(): void;
  /** Abandons the exchange. */
  destroy(): void;
  onDrain(callback: () => void): void;
}

export interface UpstreamPool {
  readonly options: { host: string; port: number };
  readonly protocol: UpstreamProtocol;
  readonly stats: ClientPoolStats;
  readonly retired: boolean;
  tryAcquire(): UpstreamConnection | undefined;
  acquire(signal?: AbortSignal): Promise<UpstreamConnection>;
  retire(): void;
  close(): void;
}
