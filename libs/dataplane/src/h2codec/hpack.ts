// HPACK (RFC 7541): the header compression of HTTP/2, both ways. Header fields are a flat list,
// [name, value, name, value, …], latin1 strings, as the HTTP/1.1 codec keeps them. Hand-written
// with the frame codec (see frames.ts for why): node:http2 builds a header object per stream and
// has no way to hand its HPACK state to another codec.
import { huffmanDecode, HuffmanError } from './huffman.js';

/** Appendix A: the static table, index 1..61. */
const STATIC: readonly (readonly [string, string])[] = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'], [':scheme', 'http'], [':scheme', 'https'],
  [':status', '200'], [':status', '204'], [':status', '206'], [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'],
  ['accept-charset', ''], ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''], ['content-disposition', ''],
  ['content-encoding', ''], ['content-language', ''], ['content-length', ''], ['content-location', ''], ['content-range', ''], ['content-type', ''],
  ['cookie', ''], ['date', ''], ['etag', ''], ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''],
  ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''], ['location', ''], ['max-forwards', ''],
  ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''], ['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''],
  ['set-cookie', ''], ['strict-transport-security', ''], ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''], ['www-authenticate', ''],
];

/** An entry's size counts 32 octets of overhead (§4.1). */
const ENTRY_OVERHEAD = 32;
/** The table size both sides start with (SETTINGS_HEADER_TABLE_SIZE's default). */
export const DEFAULT_TABLE_SIZE = 4096;

export class HpackError extends Error {}

/** The dynamic table: newest first by HPACK index, kept as a ring of name/value pairs. */
class DynamicTable {
  names: string[] = [];
  values: string[] = [];
  /** Entries ever inserted; entry k (0-based insertion order) is live while k ≥ evicted. */
  inserted = 0;
  evicted = 0;
  size = 0;

  constructor(public maxSize: number) {}

  get length(): number {
    return this.inserted - this.evicted;
  }

  /** HPACK index 62 is the newest entry. */
  at(dynamicIndex: number): [string, string] | undefined {
    if (dynamicIndex < 0 || dynamicIndex >= this.length) return undefined;
    const k = (this.inserted - 1 - dynamicIndex) % this.names.length;
    return [this.names[k] as string, this.values[k] as string];
  }

  add(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    this.evictTo(this.maxSize - size);
    if (size > this.maxSize) return; // §4.4: an entry larger than the table empties it
    if (this.length === this.names.length) this.#grow();
    const k = this.inserted % this.names.length;
    this.names[k] = name;
    this.values[k] = value;
    this.inserted++;
    this.size += size;
  }

  evictTo(limit: number): void {
    while (this.size > limit && this.length > 0) {
      const k = this.evicted % this.names.length;
      this.size -= (this.names[k] as string).length + (this.values[k] as string).length + ENTRY_OVERHEAD;
      this.evicted++;
    }
  }

  resize(maxSize: number): void {
    this.maxSize = maxSize;
    this.evictTo(maxSize);
  }

  /** Insertion numbers stay as they were (the encoder's index keys on them); only the ring grows. */
  #grow(): void {
    const old = this.names.length;
    const capacity = Math.max(16, old * 2);
    const names: string[] = new Array(capacity);
    const values: string[] = new Array(capacity);
    for (let k = this.evicted; k < this.inserted; k++) {
      names[k % capacity] = this.names[k % old] as string;
      values[k % capacity] = this.values[k % old] as string;
    }
    this.names = names;
    this.values = values;
  }
}

export interface DecodedBlock {
  /** [name, value, …] in the order sent; pseudo-headers included. */
  fields: string[];
  /** The decoded size (§4.1 rules) went over the limit: `fields` is incomplete and must not be used. */
  tooLarge: boolean;
}

export class HpackDecoder {
  readonly #table: DynamicTable;

  /** `maxTableSize` is the SETTINGS_HEADER_TABLE_SIZE this side announced. */
  constructor(private readonly maxTableSize = DEFAULT_TABLE_SIZE) {
    this.#table = new DynamicTable(maxTableSize);
  }

  /**
   * Decodes a whole header block. Fields past `maxListSize` (names + values + 32 each, as
   * SETTINGS_MAX_HEADER_LIST_SIZE counts) are still decoded, since the table must stay in step
   * with the peer's, but not kept. A malformed block throws HpackError: a connection error.
   */
  decode(block: Uint8Array, maxListSize: number): DecodedBlock {
    const fields: string[] = [];
    let listSize = 0;
    let tooLarge = false;
    let at = 0;
    let fieldSeen = false;
    const end = block.length;
    const table = this.#table;
    while (at < end) {
      const first = block[at] as number;
      let name: string;
      let value: string;
      if (first & 0x80) {
        // §6.1 indexed field
        const [index, next] = readInteger(block, at, 7);
        at = next;
        [name, value] = this.#entry(index);
      } else if ((first & 0xe0) === 0x20) {
        // §6.3 dynamic table size update: only before the first field of a block
        const [size, next] = readInteger(block, at, 5);
        at = next;
        if (fieldSeen) throw new HpackError('a dynamic table size update after a header field');
        if (size > this.maxTableSize) throw new HpackError(`a dynamic table size update to ${size}, over the ${this.maxTableSize} allowed`);
        table.resize(size);
        continue;
      } else {
        // §6.2 literals: with incremental indexing (01), without (0000), never indexed (0001)
        const indexing = (first & 0xc0) === 0x40;
        const [index, next] = readInteger(block, at, indexing ? 6 : 4);
        at = next;
        if (index === 0) {
          [name, at] = readString(block, at);
        } else name = this.#entry(index)[0];
        [value, at] = readString(block, at);
        if (indexing) table.add(name, value);
      }
      fieldSeen = true;
      listSize += name.length + value.length + ENTRY_OVERHEAD;
      if (listSize > maxListSize) tooLarge = true;
      if (!tooLarge) fields.push(name, value);
    }
    return { fields: tooLarge ? [] : fields, tooLarge };
  }

  #entry(index: number): [string, string] {
    if (index === 0) throw new HpackError('header index 0');
    if (index <= STATIC.length) return STATIC[index - 1] as [string, string];
    const entry = this.#table.at(index - STATIC.length - 1);
    if (!entry) throw new HpackError(`header index ${index} is past the table`);
    return entry;
  }
}

/** §5.1 integer with an N-bit prefix; bounded at 2^28 so a hostile encoding cannot overflow. */
function readInteger(block: Uint8Array, at: number, prefixBits: number): [number, number] {
  const mask = (1 << prefixBits) - 1;
  let value = (block[at] as number) & mask;
  at++;
  if (value < mask) return [value, at];
  let shift = 0;
  for (;;) {
    if (at >= block.length) throw new HpackError('a header integer runs past the block');
    const byte = block[at++] as number;
    value += (byte & 0x7f) * 2 ** shift;
    if (value > 0x0fffffff) throw new HpackError('a header integer over 2^28');
    if ((byte & 0x80) === 0) return [value, at];
    shift += 7;
  }
}

/** §5.2 string literal: plain or Huffman-coded. */
function readString(block: Uint8Array, at: number): [string, number] {
  if (at >= block.length) throw new HpackError('a header string runs past the block');
  const huffman = ((block[at] as number) & 0x80) !== 0;
  const [length, start] = readInteger(block, at, 7);
  const end = start + length;
  if (end > block.length) throw new HpackError('a header string runs past the block');
  if (!huffman) return [latin1(block, start, end), end];
  try {
    return [huffmanDecode(block, start, length), end];
  } catch (error) {
    if (error instanceof HuffmanError) throw new HpackError(error.message);
    throw error;
  }
}

function latin1(block: Uint8Array, start: number, end: number): string {
  // Short strings: a loop beats Buffer's toString call on this hot path.
  if (end - start < 24) {
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(block[i] as number);
    return s;
  }
  return Buffer.from(block.buffer, block.byteOffset + start, end - start).toString('latin1');
}

/** Field names whose values are secrets or change per request: never put in the table (§7.1.3). */
const NEVER_INDEXED = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);
const NOT_INDEXED = new Set([':path', 'content-length', 'x-request-id', 'traceparent', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'date', 'etag', 'last-modified', 'grpc-timeout']);
/** Values longer than this go as literals: one would push most of the table out. */
const MAX_INDEXED_VALUE = 512;

const staticByPair = new Map<string, number>();
const staticByName = new Map<string, number>();
STATIC.forEach(([name, value], i) => {
  if (!staticByPair.has(`${name}\0${value}`)) staticByPair.set(`${name}\0${value}`, i + 1);
  if (!staticByName.has(name)) staticByName.set(name, i + 1);
});

/**
 * The encoder: fields found in the static or dynamic table go as an index (one or two bytes),
 * others as literals, added to the table unless they are secrets or unique per request. Strings
 * go unencoded (Huffman is optional, §5.2): on loopback and between sidecars the bytes cost less
 * than the encoding.
 */
export class HpackEncoder {
  readonly #table = new DynamicTable(DEFAULT_TABLE_SIZE);
  /** name\0value → insertion number of the newest entry holding it. */
  readonly #byPair = new Map<string, number>();
  /** Size changes since the last block: the smallest and the last must both be said. */
  #resizeMin: number | undefined;
  #resizeFinal: number | undefined;
  #out = Buffer.allocUnsafe(4096);
  #at = 0;

  /** The peer's SETTINGS_HEADER_TABLE_SIZE: the table follows it (up to 4 KiB), said in the next block (§4.2). */
  setMaxTableSize(size: number): void {
    const limit = Math.min(size, DEFAULT_TABLE_SIZE);
    if (limit === this.#table.maxSize) return;
    this.#resizeMin = Math.min(this.#resizeMin ?? limit, limit);
    this.#resizeFinal = limit;
    this.#table.resize(limit);
    this.#prune();
  }

  /** Encodes pseudo-headers and fields as one header block. */
  encode(fields: readonly string[]): Buffer {
    this.#at = 0;
    if (this.#resizeFinal !== undefined) {
      if ((this.#resizeMin as number) < this.#resizeFinal) this.#integer(this.#resizeMin as number, 5, 0x20);
      this.#integer(this.#resizeFinal, 5, 0x20);
      this.#resizeMin = this.#resizeFinal = undefined;
    }
    for (let i = 0; i < fields.length; i += 2) this.#field(fields[i] as string, fields[i + 1] as string);
    return Buffer.from(this.#out.subarray(0, this.#at));
  }

  #field(name: string, value: string): void {
    const key = `${name}\0${value}`;
    const exact = staticByPair.get(key);
    if (exact !== undefined) return this.#integer(exact, 7, 0x80);
    const table = this.#table;
    const insertion = this.#byPair.get(key);
    if (insertion !== undefined && insertion >= table.evicted) {
      return this.#integer(STATIC.length + table.inserted - insertion, 7, 0x80);
    }
    const nameIndex = staticByName.get(name) ?? 0;
    if (NEVER_INDEXED.has(name)) {
      this.#integer(nameIndex, 4, 0x10);
    } else if (NOT_INDEXED.has(name) || value.length > MAX_INDEXED_VALUE || name.length + value.length + ENTRY_OVERHEAD > table.maxSize) {
      this.#integer(nameIndex, 4, 0x00);
    } else {
      this.#integer(nameIndex, 6, 0x40);
      if (nameIndex === 0) this.#string(name);
      this.#string(value);
      table.add(name, value);
      this.#byPair.set(key, table.inserted - 1);
      if (this.#byPair.size > table.length * 2 + 64) this.#prune();
      return;
    }
    if (nameIndex === 0) this.#string(name);
    this.#string(value);
  }

  #prune(): void {
    const evicted = this.#table.evicted;
    for (const [key, insertion] of this.#byPair) if (insertion < evicted) this.#byPair.delete(key);
  }

  #integer(value: number, prefixBits: number, pattern: number): void {
    this.#reserve(6);
    const mask = (1 << prefixBits) - 1;
    const out = this.#out;
    if (value < mask) {
      out[this.#at++] = pattern | value;
      return;
    }
    out[this.#at++] = pattern | mask;
    value -= mask;
    while (value >= 0x80) {
      out[this.#at++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    out[this.#at++] = value;
  }

  #string(text: string): void {
    this.#integer(text.length, 7, 0x00);
    this.#reserve(text.length);
    this.#at += this.#out.write(text, this.#at, 'latin1');
  }

  #reserve(bytes: number): void {
    if (this.#at + bytes <= this.#out.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#out.length * 2, this.#at + bytes));
    this.#out.copy(grown, 0, 0, this.#at);
    this.#out = grown;
  }
}
