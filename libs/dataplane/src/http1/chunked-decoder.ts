// The chunked transfer coding (RFC 9112 §7.1), decoded as bytes arrive: data is handed on as
// slices of the buffers read (no copies), chunk extensions are checked and dropped, trailers are
// parsed like header fields. Strict where smuggling lives: no whitespace around the size, a size
// of at most 15 hex digits (no overflow), CRLF after every chunk, bounded extensions and trailers.
import { HEX, TOKEN } from './chars.js';
import { codecError } from './codec-error.js';
import { DEFAULT_HEAD_LIMITS, parseTrailerBlock, type HeadLimits } from './head-parser.js';

const enum State {
  Size,
  Extension,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  Trailers,
  Done,
}

/** Longest chunk-size line (size and extensions) accepted, as llhttp-era proxies bound it. */
const MAX_SIZE_LINE = 4096;

export interface ChunkedSink {
  data(chunk: Buffer): void;
  /** The last chunk and trailers have come; `trailers` is a flat [name, value, …] list. */
  end(trailers: string[]): void;
}

export class ChunkedDecoder {
  private state = State.Size;
  private size = 0;
  private digits = 0;
  private lineBytes = 0;
  private remaining = 0;
  private trailerBytes: Buffer[] = [];
  private trailerLength = 0;
  private ext = Ext.NameStart;

  constructor(
    private readonly sink: ChunkedSink,
    private readonly limits: HeadLimits = DEFAULT_HEAD_LIMITS,
  ) {}

  get done(): boolean {
    return this.state === State.Done;
  }

  /** Consumes what it can of buf[offset..]; returns how many bytes it used. Throws CodecError. */
  feed(buf: Buffer, offset = 0): number {
    let i = offset;
    const n = buf.length;
    while (i < n && this.state !== State.Done) {
      switch (this.state) {
        case State.Size: {
          const c = buf[i] ?? 0;
          if (HEX[c] === 1) {
            if (++this.digits > 15) codecError(400, 'http1.invalid_chunk', 'a chunk size of more than 15 hex digits');
            this.size = this.size * 16 + hexValue(c);
            i++;
            this.lineBytes++;
          } else if (this.digits === 0) {
            codecError(400, 'http1.invalid_chunk', 'a chunk without a hex size');
          } else if (c === 0x3b) {
            this.state = State.Extension;
            this.ext = Ext.NameStart;
            i++;
            this.lineBytes++;
          } else if (c === 0x0d) {
            this.state = State.SizeLf;
            i++;
          } else {
            codecError(400, 'http1.invalid_chunk', `byte 0x${c.toString(16)} after a chunk size`);
          }
          break;
        }
        case State.Extension: {
          // chunk-ext = *( ";" token [ "=" ( token / quoted-string ) ] ), with no whitespace, as
          // llhttp's strict mode reads it; extensions are checked, then dropped.
          const c = buf[i] ?? 0;
          if (++this.lineBytes > MAX_SIZE_LINE) codecError(400, 'http1.invalid_chunk', `a chunk-size line longer than ${MAX_SIZE_LINE} bytes`);
          i++;
          this.ext = nextExtensionState(this.ext, c);
          if (this.ext === Ext.Invalid) codecError(400, 'http1.invalid_chunk_extension', `byte 0x${c.toString(16)} out of place in a chunk extension`);
          if (this.ext === Ext.Done) {
            this.ext = Ext.NameStart;
            this.state = State.SizeLf;
          }
          break;
        }
        case State.SizeLf: {
          if (buf[i] !== 0x0a) codecError(400, 'http1.invalid_chunk', 'a chunk-size line not ended by CRLF');
          i++;
          this.lineBytes = 0;
          this.digits = 0;
          if (this.size === 0) {
            this.state = State.Trailers;
          } else {
            this.remaining = this.size;
            this.size = 0;
            this.state = State.Data;
          }
          break;
        }
        case State.Data: {
          const take = Math.min(this.remaining, n - i);
          this.sink.data(buf.subarray(i, i + take));
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = State.DataCr;
          break;
        }
        case State.DataCr:
          if (buf[i] !== 0x0d) codecError(400, 'http1.invalid_chunk', 'chunk data longer than its size');
          i++;
          this.state = State.DataLf;
          break;
        case State.DataLf:
          if (buf[i] !== 0x0a) codecError(400, 'http1.invalid_chunk', 'chunk data not ended by CRLF');
          i++;
          this.state = State.Size;
          break;
        case State.Trailers:
          i = this.feedTrailers(buf, i);
          break;
      }
    }
    return i - offset;
  }

  /** Trailer section: header lines up to an empty line; usually just the empty line. */
  private feedTrailers(buf: Buffer, i: number): number {
    if (this.trailerLength === 0 && buf.length - i >= 2 && buf[i] === 0x0d && buf[i + 1] === 0x0a) {
      this.state = State.Done;
      this.sink.end([]);
      return i + 2;
    }
    const prior = this.trailerLength;
    const piece = buf.subarray(i);
    this.trailerBytes.push(piece);
    this.trailerLength += piece.length;
    const all = this.trailerBytes.length === 1 ? piece : Buffer.concat(this.trailerBytes);
    if (all.length >= 2 && all[0] === 0x0d && all[1] === 0x0a) {
      this.state = State.Done;
      this.sink.end([]);
      return i + 2 - prior;
    }
    const end = all.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.trailerLength > this.limits.maxHeadBytes) codecError(431, 'http1.headers_too_large', `trailers larger than ${this.limits.maxHeadBytes} bytes`);
      if (all.length >= 1 && all[0] !== 0x0d && all.indexOf(0x0a) >= 0 && bareLf(all)) codecError(400, 'http1.bare_line_break', 'a line feed without a carriage return in the trailers');
      return buf.length;
    }
    const trailers = parseTrailerBlock(all.toString('latin1', 0, end + 2), this.limits);
    this.state = State.Done;
    this.trailerBytes = [];
    this.sink.end(trailers);
    return i + (end + 4 - prior);
  }
}

const enum Ext {
  NameStart,
  Name,
  ValueStart,
  Token,
  Quoted,
  QuotedEscape,
  QuotedEnd,
  Done,
  Invalid,
}

/** One step of the chunk-extension grammar; CR ends the line where a name or value may end. */
function nextExtensionState(state: Ext, c: number): Ext {
  switch (state) {
    case Ext.NameStart:
      return TOKEN[c] === 1 ? Ext.Name : Ext.Invalid;
    case Ext.Name:
    case Ext.Token:
    case Ext.QuotedEnd:
      if (c === 0x0d) return Ext.Done;
      if (c === 0x3b) return Ext.NameStart;
      if (state === Ext.Name && c === 0x3d) return Ext.ValueStart;
      return state !== Ext.QuotedEnd && TOKEN[c] === 1 ? state : Ext.Invalid;
    case Ext.ValueStart:
      if (c === 0x22) return Ext.Quoted;
      return TOKEN[c] === 1 ? Ext.Token : Ext.Invalid;
    case Ext.Quoted:
      if (c === 0x22) return Ext.QuotedEnd;
      if (c === 0x5c) return Ext.QuotedEscape;
      return c === 0x09 || (c >= 0x20 && c !== 0x7f) ? Ext.Quoted : Ext.Invalid;
    case Ext.QuotedEscape:
      return c === 0x09 || (c >= 0x20 && c !== 0x7f) ? Ext.Quoted : Ext.Invalid;
    default:
      return Ext.Invalid;
  }
}

function bareLf(b: Buffer): boolean {
  for (let i = b.indexOf(0x0a); i >= 0; i = b.indexOf(0x0a, i + 1)) if (i === 0 || b[i - 1] !== 0x0d) return true;
  return false;
}

function hexValue(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
}

/** The size line of a chunk of `length` bytes (the data and its CRLF are written apart). */
export function chunkHeader(length: number): string {
  return `${length.toString(16)}\r\n`;
}

/** The last chunk with trailers, or none. */
export function lastChunk(trailers: readonly string[] = []): string {
  if (trailers.length === 0) return '0\r\n\r\n';
  let out = '0\r\n';
  for (let i = 0; i < trailers.length; i += 2) out += `${trailers[i]}: ${trailers[i + 1]}\r\n`;
  return `${out}\r\n`;
}
