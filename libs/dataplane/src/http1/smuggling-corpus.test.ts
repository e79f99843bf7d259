// A fixed corpus of request-smuggling and malformed-message cases (the classic CL.TE, TE.CL and
// TE.TE desyncs, header obfuscations, chunk-size tricks), each with the status Envoy answers:
// 400 for protocol errors, 431 for oversized heads, 501 for an unknown transfer coding.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codecDecode } from './decode-all.js';

const H = 'Host: reviews\r\n';
const CASES: Array<[name: string, raw: string, status: number | 'ok', detail?: string]> = [
  ['CL.TE: both Content-Length and Transfer-Encoding', `POST / HTTP/1.1\r\n${H}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG`, 400, 'http1.content_length_not_allowed'],
  ['TE.CL: Transfer-Encoding first', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n`, 400, 'http1.content_length_not_allowed'],
  ['TE.TE: a second, unknown coding', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n`, 501, 'http1.invalid_transfer_encoding'],
  ['TE with a space before the colon', `POST / HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`, 400, 'http1.invalid_characters'],
  ['TE folded onto the next line (obs-fold)', `POST / HTTP/1.1\r\n${H}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n`, 400, 'http1.obs_fold'],
  ['TE behind a vertical tab', `POST / HTTP/1.1\r\n${H}Transfer-Encoding:\x0bchunked\r\n\r\n0\r\n\r\n`, 400, 'http1.invalid_characters'],
  ['TE "xchunked"', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`, 501, 'http1.invalid_transfer_encoding'],
  ['TE "chunked, identity"', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`, 501, 'http1.invalid_transfer_encoding'],
  ['TE gzip, chunked (a real coding Envoy does not take)', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`, 501, 'http1.invalid_transfer_encoding'],
  ['TE followed by a tab', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\t\r\n\r\n0\r\n\r\n`, 400, 'http1.invalid_transfer_encoding'],
  ['TE on HTTP/1.0', `POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400, 'http1.transfer_encoding_not_allowed'],
  ['two equal Content-Lengths', `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc`, 400, 'http1.invalid_content_length'],
  ['two different Content-Lengths', `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 5\r\n\r\nabcde`, 400, 'http1.invalid_content_length'],
  ['a Content-Length list', `POST / HTTP/1.1\r\n${H}Content-Length: 3, 3\r\n\r\nabc`, 400, 'http1.invalid_content_length'],
  ['Content-Length with a plus sign', `POST / HTTP/1.1\r\n${H}Content-Length: +3\r\n\r\nabc`, 400, 'http1.invalid_content_length'],
  ['negative Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`, 400, 'http1.invalid_content_length'],
  ['hex Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: 0x3\r\n\r\nabc`, 400, 'http1.invalid_content_length'],
  ['Content-Length past 2^53', `POST / HTTP/1.1\r\n${H}Content-Length: 18446744073709551617\r\n\r\n`, 400, 'http1.invalid_content_length'],
  ['chunk size that overflows 64 bits', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n10000000000000003\r\nabc\r\n0\r\n\r\n`, 400, 'http1.invalid_chunk'],
  ['chunk size with 0x prefix', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n`, 400, 'http1.invalid_chunk'],
  ['chunk size with a space', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n`, 400, 'http1.invalid_chunk'],
  ['chunk size line ended by a bare LF', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n`, 400, 'http1.invalid_chunk'],
  ['chunk data longer than its size', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n`, 400, 'http1.invalid_chunk'],
  ['chunk extension with a bare LF', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;x\nabc\r\n0\r\n\r\n`, 400, 'http1.invalid_chunk_extension'],
  ['two Host headers', `GET / HTTP/1.1\r\n${H}Host: evil\r\n\r\n`, 400, 'http1.multiple_host_headers'],
  ['HTTP/1.1 without Host', `GET / HTTP/1.1\r\n\r\n`, 400, 'http1.missing_host_header'],
  ['Host that is not an authority', `GET / HTTP/1.1\r\nHost: a/b\r\n\r\n`, 400, 'http1.invalid_host'],
  ['HTTP/2.0 request line over HTTP/1', `GET / HTTP/2.0\r\n${H}\r\n`, 400, 'http1.invalid_version'],
  ['HTTP/0.9 request', `GET /\r\n\r\n`, 400, 'http1.invalid_version'],
  ['HTTP/1.2', `GET / HTTP/1.2\r\n${H}\r\n`, 400, 'http1.invalid_version'],
  ['lowercase http version', `GET / http/1.1\r\n${H}\r\n`, 400, 'http1.invalid_version'],
  ['bare LF line endings', `GET / HTTP/1.1\n${H.replace('\r\n', '\n')}\n`, 400, 'http1.bare_line_break'],
  ['bare CR in a header value', `GET / HTTP/1.1\r\n${H}X: a\rb\r\n\r\n`, 400, 'http1.bare_line_break'],
  ['NUL in a header value', `GET / HTTP/1.1\r\n${H}X: a\x00b\r\n\r\n`, 400, 'http1.invalid_characters'],
  ['space inside a header name', `GET / HTTP/1.1\r\n${H}Bad Name: v\r\n\r\n`, 400, 'http1.invalid_characters'],
  ['header line without a colon', `GET / HTTP/1.1\r\n${H}NoColon\r\n\r\n`, 400, 'http1.invalid_characters'],
  ['space inside the request target', `GET /a b HTTP/1.1\r\n${H}\r\n`, 400, 'http1.invalid_version'],
  ['a tab as the request-line separator', `GET\t/ HTTP/1.1\r\n${H}\r\n`, 400, 'http1.invalid_method'],
  ['"*" on GET', `GET * HTTP/1.1\r\n${H}\r\n`, 400, 'http1.invalid_url'],
  ['a target that is no form at all', `GET reviews HTTP/1.1\r\n${H}\r\n`, 400, 'http1.invalid_url'],
  ['a head over 60 KiB', `GET / HTTP/1.1\r\n${H}X: ${'a'.repeat(61 * 1024)}\r\n\r\n`, 431, 'http1.headers_too_large'],
  ['101 header fields', `GET / HTTP/1.1\r\n${H}${'X: 1\r\n'.repeat(100)}\r\n`, 431, 'http1.too_many_headers'],
  ['pipelined: GET then a smuggled-looking body is just the next request', `GET / HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\nGET /admin HTTP/1.1\r\n${H}\r\n`, 'ok'],
  ['leading empty line before the request line', `\r\nGET / HTTP/1.1\r\n${H}\r\n`, 'ok'],
  ['HTTP/1.0 without Host', `GET / HTTP/1.0\r\n\r\n`, 'ok'],
  ['absolute-form target', `GET http://reviews:9080/r HTTP/1.1\r\n${H}\r\n`, 'ok'],
  ['OPTIONS *', `OPTIONS * HTTP/1.1\r\n${H}\r\n`, 'ok'],
  ['chunked with extensions and trailers', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;a=b;c="d e"\r\nabc\r\n0\r\nX-T: 1\r\n\r\n`, 'ok'],
];

for (const [name, raw, status, detail] of CASES) {
  test(`${name}: ${status === 'ok' ? 'decoded' : status}`, () => {
    const bytes = Buffer.from(raw, 'latin1');
    // Whole, and one byte at a time: the verdict may not depend on how the bytes arrive.
    for (const pieces of [[bytes], [...bytes].map((b) => Buffer.from([b]))]) {
      const result = codecDecode(pieces, 'request');
      if (status === 'ok') {
        assert.equal(result.error, undefined, JSON.stringify(result));
        assert.ok(result.messages.length >= 1);
      } else {
        assert.equal(result.status, status, JSON.stringify(result));
        if (pieces.length === 1) assert.equal(result.error, detail);
      }
    }
  });
}

test('a decoded chunked body and its trailers', () => {
  const result = codecDecode([Buffer.from(`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;a=b\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\ngrpc-status: 0\r\n\r\n`, 'latin1')], 'request');
  assert.equal(result.error, undefined);
  assert.equal(result.messages[0]?.body, 'abc0123456789');
  assert.deepEqual(result.messages[0]?.trailers, ['x-t', '1', 'grpc-status', '0']);
});
