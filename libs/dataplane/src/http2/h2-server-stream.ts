// One HTTP/2 request stream as a DownstreamStream: node's nghttp2-based Http2Stream underneath
// (node:http2 is the well-kept HTTP/2 implementation here; unlike HTTP/1, no hand-written codec
// was measured to be needed), in the shape the filter chain reads. Trailers travel as HTTP/2
// trailers both ways, which gRPC needs.
import type { Socket } from 'node:net';
import { constants, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { DownstreamStream } from '../chain/downstream-stream.js';
import type { RequestHead } from '../http1/head-parser.js';
import { flatList, outgoingHeaders } from './h2-head.js';

const NO_TRAILERS: string[] = [];

export class H2ServerStream implements DownstreamStream {
  onReset: ((reason: string) => void) | undefined;
  responseStarted = false;
  responseComplete = false;
  bytesSent = 0;
  bytesReceived = 0;
  #trailers: readonly string[] = NO_TRAILERS;
  #requestTrailers: string[] = NO_TRAILERS;
  #noBody = false;

  constructor(
    readonly h2: ServerHttp2Stream,
    readonly head: RequestHead,
    readonly socket: Socket,
  ) {
    h2.on('error', () => undefined); // 'close' follows and says what matters
    h2.once('close', () => {
      if (!this.responseComplete) this.onReset?.(`the client reset the HTTP/2 stream (code ${h2.rstCode})`);
    });
    h2.on('trailers', (trailers: IncomingHttpHeaders) => (this.#requestTrailers = flatList(trailers)));
  }

  get protocol(): 'HTTP/2' {
    return 'HTTP/2';
  }

  readBody(onData: (chunk: Buffer) => void, onEnd: (trailers: string[]) => void): void {
    this.h2.on('data', (chunk: Buffer) => {
      this.bytesReceived += chunk.length;
      onData(chunk);
    });
    this.h2.once('end', () => onEnd(this.#requestTrailers));
  }

  pause(): void {
    this.h2.pause();
  }

  resume(): void {
    this.h2.resume();
  }

  respond(status: number, headers: readonly string[], endStream: boolean, contentLength = -1): void {
    if (this.responseStarted) throw new Error('response already started');
    this.responseStarted = true;
    if (this.h2.destroyed || this.h2.closed) return;
    this.#noBody = this.head.method === 'HEAD' || status === 204 || status === 304;
    const out = outgoingHeaders(headers, { [constants.HTTP2_HEADER_STATUS]: status });
    if (contentLength >= 0 && status !== 204 && status !== 304) out['content-length'] = contentLength;
    // Trailers may follow any body (gRPC always sends them): the stream stays open for them.
    this.h2.respond(out, { endStream, waitForTrailers: !endStream });
    if (endStream) this.responseComplete = true;
    else this.h2.once('wantTrailers', () => this.h2.sendTrailers(outgoingHeaders(this.#trailers)));
  }

  write(chunk: Buffer): boolean {
    if (this.#noBody || chunk.length === 0 || this.h2.destroyed) return true;
    this.bytesSent += chunk.length;
    return this.h2.write(chunk);
  }

  end(trailers: readonly string[] = NO_TRAILERS): void {
    if (this.responseComplete) return;
    this.responseComplete = true;
    this.#trailers = trailers;
    if (!this.h2.destroyed) this.h2.end();
  }

  onDrain(callback: () => void): void {
    this.h2.once('drain', callback);
  }

  /** RST_STREAM: HTTP/2 cancels one stream and keeps the connection. */
  reset(): void {
    this.responseComplete = true;
    if (!this.h2.destroyed) this.h2.close(constants.NGHTTP2_INTERNAL_ERROR);
  }

  takeOver(): never {
    throw new Error('an HTTP/2 stream cannot leave HTTP (upgrades are HTTP/1.1 only)');
  }
}
