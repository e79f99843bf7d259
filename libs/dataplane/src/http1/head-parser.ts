// HTTP/1.1 message heads (RFC 9112 §2–§6), parsed once into a compact view: the start line's
// parts, the header fields as one flat list [name, value, name, value, …] with lowercased names,
// and the framing facts the connection needs (length, chunked, keep-alive, Expect, Host).
//
// Strict where request smuggling lives, as RFC 9112 asks and Envoy does: both Content-Length and
// Transfer-Encoding, more than one Content-Length, a transfer coding other than chunked, more than
// one Host (or none on HTTP/1.1), a version other than HTTP/1.0 or 1.1, obs-fold, bare CR or LF,
// and bytes outside the grammar are all errors, never guesses. Leading empty lines before a
// request line are skipped (RFC 9112 §2.2).
//
// Written by hand rather than taken from node:http (llhttp): node:http's parser hands back
// IncomingMessage objects whose cost is most of a Node proxy's per-request time (see
// docs/benchmarks.md, "ceiling"); llhttp itself is not reachable without them.
import { allOf, FIELD_VALUE, TARGET, TOKEN } from './chars.js';
import { codecError } from './codec-error.js';

export interface HeadLimits {
  /** Bytes of a head, start line to the empty line (Envoy's max_request_headers_kb: 60 KiB). */
  maxHeadBytes: number;
  /** Header fields in one head (Envoy's max_headers_count: 100). */
  maxHeaders: number;
}

export const DEFAULT_HEAD_LIMITS: HeadLimits = { maxHeadBytes: 60 * 1024, maxHeaders: 100 };

interface MessageHead {
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: 0 | 1;
  /** [name, value, name, value, …]; names lowercased, values without surrounding whitespace. */
  headers: string[];
  /** Bytes the head took in the buffer, including any leading empty lines and the final CRLF. */
  length: number;
  /** Content-Length's value, or -1 when there is none. */
  contentLength: number;
  chunked: boolean;
  /** Whether the connection may carry another message after this one (Connection, version). */
  keepAlive: boolean;
  /** The Upgrade header's value when Connection names `upgrade`. */
  upgrade: string | undefined;
}

export interface RequestHead extends MessageHead {
  method: string;
  target: string;
  /** The Host header's value ('' when HTTP/1.0 sent none). */
  host: string;
  expectContinue: boolean;
}

export interface ResponseHead extends MessageHead {
  status: number;
  reason: string;
  /** HTTP/2: the response ended with its head (gRPC's trailers-only answer). */
  endStream?: boolean;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** Where the head starting at `start` ends (after its empty line), or -1 if it has not all come. */
export function findHeadEnd(buf: Buffer, start: number, searchFrom = start): number {
  const at = buf.indexOf(CRLFCRLF, Math.max(start, searchFrom - 3));
  return at < 0 ? -1 : at + 4;
}

/**
 * Skips the line breaks a peer may send between messages (RFC 9112 §2.2 asks a server to ignore
 * at least one empty line; llhttp skips any CR and LF there); returns where the message starts.
 */
export function skipEmptyLines(buf: Buffer, start: number): number {
  let i = start;
  while (i < buf.length && (buf[i] === 0x0d || buf[i] === 0x0a)) i++;
  return i;
}

/**
 * Checks bytes of a head that has not fully arrived, so a malformed or oversized one is refused
 * now and not when a timeout fires: a line feed without its carriage return (the head could only
 * end in "\n\n", which is never accepted), a request line that is already wrong, and the size cap.
 */
export function checkPartialHead(buf: Buffer, start: number, checkedUpTo: number, limits: HeadLimits, request: boolean): void {
  if (buf.length - start > limits.maxHeadBytes) codecError(431, 'http1.headers_too_large', `the head is larger than ${limits.maxHeadBytes} bytes`);
  checkLineBreaks(buf, Math.max(start, checkedUpTo - 1), buf.length, start);
  if (request) {
    const firstLineEnd = buf.indexOf(0x0a, start);
    if (firstLineEnd > start && firstLineEnd >= checkedUpTo) parseRequestLine(buf.toString('latin1', start, firstLineEnd - 1));
  }
}

// RFC 9112 §2.2: a bare CR or LF in a head is invalid; each CR must have its LF and each LF its CR.
function checkLineBreaks(buf: Buffer, from: number, to: number, start: number): void {
  for (let i = buf.indexOf(0x0a, from); i >= 0 && i < to; i = buf.indexOf(0x0a, i + 1)) {
    if (i === start || buf[i - 1] !== 0x0d) codecError(400, 'http1.bare_line_break', 'a line feed without a carriage return in the head');
  }
  for (let i = buf.indexOf(0x0d, from); i >= 0 && i + 1 < to; i = buf.indexOf(0x0d, i + 1)) {
    if (buf[i + 1] !== 0x0a) codecError(400, 'http1.bare_line_break', 'a carriage return without its line feed in the head');
  }
}

/** Parses a complete request head at `start`; `end` is findHeadEnd's answer. Throws CodecError. */
export function parseRequestHead(buf: Buffer, start: number, end: number, limits: HeadLimits = DEFAULT_HEAD_LIMITS): RequestHead {
  if (end - start > limits.maxHeadBytes) codecError(431, 'http1.headers_too_large', `the head is larger than ${limits.maxHeadBytes} bytes`);
  checkLineBreaks(buf, start, end, start);
  const s = buf.toString('latin1', start, end - 2);
  const lineEnd = s.indexOf('\r\n');
  const line = parseRequestLine(s.slice(0, lineEnd));
  const head: RequestHead = {
    method: line.method,
    target: line.target,
    minor: line.minor,
    headers: [],
    length: end - start,
    contentLength: -1,
    chunked: false,
    keepAlive: line.minor === 1,
    upgrade: undefined,
    host: '',
    expectContinue: false,
  };
  const facts = parseFields(s, lineEnd + 2, head.headers, limits);
  applyFraming(head, facts, true);
  if (facts.hosts > 1) codecError(400, 'http1.multiple_host_headers', 'more than one Host header');
  if (facts.hosts === 0 && head.minor === 1) codecError(400, 'http1.missing_host_header', 'an HTTP/1.1 request without a Host header');
  if (facts.host !== undefined) {
    if (!validHost(facts.host)) codecError(400, 'http1.invalid_host', `Host ${JSON.stringify(facts.host)} is not a valid authority`);
    head.host = facts.host;
  }
  if (facts.expect !== undefined) head.expectContinue = facts.expect.toLowerCase() === '100-continue' && head.minor === 1;
  return head;
}

/** Parses a complete response head at `start`. Throws CodecError (the upstream broke the protocol). */
export function parseResponseHead(buf: Buffer, start: number, end: number, limits: HeadLimits = DEFAULT_HEAD_LIMITS): ResponseHead {
  if (end - start > limits.maxHeadBytes) codecError(431, 'http1.headers_too_large', `the head is larger than ${limits.maxHeadBytes} bytes`);
  checkLineBreaks(buf, start, end, start);
  const s = buf.toString('latin1', start, end - 2);
  const lineEnd = s.indexOf('\r\n');
  const line = s.slice(0, lineEnd);
  // status-line = HTTP-version SP status-code SP [ reason-phrase ]
  if (line.length < 12 || !/^HTTP\/[0-9]\.[0-9] /.test(line)) codecError(400, 'http1.invalid_status', `status line ${JSON.stringify(line.slice(0, 64))} is not HTTP/1.x`);
  const minorDigit = line.charCodeAt(7);
  if (line.charCodeAt(5) !== 0x31 || (minorDigit !== 0x30 && minorDigit !== 0x31)) codecError(400, 'http1.invalid_version', `version ${line.slice(0, 8)} is not HTTP/1.0 or HTTP/1.1`);
  const digits = line.slice(9, 12);
  if (!/^[1-5][0-9][0-9]$/.test(digits) || (line.length > 12 && line.charCodeAt(12) !== 0x20)) codecError(400, 'http1.invalid_status', `status code ${JSON.stringify(line.slice(9, 13))} is not a three-digit code from 100 to 599`);
  const reason = line.length > 13 ? line.slice(13) : '';
  if (!allOf(FIELD_VALUE, reason)) codecError(400, 'http1.invalid_reason', 'a control character in the reason phrase');
  const head: ResponseHead = {
    status: Number(digits),
    reason,
    minor: minorDigit === 0x31 ? 1 : 0,
    headers: [],
    length: end - start,
    contentLength: -1,
    chunked: false,
    keepAlive: minorDigit === 0x31,
    upgrade: undefined,
  };
  applyFraming(head, parseFields(s, lineEnd + 2, head.headers, limits), false);
  // RFC 9110 §15.2: a 1xx response ends at its head. One that frames a body is refused, not read
  // two ways (llhttp reads a body after some 1xx codes).
  if (head.status < 200 && (head.chunked || head.contentLength > 0)) codecError(400, 'http1.body_not_allowed', `a ${head.status} response with a body`);
  return head;
}

/** A trailer section (its lines, each ended by CRLF) parsed as header fields. Throws CodecError. */
export function parseTrailerBlock(s: string, limits: HeadLimits = DEFAULT_HEAD_LIMITS): string[] {
  const out: string[] = [];
  parseFields(s, 0, out, limits);
  return out;
}

interface RequestLine {
  method: string;
  target: string;
  minor: 0 | 1;
}

function parseRequestLine(line: string): RequestLine {
  const sp1 = line.indexOf(' ');
  if (sp1 <= 0) codecError(400, 'http1.invalid_method', 'the request line has no method');
  if (!allOf(TOKEN, line, 0, sp1)) codecError(400, 'http1.invalid_method', `method ${JSON.stringify(line.slice(0, Math.min(sp1, 32)))} is not a token`);
  const sp2 = line.indexOf(' ', sp1 + 1);
  // HTTP/0.9's "GET /path" has no version; it is not HTTP/1 and is refused, not left waiting.
  if (sp2 < 0) codecError(400, 'http1.invalid_version', 'the request line has no HTTP version (HTTP/0.9 is not served)');
  if (sp2 === sp1 + 1 || !allOf(TARGET, line, sp1 + 1, sp2)) codecError(400, 'http1.invalid_url', 'the request target is empty or holds a byte outside visible ASCII');
  const version = line.slice(sp2 + 1);
  if (version !== 'HTTP/1.1' && version !== 'HTTP/1.0') codecError(400, 'http1.invalid_version', `version ${JSON.stringify(version.slice(0, 16))} is not HTTP/1.0 or HTTP/1.1 on an HTTP/1 connection`);
  const method = line.slice(0, sp1);
  const target = line.slice(sp1 + 1, sp2);
  if (!targetFormFits(method, target)) codecError(400, 'http1.invalid_url', `request target ${JSON.stringify(target.slice(0, 64))} is not a form ${method} may use`);
  return { method, target, minor: version === 'HTTP/1.1' ? 1 : 0 };
}

// RFC 9112 §3.2: origin-form ("/…"), absolute-form ("scheme://…"), authority-form for CONNECT
// only, asterisk-form for OPTIONS only (Envoy refuses "*" on other methods too).
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
function targetFormFits(method: string, target: string): boolean {
  const first = target.charCodeAt(0);
  if (first === 0x2f) return true;
  if (method === 'CONNECT') return true;
  if (target === '*') return method === 'OPTIONS';
  return ABSOLUTE_FORM.test(target);
}

interface FieldFacts {
  contentLength: string | undefined;
  contentLengths: number;
  transferEncoding: string | undefined;
  connection: string | undefined;
  upgrade: string | undefined;
  host: string | undefined;
  hosts: number;
  expect: string | undefined;
}

function parseFields(s: string, from: number, out: string[], limits: HeadLimits): FieldFacts {
  const facts: FieldFacts = { contentLength: undefined, contentLengths: 0, transferEncoding: undefined, connection: undefined, upgrade: undefined, host: undefined, hosts: 0, expect: undefined };
  let pos = from;
  let count = 0;
  while (pos < s.length) {
    let eol = s.indexOf('\r\n', pos);
    if (eol < 0) eol = s.length;
    const first = s.charCodeAt(pos);
    if (first === 0x20 || first === 0x09) codecError(400, 'http1.obs_fold', 'a header line folded onto the next (obs-fold)');
    const colon = s.indexOf(':', pos);
    if (colon < 0 || colon > eol || colon === pos) codecError(400, 'http1.invalid_characters', 'a header line without a field name and colon');
    if (!allOf(TOKEN, s, pos, colon)) codecError(400, 'http1.invalid_characters', `header name ${JSON.stringify(s.slice(pos, Math.min(colon, pos + 64)))} is not a token`);
    let vs = colon + 1;
    let ve = eol;
    while (vs < ve && (s.charCodeAt(vs) === 0x20 || s.charCodeAt(vs) === 0x09)) vs++;
    while (ve > vs && (s.charCodeAt(ve - 1) === 0x20 || s.charCodeAt(ve - 1) === 0x09)) ve--;
    if (!allOf(FIELD_VALUE, s, vs, ve)) codecError(400, 'http1.invalid_characters', 'a control character, CR or LF in a header value');
    if (++count > limits.maxHeaders) codecError(431, 'http1.too_many_headers', `more than ${limits.maxHeaders} header fields`);
    const name = s.slice(pos, colon).toLowerCase();
    const value = s.slice(vs, ve);
    out.push(name, value);
    // A framing header ending in HTAB is refused, as llhttp refuses it: where parsers may
    // disagree about a message's length, the message is not forwarded at all.
    if ((name === 'content-length' || name === 'transfer-encoding') && ve < eol && s.slice(ve, eol).includes('\t')) {
      codecError(400, name === 'content-length' ? 'http1.invalid_content_length' : 'http1.invalid_transfer_encoding', `${name} followed by a tab`);
    }
    switch (name) {
      case 'content-length':
        facts.contentLength = value;
        facts.contentLengths++;
        break;
      case 'transfer-encoding':
        facts.transferEncoding = facts.transferEncoding === undefined ? value : `${facts.transferEncoding}, ${value}`;
        break;
      case 'connection':
        facts.connection = facts.connection === undefined ? value : `${facts.connection}, ${value}`;
        break;
      case 'upgrade':
        facts.upgrade = value;
        break;
      case 'host':
        facts.host = value;
        facts.hosts++;
        break;
      case 'expect':
        facts.expect = value;
        break;
    }
    pos = eol + 2;
  }
  return facts;
}

/**
 * Framing per RFC 9112 §6. A request's Transfer-Encoding must be exactly `chunked` (Envoy answers
 * 501 otherwise) and may not come with Content-Length or on HTTP/1.0 (§6.1); a response's
 * Transfer-Encoding with Content-Length is refused rather than resolved.
 */
function applyFraming(head: MessageHead, facts: FieldFacts, request: boolean): void {
  if (facts.transferEncoding !== undefined) {
    if (facts.contentLength !== undefined) codecError(400, 'http1.content_length_not_allowed', 'both Content-Length and Transfer-Encoding');
    if (head.minor === 0 && request) codecError(400, 'http1.transfer_encoding_not_allowed', 'Transfer-Encoding on an HTTP/1.0 request');
    if (facts.transferEncoding.toLowerCase() !== 'chunked') codecError(501, 'http1.invalid_transfer_encoding', `transfer coding ${JSON.stringify(facts.transferEncoding.slice(0, 64))} is not chunked`);
    head.chunked = true;
  } else if (facts.contentLength !== undefined) {
    if (facts.contentLengths > 1) codecError(400, 'http1.invalid_content_length', 'more than one Content-Length');
    const v = facts.contentLength;
    // 1*DIGIT, and small enough to count exactly in a double.
    if (v.length === 0 || v.length > 15 || !/^[0-9]+$/.test(v)) codecError(400, 'http1.invalid_content_length', `Content-Length ${JSON.stringify(v.slice(0, 32))} is not a length`);
    head.contentLength = Number(v);
  }
  if (facts.connection !== undefined) {
    const tokens = facts.connection.toLowerCase();
    if (hasToken(tokens, 'close')) head.keepAlive = false;
    else if (head.minor === 0 && hasToken(tokens, 'keep-alive')) head.keepAlive = true;
    if (facts.upgrade !== undefined && hasToken(tokens, 'upgrade')) head.upgrade = facts.upgrade;
  }
}

function hasToken(list: string, token: string): boolean {
  if (list === token) return true;
  for (const part of list.split(',')) if (part.trim() === token) return true;
  return false;
}

// uri-host [ ":" port ]: reg-name characters, or an IP literal in brackets (RFC 3986 §3.2.2).
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]*)(?::[0-9]*)?$/;
function validHost(host: string): boolean {
  return HOST.test(host);
}

