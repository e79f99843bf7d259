// HPACK's Huffman code (RFC 7541 §5.2, Appendix B): the decoder for header strings a peer sent
// Huffman-coded. It walks four bits at a time through a table built once from the code below, so
// each input byte costs two lookups; the padding rules of §5.2 (at most 7 bits, all ones, never
// the EOS symbol) are errors, as the RFC requires.

/** Appendix B, as `code:length` in hex, symbols 0..256 (256 is EOS). */
const CODES = (
  '1ff8:d 7fffd8:17 fffffe2:1c fffffe3:1c fffffe4:1c fffffe5:1c fffffe6:1c fffffe7:1c fffffe8:1c ffffea:18 3ffffffc:1e fffffe9:1c fffffea:1c 3ffffffd:1e fffffeb:1c fffffec:1c ' +
  'fffffed:1c fffffee:1c fffffef:1c ffffff0:1c ffffff1:1c ffffff2:1c 3ffffffe:1e ffffff3:1c ffffff4:1c ffffff5:1c ffffff6:1c ffffff7:1c ffffff8:1c ffffff9:1c ffffffa:1c ffffffb:1c ' +
  '14:6 3f8:a 3f9:a ffa:c 1ff9:d 15:6 f8:8 7fa:b 3fa:a 3fb:a f9:8 7fb:b fa:8 16:6 17:6 18:6 ' +
  '0:5 1:5 2:5 19:6 1a:6 1b:6 1c:6 1d:6 1e:6 1f:6 5c:7 fb:8 7ffc:f 20:6 ffb:c 3fc:a ' +
  '1ffa:d 21:6 5d:7 5e:7 5f:7 60:7 61:7 62:7 63:7 64:7 65:7 66:7 67:7 68:7 69:7 6a:7 ' +
  '6b:7 6c:7 6d:7 6e:7 6f:7 70:7 71:7 72:7 fc:8 73:7 fd:8 1ffb:d 7fff0:13 1ffc:d 3ffc:e 22:6 ' +
  '7ffd:f 3:5 23:6 4:5 24:6 5:5 25:6 26:6 27:6 6:5 74:7 75:7 28:6 29:6 2a:6 7:5 ' +
  '2b:6 76:7 2c:6 8:5 9:5 2d:6 77:7 78:7 79:7 7a:7 7b:7 7ffe:f 7fc:b 3ffd:e 1ffd:d ffffffc:1c ' +
  'fffe6:14 3fffd2:16 fffe7:14 fffe8:14 3fffd3:16 3fffd4:16 3fffd5:16 7fffd9:17 3fffd6:16 7fffda:17 7fffdb:17 7fffdc:17 7fffdd:17 7fffde:17 ffffeb:18 7fffdf:17 ' +
  'ffffec:18 ffffed:18 3fffd7:16 7fffe0:17 ffffee:18 7fffe1:17 7fffe2:17 7fffe3:17 7fffe4:17 1fffdc:15 3fffd8:16 7fffe5:17 3fffd9:16 7fffe6:17 7fffe7:17 ffffef:18 ' +
  '3fffda:16 1fffdd:15 fffe9:14 3fffdb:16 3fffdc:16 7fffe8:17 7fffe9:17 1fffde:15 7fffea:17 3fffdd:16 3fffde:16 fffff0:18 1fffdf:15 3fffdf:16 7fffeb:17 7fffec:17 ' +
  '1fffe0:15 1fffe1:15 3fffe0:16 1fffe2:15 7fffed:17 3fffe1:16 7fffee:17 7fffef:17 fffea:14 3fffe2:16 3fffe3:16 3fffe4:16 7ffff0:17 3fffe5:16 3fffe6:16 7ffff1:17 ' +
  '3ffffe0:1a 3ffffe1:1a fffeb:14 7fff1:13 3fffe7:16 7ffff2:17 3fffe8:16 1ffffec:19 3ffffe2:1a 3ffffe3:1a 3ffffe4:1a 7ffffde:1b 7ffffdf:1b 3ffffe5:1a fffff1:18 1ffffed:19 ' +
  '7fff2:13 1fffe3:15 3ffffe6:1a 7ffffe0:1b 7ffffe1:1b 3ffffe7:1a 7ffffe2:1b fffff2:18 1fffe4:15 1fffe5:15 3ffffe8:1a 3ffffe9:1a ffffffd:1c 7ffffe3:1b 7ffffe4:1b 7ffffe5:1b ' +
  'fffec:14 fffff3:18 fffed:14 1fffe6:15 3fffe9:16 1fffe7:15 1fffe8:15 7ffff3:17 3fffea:16 3fffeb:16 1ffffee:19 1ffffef:19 fffff4:18 fffff5:18 3ffffea:1a 7ffff4:17 ' +
  '3ffffeb:1a 7ffffe6:1b 3ffffec:1a 3ffffed:1a 7ffffe7:1b 7ffffe8:1b 7ffffe9:1b 7ffffea:1b 7ffffeb:1b ffffffe:1c 7ffffec:1b 7ffffed:1b 7ffffee:1b 7ffffef:1b 7fffff0:1b 3ffffee:1a ' +
  '3fffffff:1e'
)
  .split(' ')
  .map((entry) => {
    const [code, length] = entry.split(':') as [string, string];
    return { code: parseInt(code, 16), length: parseInt(length, 16) };
  });

export const EOS = 256;

// The code as a binary tree: node n's children are at 2n and 2n+1 of `tree`; a child ≥ 0 is an
// inner node, a child < 0 is the leaf for symbol -child-1.
const tree: number[] = [0, 0];
let nodes = 1;
for (let symbol = 0; symbol < CODES.length; symbol++) {
  const { code, length } = CODES[symbol] as { code: number; length: number };
  let node = 0;
  for (let bit = length - 1; bit >= 0; bit--) {
    const slot = 2 * node + ((code >>> bit) & 1);
    if (bit === 0) tree[slot] = -symbol - 1;
    else {
      if (tree[slot] === 0 || tree[slot] === undefined) {
        tree[slot] = nodes++;
        tree.push(0, 0);
      }
      node = tree[slot] as number;
    }
  }
}

// Padding (§5.2) is a prefix of EOS: all ones, shorter than 8 bits. These are the inner nodes a
// string may end on.
const mayEndOn = new Uint8Array(nodes);
for (let node = 0, depth = 0; depth < 8; depth++) {
  mayEndOn[node] = 1;
  node = tree[2 * node + 1] as number;
}

// Four bits at a time: for each (node, nibble) the node reached, and the symbol emitted on the way
// (a code is at least 5 bits, so at most one), or a failure (EOS inside the string).
const NONE = -1;
const FAIL = -2;
const nextNode = new Uint16Array(nodes * 16);
const emitted = new Int16Array(nodes * 16);
for (let start = 0; start < nodes; start++) {
  for (let nibble = 0; nibble < 16; nibble++) {
    let node = start;
    let out = NONE;
    for (let bit = 3; bit >= 0; bit--) {
      const child = tree[2 * node + ((nibble >>> bit) & 1)] as number;
      if (child >= 0) node = child;
      else {
        out = -child - 1 === EOS ? FAIL : -child - 1;
        node = 0;
        if (out === FAIL) break;
      }
    }
    nextNode[start * 16 + nibble] = node;
    emitted[start * 16 + nibble] = out;
  }
}

export class HuffmanError extends Error {}

/** Decodes `length` Huffman-coded bytes at `offset` as a latin1 string (one char per byte). */
export function huffmanDecode(data: Uint8Array, offset: number, length: number): string {
  const out = new Uint8Array(Math.ceil((length * 8) / 5));
  let n = 0;
  let node = 0;
  const end = offset + length;
  for (let i = offset; i < end; i++) {
    const byte = data[i] as number;
    let at = node * 16 + (byte >>> 4);
    let symbol = emitted[at] as number;
    if (symbol === FAIL) throw new HuffmanError('a Huffman-coded string holds EOS');
    if (symbol !== NONE) out[n++] = symbol;
    node = nextNode[at] as number;
    at = node * 16 + (byte & 15);
    symbol = emitted[at] as number;
    if (symbol === FAIL) throw new HuffmanError('a Huffman-coded string holds EOS');
    if (symbol !== NONE) out[n++] = symbol;
    node = nextNode[at] as number;
  }
  if (mayEndOn[node] !== 1) throw new HuffmanError('a Huffman-coded string ends in bad padding');
  return Buffer.from(out.buffer, 0, n).toString('latin1');
}

/** The RFC's code for `symbol` (tests encode with it; the encoder here sends plain literals). */
export function huffmanCode(symbol: number): { code: number; length: number } {
  return CODES[symbol] as { code: number; length: number };
}
