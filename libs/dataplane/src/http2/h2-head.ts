// HTTP/2 heads in the shape the filter chain reads (http1/head-parser.ts's RequestHead and
// ResponseHead), and back: pseudo-headers become method, target, authority and status; fields
// HTTP/2 forbids (RFC 9113 §8.2.2: connection-specific ones, and TE other than "trailers") are
// left out of what is sent.
import { constants, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import type { RequestHead, ResponseHead } from '../http1/head-parser.js';

const END_STREAM = constants.NGHTTP2_FLAG_END_STREAM;

/** Fields an HTTP/2 message must not carry (RFC 9113 §8.2.2). */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings', 'host']);

/**
 * A request's head from the flat raw list node gives ([name, value, …], pseudo-headers first) and
 * the HEADERS frame's flags. A body of unknown length is `chunked` (HTTP/2 frames it itself);
 * a request that ended with its headers has none. Returns a reason when the head is unusable.
 */
export function requestHeadOf(raw: readonly string[], flags: number): RequestHead | string {
  let method = '';
  let path: string | undefined;
  let authority: string | undefined;
  let contentLength = -1;
  const headers: string[] = [];
  let host: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    if (name.charCodeAt(0) === 0x3a) {
      if (name === ':method') method = value;
      else if (name === ':path') path = value;
      else if (name === ':authority') authority = value;
      continue;
    }
    if (name === 'host') host ??= value;
    else if (name === 'content-length') contentLength = Number(value);
    headers.push(name, value);
  }
  authority ??= host;
  if (method === 'CONNECT') return 'CONNECT over HTTP/2 is not served';
  if (path === undefined || path.length === 0) return 'an HTTP/2 request without :path';
  if (authority === undefined) return 'an HTTP/2 request without :authority or Host';
  if (host === undefined) headers.unshift('host', authority);
  const ended = (flags & END_STREAM) !== 0;
  return {
    method,
    target: path,
    host: authority,
    minor: 1,
    headers,
    length: 0,
    contentLength: ended ? -1 : contentLength,
    chunked: !ended && contentLength < 0,
    keepAlive: true,
    upgrade: undefined,
    expectContinue: false,
  };
}

/** A response's head from node's headers object and the HEADERS frame's flags. */
export function responseHeadOf(received: IncomingHttpHeaders, flags: number): ResponseHead {
  const headers = flatList(received);
  const length = received['content-length'];
  const endStream = (flags & END_STREAM) !== 0;
  const contentLength = endStream ? 0 : length === undefined ? -1 : Number(length);
  return { status: Number(received[':status']), reason: '', minor: 1, headers, length: 0, contentLength, chunked: contentLength < 0, keepAlive: true, upgrade: undefined, endStream };
}

/** node's headers object (request, response or trailers) as a flat list, pseudo-headers left out. */
export function flatList(received: IncomingHttpHeaders): string[] {
  const out: string[] = [];
  for (const name in received) {
    if (name.charCodeAt(0) === 0x3a) continue;
    const value = received[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else out.push(name, String(value));
  }
  return out;
}

/** A flat list as the headers object node sends, with what HTTP/2 forbids left out. */
export function outgoingHeaders(fields: readonly string[], into: OutgoingHttpHeaders = {}): OutgoingHttpHeaders {
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i] as string;
    const value = fields[i + 1] as string;
    if (CONNECTION_SPECIFIC.has(name)) continue;
    if (name === 'te' && value.trim().toLowerCase() !== 'trailers') continue;
    const seen = into[name];
    if (seen === undefined) into[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else into[name] = [String(seen), value];
  }
  return into;
}
