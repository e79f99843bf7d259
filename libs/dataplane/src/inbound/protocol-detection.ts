// Protocol sniffing on an inbound port whose protocol is not declared (Istio's automatic protocol
// selection, Envoy's http_inspector): the first bytes the client sends say HTTP/1.x (a method and
// a space), HTTP/2 (the connection preface), or anything else, which is carried as TCP. A client
// that sends nothing (a server-first protocol such as MySQL's) is carried as TCP once the
// detection timeout passes.
import type { Socket } from 'node:net';
import { HTTP2_PREFACE } from '../http2/h2-acceptor.js';

export type DetectedProtocol = 'http' | 'tcp';

/**
 * How long a TCP or undeclared port waits for a client's first bytes. Istio's meshConfig
 * protocolDetectionTimeout defaults to 0s (wait forever), which leaves a server-first protocol
 * hanging; Skiff waits 5 s (Istio's default until 1.8; Linkerd waits 10 s).
 */
export const DEFAULT_PROTOCOL_DETECTION_TIMEOUT_MS = 5_000;

/** The longest method token worth waiting for (RFC 9110 methods in use are at most 7 letters; Envoy's inspector reads up to its own limit). */
const MAX_METHOD = 24;

/** What the bytes so far say: a protocol, or undefined while more are needed. */
export function classifyFirstBytes(data: Buffer): DetectedProtocol | undefined {
  const h2 = Math.min(data.length, HTTP2_PREFACE.length);
  if (data.subarray(0, h2).equals(HTTP2_PREFACE.subarray(0, h2))) return data.length >= HTTP2_PREFACE.length ? 'http' : undefined;
  for (let i = 0; i < data.length && i <= MAX_METHOD; i++) {
    const c = data[i] as number;
    if (c === 0x20) return i > 0 ? 'http' : 'tcp';
    // tchar: an HTTP method is a token (RFC 9110 section 5.6.2); in practice upper-case letters, '-' and '_'.
    if (!((c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x5f)) return 'tcp';
  }
  return data.length > MAX_METHOD ? 'tcp' : undefined;
}

/** Reads until the protocol is known (or `timeoutMs` passes: TCP), puts the bytes back, and calls `done` with the socket paused. */
export function detectProtocol(socket: Socket, timeoutMs: number, done: (protocol: DetectedProtocol) => void): void {
  let buffered = Buffer.alloc(0);
  let finished = false;
  const finish = (protocol: DetectedProtocol) => {
    if (finished) return;
    finished = true;
    if (timer) clearTimeout(timer);
    socket.off('data', onData);
    socket.pause();
    if (buffered.length > 0) socket.unshift(buffered);
    done(protocol);
  };
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    const protocol = classifyFirstBytes(buffered);
    if (protocol) finish(protocol);
  };
  const timer = timeoutMs > 0 ? setTimeout(() => finish('tcp'), timeoutMs) : undefined;
  socket.once('close', () => timer && clearTimeout(timer));
  socket.on('data', onData);
  socket.resume();
}
