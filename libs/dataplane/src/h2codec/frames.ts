// HTTP/2 frames (RFC 9113 §4, §6): the nine-byte header, the frame types and flags, the error
// codes, and the writers for each frame the connection sends. Why HTTP/2 is hand-written here,
// as HTTP/1.1 is (http1/): node:http2 costs an AsyncResource, a Duplex stream and a header object
// per stream on both sides of a proxy. A minimal forwarder on it reached only 0.26–0.31 of a
// direct h2load run (docs/benchmarks.md), below the 0.4 the data plane is asked for; the frames
// themselves are simple, and the proxy needs nothing from nghttp2 but them.

export const FRAME_HEADER = 9;
export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export const enum FrameType {
  DATA = 0,
  HEADERS = 1,
  PRIORITY = 2,
  RST_STREAM = 3,
  SETTINGS = 4,
  PUSH_PROMISE = 5,
  PING = 6,
  GOAWAY = 7,
  WINDOW_UPDATE = 8,
  CONTINUATION = 9,
}

/** Frame flags (§6); ACK (SETTINGS, PING) shares END_STREAM's bit. */
export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** §7 error codes. */
export const enum ErrorCode {
  NO_ERROR = 0x0,
  PROTOCOL_ERROR = 0x1,
  INTERNAL_ERROR = 0x2,
  FLOW_CONTROL_ERROR = 0x3,
  SETTINGS_TIMEOUT = 0x4,
  STREAM_CLOSED = 0x5,
  FRAME_SIZE_ERROR = 0x6,
  REFUSED_STREAM = 0x7,
  CANCEL = 0x8,
  COMPRESSION_ERROR = 0x9,
  CONNECT_ERROR = 0xa,
  ENHANCE_YOUR_CALM = 0xb,
  INADEQUATE_SECURITY = 0xc,
  HTTP_1_1_REQUIRED = 0xd,
}

/** §6.5.2 settings identifiers. */
export const enum Setting {
  HEADER_TABLE_SIZE = 0x1,
  ENABLE_PUSH = 0x2,
  MAX_CONCURRENT_STREAMS = 0x3,
  INITIAL_WINDOW_SIZE = 0x4,
  MAX_FRAME_SIZE = 0x5,
  MAX_HEADER_LIST_SIZE = 0x6,
}

export const DEFAULT_WINDOW = 65_535;
export const DEFAULT_MAX_FRAME = 16_384;
export const MAX_WINDOW = 2 ** 31 - 1;

export function frameHeader(length: number, type: FrameType, flags: number, streamId: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER);
  writeFrameHeader(out, 0, length, type, flags, streamId);
  return out;
}

export function writeFrameHeader(out: Buffer, at: number, length: number, type: FrameType, flags: number, streamId: number): void {
  out[at] = (length >>> 16) & 0xff;
  out[at + 1] = (length >>> 8) & 0xff;
  out[at + 2] = length & 0xff;
  out[at + 3] = type;
  out[at + 4] = flags;
  out.writeUInt32BE(streamId & 0x7fffffff, at + 5);
}

export function settingsFrame(settings: readonly (readonly [Setting, number])[]): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + 6 * settings.length);
  writeFrameHeader(out, 0, 6 * settings.length, FrameType.SETTINGS, 0, 0);
  settings.forEach(([id, value], i) => {
    out.writeUInt16BE(id, FRAME_HEADER + 6 * i);
    out.writeUInt32BE(value, FRAME_HEADER + 6 * i + 2);
  });
  return out;
}

export const SETTINGS_ACK = frameHeader(0, FrameType.SETTINGS, Flag.ACK, 0);

export function pingFrame(payload: Uint8Array, ack: boolean): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + 8);
  writeFrameHeader(out, 0, 8, FrameType.PING, ack ? Flag.ACK : 0, 0);
  out.set(payload.subarray(0, 8), FRAME_HEADER);
  return out;
}

export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + 4);
  writeFrameHeader(out, 0, 4, FrameType.WINDOW_UPDATE, 0, streamId);
  out.writeUInt32BE(increment, FRAME_HEADER);
  return out;
}

export function rstStreamFrame(streamId: number, code: ErrorCode): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + 4);
  writeFrameHeader(out, 0, 4, FrameType.RST_STREAM, 0, streamId);
  out.writeUInt32BE(code, FRAME_HEADER);
  return out;
}

export function goawayFrame(lastStreamId: number, code: ErrorCode, debug = ''): Buffer {
  const text = Buffer.from(debug.slice(0, 256));
  const out = Buffer.allocUnsafe(FRAME_HEADER + 8 + text.length);
  writeFrameHeader(out, 0, 8 + text.length, FrameType.GOAWAY, 0, 0);
  out.writeUInt32BE(lastStreamId & 0x7fffffff, FRAME_HEADER);
  out.writeUInt32BE(code, FRAME_HEADER + 4);
  text.copy(out, FRAME_HEADER + 8);
  return out;
}

/** A header block as HEADERS, then CONTINUATION frames when it is larger than one frame. */
export function headerFrames(streamId: number, block: Buffer, endStream: boolean, maxFrame: number): Buffer[] {
  const frames: Buffer[] = [];
  let at = 0;
  do {
    const size = Math.min(maxFrame, block.length - at);
    const last = at + size >= block.length;
    const type = at === 0 ? FrameType.HEADERS : FrameType.CONTINUATION;
    const flags = (last ? Flag.END_HEADERS : 0) | (at === 0 && endStream ? Flag.END_STREAM : 0);
    frames.push(frameHeader(size, type, flags, streamId), block.subarray(at, at + size));
    at += size;
  } while (at < block.length);
  return frames;
}
