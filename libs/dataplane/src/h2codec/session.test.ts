// The HTTP/2 connection state machine without sockets: a test peer writes frames, a fake transport
// collects what the session sends. Flow control both ways, the limits a hostile peer meets, and the
// errors RFC 9113 names for each protocol violation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MAX_FRAME, ErrorCode, Flag, FRAME_HEADER, frameHeader, FrameType, goawayFrame, pingFrame, PREFACE, rstStreamFrame, Setting, settingsFrame, windowUpdateFrame } from './frames.js';
import { HpackDecoder, HpackEncoder } from './hpack.js';
import { H2Session, type H2Stream, type SessionOptions, type StreamHandler } from './session.js';

interface Frame { type: number; flags: number; streamId: number; payload: Buffer }

class FakeTransport {
  frames: Frame[] = [];
  ended = false;
  full = false;
  #pending = Buffer.alloc(0);
  write(chunks: Buffer[]): boolean {
    let data = Buffer.concat([this.#pending, ...chunks]);
    if (data.subarray(0, PREFACE.length).equals(PREFACE)) data = data.subarray(PREFACE.length);
    while (data.length >= FRAME_HEADER) {
      const length = data.readUIntBE(0, 3);
      if (data.length < FRAME_HEADER + length) break;
      this.frames.push({ type: data[3] as number, flags: data[4] as number, streamId: data.readUInt32BE(5), payload: Buffer.from(data.subarray(FRAME_HEADER, FRAME_HEADER + length)) });
      data = data.subarray(FRAME_HEADER + length);
    }
    this.#pending = Buffer.from(data);
    return !this.full;
  }
  end(): void {
    this.ended = true;
  }
  take(type?: FrameType): Frame[] {
    const out = this.frames.filter((f) => type === undefined || f.type === type);
    this.frames = this.frames.filter((f) => !(type === undefined || f.type === type));
    return out;
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

interface Served { stream: H2Stream; fields: string[]; endStream: boolean; tooLarge: boolean; data: Buffer[]; ended: boolean; resets: number[] }

function server(options: Partial<SessionOptions> = {}) {
  const transport = new FakeTransport();
  const served: Served[] = [];
  let closed: string | undefined;
  const session = new H2Session(transport, {
    role: 'server',
    maxHeaderListSize: 60 * 1024,
    onStream: (stream, fields, endStream, tooLarge) => {
      const s: Served = { stream, fields, endStream, tooLarge, data: [], ended: endStream, resets: [] };
      stream.handler = handler(s);
      served.push(s);
    },
    onClose: (reason) => (closed = reason),
    ...options,
  });
  const encoder = new HpackEncoder();
  const peer = {
    send: (...frames: Buffer[]) => session.receive(Buffer.concat(frames)),
    headers: (streamId: number, fields: string[], endStream: boolean) => {
      const block = encoder.encode(fields);
      return Buffer.concat([frameHeader(block.length, FrameType.HEADERS, Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0), streamId), block]);
    },
    data: (streamId: number, bytes: Buffer, endStream = false) => Buffer.concat([frameHeader(bytes.length, FrameType.DATA, endStream ? Flag.END_STREAM : 0, streamId), bytes]),
  };
  session.receive(Buffer.concat([PREFACE, settingsFrame([])]));
  return { session, transport, served, peer, closed: () => closed };
}

function handler(s: Served): StreamHandler {
  return {
    headers: () => undefined,
    data: (chunk) => s.data.push(Buffer.from(chunk)),
    end: () => (s.ended = true),
    reset: (code) => s.resets.push(code),
    drain: () => undefined,
  };
}

const REQUEST = [':method', 'GET', ':scheme', 'http', ':authority', 'svc', ':path', '/'];
const POST = [':method', 'POST', ':scheme', 'http', ':authority', 'svc', ':path', '/upload'];

function goawayCode(transport: FakeTransport): number | undefined {
  const g = transport.take(FrameType.GOAWAY)[0];
  return g?.payload.readUInt32BE(4);
}

test('a server announces its settings and acknowledges the client\'s, then serves a request with data both ways', async () => {
  const { transport, served, peer } = server();
  await tick();
  const [settings] = transport.take(FrameType.SETTINGS);
  assert.ok(settings && settings.payload.length % 6 === 0);
  peer.send(peer.headers(1, POST, false));
  assert.equal(served.length, 1);
  peer.send(peer.data(1, Buffer.from('hello'), true));
  assert.equal(Buffer.concat((served[0] as Served).data).toString(), 'hello');
  assert.equal((served[0] as Served).ended, true);
  const stream = (served[0] as Served).stream;
  stream.sendHeaders([':status', '200'], false);
  stream.write(Buffer.from('world'));
  stream.end(['grpc-status', '0']);
  await tick();
  const out = transport.take().filter((f) => f.streamId === 1);
  assert.deepEqual(out.map((f) => f.type), [FrameType.HEADERS, FrameType.DATA, FrameType.HEADERS]);
  assert.equal((out[2] as Frame).flags & Flag.END_STREAM, Flag.END_STREAM, 'trailers end the stream');
  assert.deepEqual(new HpackDecoder().decode(Buffer.concat([(out[0] as Frame).payload]), 1 << 20).fields, [':status', '200']);
});

test('PING is answered with the same 8 bytes; SETTINGS is acknowledged', async () => {
  const { transport, peer } = server();
  await tick();
  transport.take();
  peer.send(pingFrame(Buffer.from('12345678'), false), settingsFrame([[Setting.MAX_FRAME_SIZE, 32768]]));
  await tick();
  const frames = transport.take();
  assert.ok(frames.some((f) => f.type === FrameType.PING && f.flags === Flag.ACK && f.payload.toString() === '12345678'));
  assert.ok(frames.some((f) => f.type === FrameType.SETTINGS && f.flags === Flag.ACK));
});

test('flow control out: data past the peer\'s window waits, WINDOW_UPDATE lets it go, and drain follows', async () => {
  const { transport, served, peer } = server();
  peer.send(settingsFrame([[Setting.INITIAL_WINDOW_SIZE, 1000]]));
  peer.send(peer.headers(1, REQUEST, true));
  const stream = (served[0] as Served).stream;
  let drained = 0;
  stream.handler = { ...handler(served[0] as Served), drain: () => drained++ };
  stream.sendHeaders([':status', '200'], false);
  assert.equal(stream.write(Buffer.alloc(100 * 1024)), false, 'over the high-water mark: wait');
  await tick();
  const sent = transport.take(FrameType.DATA).reduce((n, f) => n + f.payload.length, 0);
  assert.equal(sent, 1000, 'only the stream window went out');
  peer.send(windowUpdateFrame(1, 60_000), windowUpdateFrame(0, 10_000_000));
  await tick();
  const more = transport.take(FrameType.DATA);
  assert.equal(more.reduce((n, f) => n + f.payload.length, 0), 60_000);
  assert.ok(more.every((f) => f.payload.length <= DEFAULT_MAX_FRAME), 'frames within the peer\'s frame size');
  peer.send(windowUpdateFrame(1, 1_000_000));
  await tick();
  assert.equal(drained, 1, 'drain once the queue is under the mark');
});

test('flow control in: a paused stream gives no window back until it is resumed', async () => {
  const { transport, served, peer } = server({ streamWindow: 65_536, connectionWindow: 65_536 });
  peer.send(peer.headers(1, POST, false));
  const s = served[0] as Served;
  s.stream.pause();
  await tick();
  transport.take();
  for (let i = 0; i < 4; i++) peer.send(peer.data(1, Buffer.alloc(16_000)));
  await tick();
  assert.equal(transport.take(FrameType.WINDOW_UPDATE).filter((f) => f.streamId === 1).length, 0, 'the stream\'s window stays shut while it is paused');
  assert.equal(s.data.length, 0);
  s.stream.resume();
  await tick();
  assert.equal(Buffer.concat(s.data).length, 64_000);
  const updates = transport.take(FrameType.WINDOW_UPDATE);
  assert.ok(updates.some((f) => f.streamId === 1), 'the stream window reopened');
  peer.send(peer.data(1, Buffer.alloc(16_000)));
  assert.deepEqual(s.resets, [], 'the reopened window takes more');
});

test('paused streams hold at most 4 MiB of a connection: past that the connection window stays shut until they are read', async () => {
  const { transport, served, peer } = server({ streamWindow: 2 * 1024 * 1024, connectionWindow: 1024 * 1024 });
  let window = 65_535; // RFC 9113's initial connection window; the session's WINDOW_UPDATE adds to it
  let accepted = 0;
  for (let id = 1; id <= 9; id += 2) {
    peer.send(peer.headers(id, POST, false));
    (served[served.length - 1] as Served).stream.pause();
  }
  // The peer sends whatever its connection window allows, round the streams, until it is shut.
  for (let round = 0; round < 200 && window >= 16_000; round++) {
    for (let id = 1; id <= 9 && window >= 16_000; id += 2) {
      peer.send(peer.data(id, Buffer.alloc(16_000)));
      window -= 16_000;
      accepted += 16_000;
    }
    await tick();
    for (const f of transport.take(FrameType.WINDOW_UPDATE)) if (f.streamId === 0) window += f.payload.readUInt32BE(0);
  }
  assert.ok(accepted <= 4 * 1024 * 1024 + 1024 * 1024 + 16_000, `${accepted} bytes taken in`);
  assert.ok(accepted >= 4 * 1024 * 1024, `a slow stream does not hold up the connection below the limit (${accepted} bytes)`);
  assert.ok(served.every((s) => s.resets.length === 0));
  for (const s of served) s.stream.resume();
  await tick();
  const reopened = transport.take(FrameType.WINDOW_UPDATE).filter((f) => f.streamId === 0).reduce((n, f) => n + f.payload.readUInt32BE(0), 0);
  assert.ok(reopened > 0, 'reading gives the connection window back');
  assert.equal(served.reduce((n, s) => n + Buffer.concat(s.data).length, 0), accepted);
});

test('DATA past a stream\'s window resets that stream with FLOW_CONTROL_ERROR', async () => {
  const { transport, served, peer } = server({ streamWindow: 1000, connectionWindow: 1 << 20 });
  peer.send(peer.headers(1, POST, false));
  peer.send(peer.data(1, Buffer.alloc(2000)));
  await tick();
  const [rst] = transport.take(FrameType.RST_STREAM);
  assert.equal(rst?.payload.readUInt32BE(0), ErrorCode.FLOW_CONTROL_ERROR);
  assert.deepEqual((served[0] as Served).resets, [ErrorCode.FLOW_CONTROL_ERROR]);
});

test('streams past MAX_CONCURRENT_STREAMS are refused with REFUSED_STREAM', async () => {
  const { transport, served, peer } = server({ maxConcurrentStreams: 2 });
  peer.send(peer.headers(1, REQUEST, true), peer.headers(3, REQUEST, true), peer.headers(5, REQUEST, true));
  await tick();
  assert.equal(served.length, 2);
  const [rst] = transport.take(FrameType.RST_STREAM);
  assert.equal(rst?.streamId, 5);
  assert.equal(rst?.payload.readUInt32BE(0), ErrorCode.REFUSED_STREAM);
});

test('a client resetting most streams it opens is cut off with ENHANCE_YOUR_CALM (the rapid reset attack)', async () => {
  const { transport, peer, closed } = server();
  for (let id = 1; id < 1200; id += 2) peer.send(peer.headers(id, REQUEST, true), rstStreamFrame(id, ErrorCode.CANCEL));
  await tick();
  assert.equal(goawayCode(transport), ErrorCode.ENHANCE_YOUR_CALM);
  assert.match(String(closed()), /reset by the client before their answer/);
  assert.equal(transport.ended, true);
});

test('streams cancelled after their answer began are not premature: the connection stays', async () => {
  const { session, transport, served, peer } = server();
  for (let id = 1; id < 1200; id += 2) {
    peer.send(peer.headers(id, REQUEST, true));
    served[served.length - 1]?.stream.sendHeaders([':status', '200'], false);
    peer.send(rstStreamFrame(id, ErrorCode.CANCEL));
  }
  await tick();
  assert.equal(session.closed, false);
  assert.equal(goawayCode(transport), undefined);
});

test('control frames queued for a peer that does not read close the connection (the ping flood)', async () => {
  const { session, transport, peer } = server();
  await tick();
  transport.full = true;
  session.receive(settingsFrame([])); // one write while full marks the transport full
  await tick();
  const pings = Buffer.concat(Array.from({ length: 1200 }, () => pingFrame(Buffer.alloc(8), false)));
  peer.send(pings);
  await tick();
  assert.equal(session.closed, true);
  assert.equal(goawayCode(transport), ErrorCode.ENHANCE_YOUR_CALM);
});

test('a header block in endless CONTINUATION frames is cut off (the CONTINUATION flood)', async () => {
  const { session, transport, peer } = server({ maxHeaderListSize: 16 * 1024 });
  const open = frameHeader(4, FrameType.HEADERS, 0, 1);
  peer.send(open, Buffer.from([0x82, 0x86, 0x84, 0x41]));
  for (let i = 0; i < 10 && !session.closed; i++) peer.send(frameHeader(8000, FrameType.CONTINUATION, 0, 1), Buffer.alloc(8000, 0x61));
  await tick();
  assert.equal(session.closed, true);
  assert.equal(goawayCode(transport), ErrorCode.ENHANCE_YOUR_CALM);
});

test('protocol violations are connection errors with the code RFC 9113 gives', async () => {
  const cases: [string, (p: ReturnType<typeof server>['peer']) => Buffer[], ErrorCode][] = [
    ['a frame over the maximum size', () => [frameHeader(DEFAULT_MAX_FRAME + 1, FrameType.DATA, 0, 1), Buffer.alloc(DEFAULT_MAX_FRAME + 1)], ErrorCode.FRAME_SIZE_ERROR],
    ['a stream with an even id', (p) => [p.headers(2, REQUEST, true)], ErrorCode.PROTOCOL_ERROR],
    ['DATA on stream 0', () => [frameHeader(1, FrameType.DATA, 0, 0), Buffer.from('x')], ErrorCode.PROTOCOL_ERROR],
    ['a WINDOW_UPDATE that overflows the connection window', () => [windowUpdateFrame(0, 2 ** 31 - 1)], ErrorCode.FLOW_CONTROL_ERROR],
    ['a PING of 7 bytes', () => [frameHeader(7, FrameType.PING, 0, 0), Buffer.alloc(7)], ErrorCode.FRAME_SIZE_ERROR],
    ['PUSH_PROMISE from a client', () => [frameHeader(4, FrameType.PUSH_PROMISE, Flag.END_HEADERS, 1), Buffer.alloc(4)], ErrorCode.PROTOCOL_ERROR],
    ['a header block cut by another frame', () => [frameHeader(1, FrameType.HEADERS, 0, 1), Buffer.from([0x82]), pingFrame(Buffer.alloc(8), false)], ErrorCode.PROTOCOL_ERROR],
    ['a malformed header block', () => [frameHeader(1, FrameType.HEADERS, Flag.END_HEADERS, 1), Buffer.from([0x80])], ErrorCode.COMPRESSION_ERROR],
    ['SETTINGS with a bad length', () => [frameHeader(5, FrameType.SETTINGS, 0, 0), Buffer.alloc(5)], ErrorCode.FRAME_SIZE_ERROR],
    ['an INITIAL_WINDOW_SIZE over 2^31-1', () => [settingsFrame([[Setting.INITIAL_WINDOW_SIZE, 2 ** 31]])], ErrorCode.FLOW_CONTROL_ERROR],
  ];
  for (const [what, frames, code] of cases) {
    const { session, transport, peer } = server();
    peer.send(...frames(peer));
    await tick();
    assert.equal(session.closed, true, what);
    assert.equal(goawayCode(transport), code, what);
  }
});

test('a connection that does not begin with the preface, or whose first frame is not SETTINGS, is refused', async () => {
  for (const bytes of [Buffer.from('GET / HTTP/1.1\r\n\r\n'), Buffer.concat([PREFACE, pingFrame(Buffer.alloc(8), false)])]) {
    const transport = new FakeTransport();
    const session = new H2Session(transport, { role: 'server', maxHeaderListSize: 1024 });
    session.receive(bytes);
    await tick();
    assert.equal(session.closed, true);
    assert.equal(goawayCode(transport), ErrorCode.PROTOCOL_ERROR);
  }
});

test('a client: streams past the peer\'s GOAWAY are refused (safe to retry), earlier ones finish', async () => {
  const transport = new FakeTransport();
  const session = new H2Session(transport, { role: 'client', maxHeaderListSize: 60 * 1024 });
  const seen: string[] = [];
  const h = (name: string): StreamHandler => ({ headers: () => seen.push(`${name} head`), data: () => undefined, end: () => seen.push(`${name} end`), reset: (code) => seen.push(`${name} reset ${code}`), drain: () => undefined });
  session.receive(settingsFrame([]));
  const a = session.request(REQUEST, true, h('a'));
  session.request(REQUEST, true, h('b'));
  assert.equal(a.id, 1);
  session.receive(goawayFrame(1, ErrorCode.NO_ERROR));
  assert.deepEqual(seen, [`b reset ${ErrorCode.REFUSED_STREAM}`]);
  assert.equal(session.canOpenStream, false);
  const block = new HpackEncoder().encode([':status', '200']);
  session.receive(Buffer.concat([frameHeader(block.length, FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1), block]));
  await tick();
  assert.deepEqual(seen, [`b reset ${ErrorCode.REFUSED_STREAM}`, 'a head', 'a end']);
  assert.equal(transport.ended, true, 'the connection ends once its last stream is done');
});

