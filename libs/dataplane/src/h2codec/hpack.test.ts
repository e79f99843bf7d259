// HPACK against the RFC's own examples (RFC 7541 Appendix C), against nghttp2 (node:http2's
// encoder, Huffman-coding what it sends), round trips through the dynamic table, and hostile
// encodings, each refused with an error that says what was wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HpackDecoder, HpackEncoder, HpackError } from './hpack.js';
import { EOS, huffmanCode, huffmanDecode, HuffmanError } from './huffman.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const NO_LIMIT = 1 << 20;

test('RFC 7541 C.3: three requests without Huffman coding, sharing the dynamic table', () => {
  const d = new HpackDecoder();
  assert.deepEqual(d.decode(hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d'), NO_LIMIT).fields, [':method', 'GET', ':scheme', 'http', ':path', '/', ':authority', 'www.example.com']);
  assert.deepEqual(d.decode(hex('8286 84be 5808 6e6f 2d63 6163 6865'), NO_LIMIT).fields, [':method', 'GET', ':scheme', 'http', ':path', '/', ':authority', 'www.example.com', 'cache-control', 'no-cache']);
  assert.deepEqual(d.decode(hex('8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65'), NO_LIMIT).fields, [':method', 'GET', ':scheme', 'https', ':path', '/index.html', ':authority', 'www.example.com', 'custom-key', 'custom-value']);
});

test('RFC 7541 C.4: the same requests Huffman-coded', () => {
  const d = new HpackDecoder();
  assert.deepEqual(d.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'), NO_LIMIT).fields, [':method', 'GET', ':scheme', 'http', ':path', '/', ':authority', 'www.example.com']);
  assert.deepEqual(d.decode(hex('8286 84be 5886 a8eb 1064 9cbf'), NO_LIMIT).fields, [':method', 'GET', ':scheme', 'http', ':path', '/', ':authority', 'www.example.com', 'cache-control', 'no-cache']);
  assert.deepEqual(d.decode(hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf'), NO_LIMIT).fields, [':method', 'GET', ':scheme', 'https', ':path', '/index.html', ':authority', 'www.example.com', 'custom-key', 'custom-value']);
});

/** A test-side Huffman encoder from the RFC's code table (the product's encoder sends plain strings). */
function huffmanEncode(bytes: Uint8Array, padBits?: number): Buffer {
  const bits: number[] = [];
  for (const b of bytes) {
    const { code, length } = huffmanCode(b);
    for (let i = length - 1; i >= 0; i--) bits.push((code >>> i) & 1);
  }
  let pad = padBits ?? (8 - (bits.length % 8)) % 8;
  while (pad-- > 0) bits.push(1);
  const out = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((bit, i) => (out[i >> 3] = (out[i >> 3] as number) | (bit << (7 - (i % 8)))));
  return out;
}

test('Huffman: every one of the 256 byte values decodes to itself, alone and in a run', () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.equal(huffmanDecode(huffmanEncode(all), 0, huffmanEncode(all).length), Buffer.from(all).toString('latin1'));
  for (let b = 0; b < 256; b++) {
    const one = huffmanEncode(Uint8Array.of(b, b, b));
    assert.equal(huffmanDecode(one, 0, one.length), String.fromCharCode(b, b, b), `byte ${b}`);
  }
});

test('Huffman: padding of 8 bits or more, padding that is not all ones, and EOS in the string are refused', () => {
  const a = huffmanEncode(Buffer.from('a')); // 5 bits + 3 bits of padding
  assert.equal(huffmanDecode(a, 0, a.length), 'a');
  const longPad = huffmanEncode(Buffer.from('a'), 11);
  assert.throws(() => huffmanDecode(longPad, 0, longPad.length), HuffmanError);
  const zeroPad = Buffer.from([(a[0] as number) & 0xf8]);
  assert.throws(() => huffmanDecode(zeroPad, 0, 1), HuffmanError);
  const { code, length } = huffmanCode(EOS);
  assert.equal(length, 30);
  const eos = Buffer.alloc(4);
  eos.writeUInt32BE(((code << 2) | 0b11) >>> 0);
  assert.throws(() => huffmanDecode(eos, 0, 4), HuffmanError);
});

test('a round trip through encoder and decoder keeps every field, through evictions and many blocks', () => {
  const encoder = new HpackEncoder();
  const decoder = new HpackDecoder();
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let block = 0; block < 500; block++) {
    const fields = [':method', random() < 0.5 ? 'GET' : 'POST', ':scheme', 'http', ':authority', `svc-${Math.floor(random() * 20)}:9080`, ':path', `/p/${Math.floor(random() * 1000)}`];
    const count = Math.floor(random() * 12);
    for (let i = 0; i < count; i++) {
      const name = `x-h${Math.floor(random() * 40)}`;
      const value = 'v'.repeat(Math.floor(random() * 300)) + String(Math.floor(random() * 50));
      fields.push(name, value);
    }
    if (random() < 0.2) fields.push('authorization', `Bearer ${block}`, 'cookie', `a=${block}`);
    const decoded = decoder.decode(encoder.encode(fields), NO_LIMIT);
    assert.deepEqual(decoded.fields, fields, `block ${block}`);
  }
});

test('a repeated field costs one byte after its first block; secrets are never indexed', () => {
  const encoder = new HpackEncoder();
  const fields = ['content-type', 'application/grpc', 'x-custom', 'same'];
  const first = encoder.encode(fields);
  const second = encoder.encode(fields);
  assert.ok(first.length > 20);
  assert.equal(second.length, 2, 'two indexed fields');
  const secret = encoder.encode(['authorization', 'Bearer abc']);
  assert.equal((secret[0] as number) & 0xf0, 0x10, 'literal never indexed');
  assert.equal(encoder.encode(['authorization', 'Bearer abc']).length, secret.length, 'not in the table');
});

test('the encoder follows the peer table size: a smaller table is announced in the next block, then used', () => {
  const encoder = new HpackEncoder();
  const decoder = new HpackDecoder();
  decoder.decode(encoder.encode(['x-a', '1']), NO_LIMIT);
  encoder.setMaxTableSize(0);
  encoder.setMaxTableSize(100);
  const block = encoder.encode(['x-a', '1']);
  assert.equal(block[0], 0x20, 'size update to 0 first');
  assert.equal(block[1], 0x3f, 'then to 100 (5-bit prefix continues)');
  assert.deepEqual(decoder.decode(block, NO_LIMIT).fields, ['x-a', '1']);
});

test('nghttp2 (node:http2) Huffman-codes what it sends; every header arrives as sent', async () => {
  const { createServer, connect } = await import('node:net');
  const http2 = await import('node:http2');
  const { PREFACE, FRAME_HEADER } = await import('./frames.js');
  const values = Array.from({ length: 40 }, (_, i) => Buffer.from(Array.from({ length: 1 + i * 7 }, (_, j) => 0x20 + ((i * 31 + j * 17) % 95))).toString('latin1'));
  const blocks: Buffer[] = [];
  const server = createServer((socket) => {
    let seen = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      let at = PREFACE.length;
      blocks.length = 0;
      while (seen.length - at >= FRAME_HEADER) {
        const length = seen.readUIntBE(at, 3);
        if (seen.length - at < FRAME_HEADER + length) break;
        if (seen[at + 3] === 1) blocks.push(seen.subarray(at + FRAME_HEADER, at + FRAME_HEADER + length));
        at += FRAME_HEADER + length;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const session = http2.connect(`http://127.0.0.1:${port}`, { createConnection: () => connect(port, '127.0.0.1') });
  session.on('error', () => undefined);
  for (let i = 0; i < values.length; i += 8) {
    const headers: Record<string, string> = { ':path': `/${i}`, ':authority': 'svc' };
    for (let j = i; j < i + 8 && j < values.length; j++) headers[`x-v${j}`] = values[j] as string;
    session.request(headers).on('error', () => undefined);
  }
  const deadline = Date.now() + 5000;
  while (blocks.length < values.length / 8 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  session.destroy();
  server.close();
  assert.equal(blocks.length, values.length / 8, 'every HEADERS frame seen');
  const decoder = new HpackDecoder();
  const got = new Map<string, string>();
  for (const block of blocks) {
    const { fields } = decoder.decode(block, NO_LIMIT);
    for (let i = 0; i < fields.length; i += 2) got.set(fields[i] as string, fields[i + 1] as string);
  }
  values.forEach((value, j) => assert.equal(got.get(`x-v${j}`), value, `x-v${j}`));
  assert.ok(blocks.some((b) => b.some((byte, k) => k > 0 && (byte & 0x80) !== 0)), 'some strings were Huffman-coded');
});

test('hostile encodings are errors that say what was wrong', () => {
  const cases: [string, string, RegExp][] = [
    ['80', 'index 0', /index 0/],
    ['be', 'an index past the table', /past the table/],
    ['ff ff ff ff ff 0f', 'an integer over 2^28', /2\^28/],
    ['ff 80', 'an integer cut off', /runs past/],
    ['3f e1 ff 03', 'a table size update over the 4096 allowed', /over the 4096/],
    ['82 20', 'a size update after a field', /after a header field/],
    ['40 05 61 62', 'a string cut off', /runs past/],
    ['40 81 ff 00', 'a Huffman string with bad padding', /padding|EOS/],
  ];
  for (const [bytes, what, message] of cases) {
    assert.throws(() => new HpackDecoder().decode(hex(bytes), NO_LIMIT), (e: Error) => e instanceof HpackError && message.test(e.message), what);
  }
});

test('a header list over the limit is reported, while the table stays in step', () => {
  const encoder = new HpackEncoder();
  const decoder = new HpackDecoder();
  const big = decoder.decode(encoder.encode(['x-a', 'a'.repeat(200), 'x-b', 'b']), 100);
  assert.equal(big.tooLarge, true);
  assert.deepEqual(big.fields, []);
  assert.deepEqual(decoder.decode(encoder.encode(['x-b', 'b']), 100).fields, ['x-b', 'b'], 'the entry added in the refused block is there');
});
