// Differential fuzz: the codec against Node's llhttp on generated and mutated requests and
// responses. Where both accept, they must decode the same messages (start line, headers, body,
// trailers); where llhttp refuses, the codec must refuse too (it may never be the laxer one, that
// is where smuggling lives); where the codec refuses and llhttp accepts, the codec's reason must be
// one of the rules it keeps on purpose (RFC 9112 / Envoy rules llhttp does not enforce). Each
// message is also fed in random pieces, which must decode exactly as the whole does.
//
// SKIFF_FUZZ_SEED=<n> replays a run; SKIFF_FUZZ_CASES=<n> changes how many cases run.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { seededRandom } from '../cluster/test-helpers.js';
import { codecDecode } from './decode-all.js';
import { llhttpDecode, LLHTTP_METHODS, type DecodeResult } from './llhttp-reference.js';

const seed = Number(process.env['SKIFF_FUZZ_SEED'] ?? Date.now() % 2 ** 31);
const cases = Number(process.env['SKIFF_FUZZ_CASES'] ?? 20_000);

/** Codec refusals of messages llhttp takes, each a rule the codec keeps on purpose. */
const STRICTER: Record<string, string> = {
  'http1.multiple_host_headers': 'RFC 9112 §3.2: more than one Host is a 400',
  'http1.missing_host_header': 'RFC 9112 §3.2: HTTP/1.1 without Host is a 400 (Envoy: missing_host_header)',
  'http1.invalid_host': 'RFC 9112 §3.2: a Host that is not an authority is a 400',
  'http1.invalid_version': 'only HTTP/1.0 and 1.1 on an HTTP/1 connection (llhttp takes 0.9 and 2.0)',
  'http1.invalid_transfer_encoding': 'Envoy: a transfer coding other than exactly chunked is a 501',
  'http1.transfer_encoding_not_allowed': 'RFC 9112 §6.1: Transfer-Encoding on HTTP/1.0 is faulty framing',
  'http1.content_length_not_allowed': 'a response with both Content-Length and Transfer-Encoding is refused, not resolved',
  'http1.invalid_url': "RFC 9112 §3.2: '*' is OPTIONS' target only (llhttp takes it on any method)",
  'http1.invalid_reason': 'RFC 9112 §4: a reason phrase holds no NUL or DEL (llhttp takes them); proxies regenerate reasons anyway',
  'http1.bare_line_break': 'RFC 9112 §2.2: a bare CR or LF in a head is invalid (llhttp takes some)',
  'http1.invalid_chunk_extension': 'RFC 9112 §7.1.1: a chunk-extension name is a token, never empty (llhttp takes ";=v")',
  'http1.invalid_content_length': 'a Content-Length of more than 15 digits is refused even where no body follows (llhttp ignores it on 204)',
  closed: 'Connection: close wins over a keep-alive beside it (llhttp lets the later one win); bytes after are dropped',
  'http1.body_not_allowed': 'RFC 9110 §15.2: a 1xx response has no body (llhttp reads one after 104)',
  'http1.invalid_status': 'RFC 9110 §15: a status code is 100–599 (llhttp takes 000)',
};

type Rand = () => number;
const pick = <T>(r: Rand, list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
const chance = (r: Rand, p: number) => r() < p;

const METHODS = ['GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];
const TARGETS = ['/', '/reviews/1', '/a/b?c=d&e=f', '/%7Euser/x', '/p;q=1', '/x?y=%20', '/very/long/' + 'seg/'.repeat(30)];
const HEADER_NAMES = ['Accept', 'User-Agent', 'x-request-id', 'X-B3-TraceId', 'Cookie', 'end-user', 'X-Custom_Under', 'accept-encoding', "x!#$%&'*+-.^_`|~"];
const HEADER_VALUES = ['*/*', 'curl/8.5.0', 'a b  c', 'jason', '"quoted, with comma"', '', 'é-latin1-\xe9', 'v\tt', 'x'.repeat(200)];
const SMUGGLING_LINES = [
  'Transfer-Encoding: chunked',
  'Content-Length: 5',
  'Content-Length: 0',
  'Content-Length: 5, 5',
  'Content-Length: +5',
  'Content-Length: -1',
  'Content-Length: 0x5',
  'Content-Length: 99999999999999999999',
  'Transfer-Encoding: xchunked',
  'Transfer-Encoding: chunked, identity',
  'Transfer-Encoding: gzip, chunked',
  'Transfer-Encoding : chunked',
  ' Transfer-Encoding: chunked',
  'Transfer-Encoding:\tchunked',
  'Transfer-Encoding\t: chunked',
  'Host: evil.example',
  'Host: a b',
  'Host:',
  'Connection: close',
  'Connection: keep-alive',
  'Connection: upgrade',
  'Expect: 100-continue',
  'X: a\x00b',
  'X: a\rb',
  'X: a\nb',
  '\tfolded continuation',
  'NoColon',
  ': empty-name',
  'Bad Name: v',
  'Bad\x7fName: v',
];
const INTERESTING = ['\r', '\n', '\r\n', ' ', '\t', ':', '\x00', '\x7f', '\x80', '\xff', 'a', '0', ';', ',', '"', '\\', 'H', '/', '\r\n\r\n', '1'];

function chunkedBody(r: Rand, body: string): string {
  let out = '';
  let i = 0;
  while (i < body.length) {
    const n = 1 + Math.floor(r() * Math.max(1, body.length - i));
    const size = Math.min(n, body.length - i);
    const hex = size.toString(16);
    const sizeText = chance(r, 0.2) ? hex.toUpperCase() : chance(r, 0.1) ? `000${hex}` : hex;
    const ext = chance(r, 0.15) ? pick(r, [';a', ';a=b', ';name="quoted value"', ';a=b;c', ' ;a', ';a =b']) : '';
    out += `${sizeText}${ext}\r\n${body.slice(i, i + size)}\r\n`;
    i += size;
  }
  const trailers = chance(r, 0.2) ? pick(r, ['X-Trailer: 1\r\n', 'grpc-status: 0\r\ngrpc-message: ok\r\n', 'Bad Trailer: x\r\n']) : '';
  return `${out}0\r\n${trailers}\r\n`;
}

function bodyOf(r: Rand): string {
  const n = pick(r, [0, 1, 3, 10, 100, 1000]);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(chance(r, 0.9) ? 0x61 + Math.floor(r() * 26) : Math.floor(r() * 256));
  return s;
}

function headerLines(r: Rand): string[] {
  const lines: string[] = [];
  const count = Math.floor(r() * 6);
  for (let i = 0; i < count; i++) {
    const name = pick(r, HEADER_NAMES);
    const value = pick(r, HEADER_VALUES);
    const sep = pick(r, [': ', ':', ':  ', ':\t']);
    lines.push(`${chance(r, 0.3) ? name.toUpperCase() : name}${sep}${value}${chance(r, 0.1) ? ' ' : ''}`);
  }
  return lines;
}

function framed(r: Rand, lines: string[], allowBody: boolean): { lines: string[]; body: string } {
  if (!allowBody) return { lines, body: '' };
  const body = bodyOf(r);
  const how = pick(r, ['length', 'length', 'chunked', 'none']);
  if (how === 'length') return { lines: [...lines, `Content-Length: ${Buffer.byteLength(body, 'latin1')}`], body };
  if (how === 'chunked') return { lines: [...lines, `Transfer-Encoding: ${pick(r, ['chunked', 'chunked', 'Chunked', 'CHUNKED'])}`], body: chunkedBody(r, body) };
  return { lines, body: '' };
}

function request(r: Rand): string {
  const method = pick(r, METHODS);
  const version = chance(r, 0.85) ? 'HTTP/1.1' : pick(r, ['HTTP/1.0', 'HTTP/2.0', 'HTTP/1.2', 'HTTP/0.9', 'http/1.1', 'HTTP/1.1 ']);
  const lines = headerLines(r);
  const hosts = chance(r, 0.9) ? 1 : pick(r, [0, 2]);
  for (let i = 0; i < hosts; i++) lines.splice(Math.floor(r() * (lines.length + 1)), 0, `Host: ${pick(r, ['reviews:9080', 'reviews', '127.0.0.1:8080', '[::1]:80', 'a.b.c'])}`);
  const { lines: all, body } = framed(r, lines, method !== 'GET' || chance(r, 0.1));
  return `${method} ${pick(r, TARGETS)} ${version}\r\n${all.map((l) => `${l}\r\n`).join('')}\r\n${body}`;
}

function response(r: Rand): string {
  const status = pick(r, [200, 200, 201, 204, 301, 304, 400, 404, 500, 503, 100]);
  const reason = pick(r, ['OK', '', 'Not Found', 'Some Reason', 'x\ty']);
  const version = chance(r, 0.9) ? 'HTTP/1.1' : pick(r, ['HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1x']);
  const lines = headerLines(r);
  const { lines: all, body } = framed(r, lines, true);
  const line = reason === '' && chance(r, 0.5) ? `${version} ${status}` : `${version} ${status} ${reason}`;
  return `${line}\r\n${all.map((l) => `${l}\r\n`).join('')}\r\n${body}`;
}

function mutate(r: Rand, s: string): string {
  const rounds = Math.floor(r() * 4);
  let out = s;
  for (let k = 0; k < rounds; k++) {
    const at = Math.floor(r() * (out.length + 1));
    const op = Math.floor(r() * 5);
    if (op === 0) out = out.slice(0, at) + pick(r, INTERESTING) + out.slice(at);
    else if (op === 1) out = out.slice(0, at) + out.slice(at + 1);
    else if (op === 2) out = out.slice(0, at) + pick(r, INTERESTING) + out.slice(at + 1);
    else {
      // A whole header line from the smuggling set, placed at a line start inside the head.
      const headEnd = out.indexOf('\r\n\r\n');
      if (headEnd < 0) continue;
      const lineStarts: number[] = [];
      for (let i = out.indexOf('\r\n'); i >= 0 && i <= headEnd; i = out.indexOf('\r\n', i + 2)) lineStarts.push(i + 2);
      const where = pick(r, lineStarts);
      out = `${out.slice(0, where)}${pick(r, SMUGGLING_LINES)}\r\n${out.slice(where)}`;
    }
  }
  return out;
}

function pieces(r: Rand, bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i < bytes.length) {
    const n = chance(r, 0.3) ? 1 : 1 + Math.floor(r() * 64);
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

function summary(result: DecodeResult): string {
  return JSON.stringify({ error: result.error, messages: result.messages });
}

function judge(kind: 'request' | 'response', bytes: Buffer, ours: DecodeResult, reference: DecodeResult): string | undefined {
  // Messages both decoded before any refusal must agree exactly.
  const both = Math.min(ours.messages.length, reference.messages.length);
  for (let i = 0; i < both; i++) {
    const a = ours.messages[i];
    const b = reference.messages[i];
    if (JSON.stringify(a) !== JSON.stringify(b)) return `message ${i} differs:\n  codec  ${JSON.stringify(a)}\n  llhttp ${JSON.stringify(b)}`;
  }
  if (ours.error === undefined && reference.error === undefined) {
    return ours.messages.length === reference.messages.length ? undefined : `message counts differ: codec ${ours.messages.length}, llhttp ${reference.messages.length}`;
  }
  if (ours.error === undefined) {
    // llhttp refused; the codec may only have accepted where the refusal was llhttp's method list.
    const next = ours.messages[reference.messages.length];
    // llhttp hands a connection over at 101 without completing the message; the codec completes it.
    if (kind === 'response' && reference.error === 'HPE_INVALID_EOF_STATE' && ours.messages.at(-1)?.start === '101') return undefined;
    if (reference.error === 'HPE_INVALID_METHOD' && next && !LLHTTP_METHODS.has(next.start)) return undefined;
    return `llhttp refused (${reference.error}) what the codec accepted`;
  }
  if (reference.error === undefined) {
    if (ours.messages.length > reference.messages.length) return `codec decoded more messages (${ours.messages.length}) than llhttp (${reference.messages.length}) and then refused`;
    if (ours.error === 'truncated') return `codec says truncated; llhttp decoded ${reference.messages.length} messages`;
    if (ours.error in STRICTER) return undefined;
    return `codec refused (${ours.error}) what llhttp accepted`;
  }
  void bytes;
  return undefined;
}

test(`codec and llhttp agree on ${cases} generated and mutated messages (seed ${seed}; replay with SKIFF_FUZZ_SEED=${seed})`, () => {
  const r = seededRandom(seed);
  const failures: string[] = [];
  const counts = { bothAccept: 0, bothRefuse: 0, stricter: 0 };
  for (let n = 0; n < cases && failures.length < 5; n++) {
    const kind = chance(r, 0.7) ? 'request' : 'response';
    const make = kind === 'request' ? request : response;
    let text = mutate(r, make(r));
    if (kind === 'request' && chance(r, 0.25)) text += mutate(r, make(r));
    const bytes = Buffer.from(text, 'latin1');
    const reference = llhttpDecode(bytes, kind);
    const whole = codecDecode([bytes], kind);
    const split = codecDecode(pieces(r, bytes), kind);
    // Where bytes arrive in pieces a head is checked as it comes, so which of two faults is
    // named first may differ; what was decoded and whether it was refused may not.
    if (JSON.stringify(whole.messages) !== JSON.stringify(split.messages) || (whole.error === undefined) !== (split.error === undefined)) {
      failures.push(`case ${n}: fed in pieces, the codec decoded differently\n  whole  ${summary(whole)}\n  pieces ${summary(split)}\n  input ${JSON.stringify(text)}`);
      continue;
    }
    const verdict = judge(kind, bytes, whole, reference);
    if (verdict && process.env['SKIFF_FUZZ_DUMP']) writeFileSync(`${process.env['SKIFF_FUZZ_DUMP']}-${n}.bin`, bytes);
    if (verdict) failures.push(`case ${n} (${kind}): ${verdict}\n  input ${JSON.stringify(text)}`);
    else if (whole.error === undefined) counts.bothAccept++;
    else if (reference.error === undefined) counts.stricter++;
    else counts.bothRefuse++;
  }
  assert.deepEqual(failures, [], `seed ${seed}`);
  // The generator must exercise all three outcomes, or the comparison says little.
  assert.ok(counts.bothAccept > cases / 10 && counts.bothRefuse > cases / 20 && counts.stricter > cases / 100, JSON.stringify(counts));
});
