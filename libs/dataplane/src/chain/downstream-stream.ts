// One request from a client as the filter chain sees it, whatever the connection speaks: an
// HTTP/1.1 ServerStream (http1/server-connection.ts) or an HTTP/2 stream (http2/). The head is
// HTTP/1's shape for both (an HTTP/2 request's pseudo-headers become method, target and host);
// the body comes as data then trailers; the answer goes out as a head, data and trailers.
import type { Socket } from 'node:net';
import type { RequestHead } from '../http1/head-parser.js';

export type DownstreamProtocol = 'HTTP/1.1' | 'HTTP/2';

export interface DownstreamStream {
  readonly protocol: DownstreamProtocol;
  readonly head: RequestHead;
  /** The connection's socket: its peer address and, over TLS, the peer's certificate. */
  readonly socket: Socket;
  /** The client went away, or broke the protocol, before the exchange was over. */
  onReset: ((reason: string) => void) | undefined;
  readonly responseStarted: boolean;
  /** Response body bytes written, and request body bytes received. */
  bytesSent: number;
  bytesReceived: number;
  /** Starts reading the request body. */
  readBody(onData: (chunk: Buffer) => void, onEnd: (trailers: string[]) => void): void;
  pause(): void;
  resume(): void;
  /** The response head: end-to-end fields only; each protocol adds its own framing. */
  respond(status: number, headers: readonly string[], endStream: boolean, contentLength?: number): void;
  /** False when the client's side is full (wait for onDrain). */
  write(chunk: Buffer): boolean;
  end(trailers?: readonly string[]): void;
  onDrain(callback: () => void): void;
  /** Abandons the exchange (HTTP/1.1 closes the connection; HTTP/2 resets the stream). */
  reset(): void;
  /** After a 101: the connection leaves HTTP (HTTP/1.1 only). */
  takeOver(): { socket: Socket; pending: Buffer; idleTimeoutMs: number };
}
