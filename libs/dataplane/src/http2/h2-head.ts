// HTTP/2 heads in the shape the filter chain reads (http1/head-parser.ts's RequestHead and
// ResponseHead), and back: pseudo-headers become method, target, authority and status; fields
// HTTP/2 forbids (RFC 9113 §8.2.2: connection-specific ones, and TE other than "trailers") are
// left out of what is sent.
import type { RequestHead, ResponseHead } from '../http1/head-parser.js';

/** The HEADERS frame's END_STREAM flag. */
const END_STREAM = 0x1;

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

/** A response's head from the decoded fields (`:status` first) and whether the stream ended with them. */
export function responseHeadOf(fields: readonly string[], endStream: boolean): ResponseHead {
  let status = 0;
  let length: string | undefined;
  const headers: string[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i] as string;
    const value = fields[i + 1] as string;
    if (name.charCodeAt(0) === 0x3a) {
      if (name === ':status') status = Number(value);
      continue;
    }
    if (name === 'content-length') length ??= value;
    headers.push(name, value);
  }
  const contentLength = endStream ? 0 : length === undefined ? -1 : Number(length);
  return { status, reason: '', minor: 1, headers, length: 0, contentLength, chunked: contentLength < 0, keepAlive: true, upgrade: undefined, endStream };
}

/** Decoded fields without their pseudo-headers (trailers have none; a stray one is dropped). */
export function withoutPseudo(fields: string[]): string[] {
  if (!fields.some((f, i) => i % 2 === 0 && f.charCodeAt(0) === 0x3a)) return fields;
  const out: string[] = [];
  for (let i = 0; i < fields.length; i += 2) if ((fields[i] as string).charCodeAt(0) !== 0x3a) out.push(fields[i] as string, fields[i + 1] as string);
  return out;
}

/**
 * The fields to send after `pseudo` (pseudo-headers, already in HTTP/2's form): names lowercased
 * (§8.2.1), and what HTTP/2 forbids left out.
 */
export function outgoingFields(fields: readonly string[], pseudo: string[] = []): string[] {
  const out = pseudo;
  for (let i = 0; i < fields.length; i += 2) {
    let name = fields[i] as string;
    const value = fields[i + 1] as string;
    if (hasUpper(name)) name = name.toLowerCase();
    if (CONNECTION_SPECIFIC.has(name)) continue;
    if (name === 'te' && value.trim().toLowerCase() !== 'trailers') continue;
    out.push(name, value);
  }
  return out;
}

function hasUpper(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return true;
  }
  return false;
}
