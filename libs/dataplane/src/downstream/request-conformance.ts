// The RFC 9112 rules node:http's parser (llhttp) lets through and Envoy does not, checked on each
// request before it is routed, with Envoy's statuses. The rules and their reasons are the ones
// the HTTP/1 codec in ../http1 enforces (see http1/head-parser.ts); they are checked here on
// node's parsed request until the listeners run on that codec.
import type { IncomingMessage } from 'node:http';
import type { LocalReply } from '../core/errors.js';

/** A reply for a request HTTP/1.1 forbids, or undefined when it conforms. */
export function nonConformance(req: IncomingMessage): LocalReply | undefined {
  if (req.httpVersionMajor !== 1 || req.httpVersionMinor > 1) {
    return protocolError(400, `HTTP/${req.httpVersion} is not HTTP/1.0 or HTTP/1.1 on an HTTP/1 connection`);
  }
  let hosts = 0;
  let transferEncoding: string | undefined;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? '';
    if (name.length === 4 && name.toLowerCase() === 'host') hosts++;
    else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') transferEncoding = transferEncoding === undefined ? raw[i + 1] : `${transferEncoding}, ${raw[i + 1]}`;
  }
  if (hosts > 1) return protocolError(400, 'more than one Host header');
  if (hosts === 0 && req.httpVersionMinor === 1) return protocolError(400, 'an HTTP/1.1 request without a Host header');
  if (transferEncoding !== undefined) {
    if (req.httpVersionMinor === 0) return protocolError(400, 'Transfer-Encoding on an HTTP/1.0 request');
    if (transferEncoding.trim().toLowerCase() !== 'chunked') return protocolError(501, `transfer coding "${transferEncoding.slice(0, 64)}" is not chunked`);
  }
  return undefined;
}

/** Envoy's reply to a downstream protocol error (flag DPE); the connection is closed after it. */
function protocolError(status: 400 | 501, why: string): LocalReply {
  return { status, body: `${status === 501 ? 'not implemented' : 'bad request'}: ${why}\n`, flag: 'DPE' };
}
