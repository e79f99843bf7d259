// Sends one request to an upstream over a pooled connection and streams the answer back.
// Streaming both ways keeps memory flat for large bodies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { classifyUpstreamError, type LocalReply } from './errors.js';
import { forwardableHeaders, type HeaderMap } from './hop-by-hop.js';
import { AbortLatch } from './abort-latch.js';
import { relayBody } from './relay-body.js';

export interface ForwardResult {
  status: number;
  /** Envoy response flag when the proxy answered itself ("UF", "UT", ...), else "-". */
  flag: string;
  /** Set when the request failed before anything was sent upstream, so it is safe to retry. */
  retriable: boolean;
  /** With retriable: the reply to send if the caller gives up. */
  reply?: LocalReply;
}

export function requestHasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

/** The response flag of each local reply, for access logs and metrics (no header leaks it). */
export const localReplyFlags = new WeakMap<ServerResponse, string>();

export function sendLocalReply(res: ServerResponse, reply: LocalReply, extraHeaders: HeaderMap = {}): ForwardResult {
  localReplyFlags.set(res, reply.flag);
  if (!res.headersSent) {
    res.writeHead(reply.status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(reply.body), ...extraHeaders });
    res.end(reply.body);
  } else {
    res.destroy();
  }
  return { status: reply.status, flag: reply.flag, retriable: false };
}

export async function forward(
  upstream: Dispatcher,
  req: IncomingMessage,
  res: ServerResponse,
  request: { method: string; path: string; headers: HeaderMap },
): Promise<ForwardResult> {
  const abort = new AbortLatch();
  const onClientGone = () => {
    if (!res.writableFinished) abort.abort();
  };
  res.once('close', onClientGone);
  try {
    const hasBody = requestHasBody(req);
    const response = await upstream.request({
      method: request.method as Dispatcher.HttpMethod,
      path: request.path,
      headers: request.headers,
      body: hasBody ? req : null,
      signal: abort,
    });
    res.writeHead(response.statusCode, forwardableHeaders(response.headers));
    await relayBody(response.body, res);
    return { status: response.statusCode, flag: '-', retriable: false };
  } catch (error) {
    if (abort.aborted) return { status: 0, flag: 'DC', retriable: false };
    const reply = classifyUpstreamError(error);
    const sentNothing = reply.flag === 'UF' && (error as { code?: string }).code === 'ECONNREFUSED' && !requestHasBody(req);
    if (sentNothing && !res.headersSent) return { status: reply.status, flag: reply.flag, retriable: true, reply };
    return sendLocalReply(res, reply);
  } finally {
    res.off('close', onClientGone);
  }
}
