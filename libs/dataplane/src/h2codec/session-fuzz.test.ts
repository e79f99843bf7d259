// Fuzz: frame sequences a client could send (requests, data, trailers, resets, pings, settings,
// window updates), then mutated byte by byte and cut into random pieces, fed to a server session;
// and the same for what an upstream could answer, fed to a client session with requests open.
// Whatever arrives, the session may only serve, reset streams or close the connection with a
// GOAWAY: it never throws, never hangs, and every stream it hands out ends or is reset once the
// connection closes (or was answered in full). The same sequences unmutated must be served without any error.
//
// SKIFF_FUZZ_SEED=<n> replays a run; SKIFF_FUZZ_CASES=<n> changes how many cases run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../cluster/test-helpers.js';
import { ErrorCode, Flag, frameHeader, FrameType, pingFrame, PREFACE, rstStreamFrame, Setting, settingsFrame, windowUpdateFrame } from './frames.js';
import { HpackEncoder } from './hpack.js';
import { H2Session, type H2Stream } from './session.js';

const seed = Number(process.env['SKIFF_FUZZ_SEED'] ?? Date.now() % 2 ** 31);
const cases = Number(process.env['SKIFF_FUZZ_CASES'] ?? 2000);

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);

/** A plausible client conversation, as frames. */
function conversation(r: Rand): Buffer[] {
  const encoder = new HpackEncoder();
  const frames: Buffer[] = [PREFACE, settingsFrame(r() < 0.5 ? [] : [[Setting.INITIAL_WINDOW_SIZE, 1 + int(r, 100_000)], [Setting.HEADER_TABLE_SIZE, int(r, 8192)]])];
  const streams = 1 + int(r, 6);
  for (let i = 0; i < streams; i++) {
    const id = 1 + 2 * i;
    const fields = [':method', r() < 0.5 ? 'GET' : 'POST', ':scheme', 'http', ':authority', `svc-${int(r, 3)}`, ':path', `/p/${int(r, 100)}`, 'x-n', 'v'.repeat(int(r, 300))];
    const block = encoder.encode(fields);
    const bodyless = r() < 0.3;
    if (r() < 0.2 && block.length > 2) {
      const cut = 1 + int(r, block.length - 1);
      frames.push(frameHeader(cut, FrameType.HEADERS, bodyless ? Flag.END_STREAM : 0, id), block.subarray(0, cut), frameHeader(block.length - cut, FrameType.CONTINUATION, Flag.END_HEADERS, id), block.subarray(cut));
    } else frames.push(frameHeader(block.length, FrameType.HEADERS, Flag.END_HEADERS | (bodyless ? Flag.END_STREAM : 0), id), block);
    if (bodyless) continue;
    const chunks = int(r, 4);
    for (let c = 0; c < chunks; c++) {
      const size = int(r, 5000);
      frames.push(frameHeader(size, FrameType.DATA, 0, id), Buffer.alloc(size, 0x61 + c));
    }
    if (r() < 0.2) frames.push(rstStreamFrame(id, ErrorCode.CANCEL));
    else if (r() < 0.3) {
      const trailers = encoder.encode(['x-trailer', String(int(r, 10))]);
      frames.push(frameHeader(trailers.length, FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, id), trailers);
    } else frames.push(frameHeader(0, FrameType.DATA, Flag.END_STREAM, id));
    if (r() < 0.3) frames.push(pingFrame(Buffer.alloc(8, i), false));
    if (r() < 0.3) frames.push(windowUpdateFrame(r() < 0.5 ? 0 : id, 1 + int(r, 100_000)));
  }
  return frames;
}

function mutate(r: Rand, bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  const edits = 1 + int(r, 4);
  for (let i = 0; i < edits; i++) {
    const at = PREFACE.length + int(r, Math.max(1, out.length - PREFACE.length));
    const kind = int(r, 3);
    if (kind === 0) out[at] = int(r, 256);
    else if (kind === 1) out[at] = (out[at] as number) ^ (1 << int(r, 8));
    else out[at] = [0, 0xff, 0x7f, 0x80][int(r, 4)] as number;
  }
  return r() < 0.2 ? out.subarray(0, int(r, out.length)) : out;
}

/** Feeds `bytes` in random pieces, then closes the transport; returns what receive() threw, if anything. */
function receiveInPieces(r: Rand, session: H2Session, bytes: Buffer): unknown {
  let threw: unknown;
  try {
    for (let at = 0; at < bytes.length; ) {
      const size = 1 + int(r, 3000);
      session.receive(bytes.subarray(at, at + size));
      at += size;
    }
  } catch (error) {
    threw = error;
  }
  session.transportClosed('the test ends');
  return threw;
}

interface Run { threw: unknown; closed: boolean; goaway: boolean; streams: H2Stream[]; unfinished: number }

function feed(r: Rand, bytes: Buffer): Run {
  let goaway = false;
  const transport = {
    write: (chunks: Buffer[]) => {
      for (const c of chunks) if (c.length >= 9 && c[3] === FrameType.GOAWAY) goaway = true;
      return true;
    },
    end: () => undefined,
  };
  const streams: H2Stream[] = [];
  let open = 0;
  const session = new H2Session(transport, {
    role: 'server',
    maxHeaderListSize: 4096,
    onStream: (stream, _fields, endStream) => {
      streams.push(stream);
      let finished = false;
      const finish = () => {
        if (!finished) open--;
        finished = true;
      };
      open++;
      stream.handler = { headers: () => undefined, data: () => undefined, end: finish, reset: finish, drain: () => undefined };
      if (endStream) finish();
      // Answer some at once, leave others open.
      if (r() < 0.5) {
        stream.sendHeaders([':status', '200'], false);
        stream.write(Buffer.alloc(int(r, 70_000)));
        stream.end(r() < 0.5 ? ['grpc-status', '0'] : undefined);
        // A full answer ends the stream for its owner: the session sends it as the windows allow,
        // then refuses the rest of the request with RST_STREAM(NO_ERROR).
        finish();
      }
    },
  });
  const threw = receiveInPieces(r, session, bytes);
  return { threw, closed: session.closed, goaway, streams, unfinished: open };
}

test(`a session never throws and leaves no stream behind, whatever a client sends (seed ${seed}, ${cases} cases)`, () => {
  const random = seededRandom(seed);
  let errors = 0;
  for (let i = 0; i < cases; i++) {
    const frames = Buffer.concat(conversation(random));
    const clean = feed(random, frames);
    assert.equal(clean.threw, undefined, `case ${i} (seed ${seed}): a valid conversation threw ${String(clean.threw)}`);
    assert.equal(clean.goaway, false, `case ${i} (seed ${seed}): a valid conversation was refused`);
    const mutated = feed(random, mutate(random, frames));
    assert.equal(mutated.threw, undefined, `case ${i} (seed ${seed}): a mutated conversation threw ${String(mutated.threw)}`);
    assert.equal(mutated.unfinished, 0, `case ${i} (seed ${seed}): a stream was never ended or reset`);
    if (mutated.goaway) errors++;
  }
  // Most mutations land in body bytes, which are anyone's to send; the point is that the ones that
  // break framing were met (a generator that never broke anything would prove nothing).
  assert.ok(errors > cases / 50, `some mutations were connection errors (${errors} of ${cases})`);
  console.log(`h2 fuzz: seed ${seed}, ${cases} cases, ${errors} mutated conversations ended in GOAWAY`);
});

/** A plausible upstream's answers to `streams` requests, as frames. */
function answers(r: Rand, streams: number): Buffer[] {
  const encoder = new HpackEncoder();
  const frames: Buffer[] = [settingsFrame(r() < 0.5 ? [] : [[Setting.MAX_CONCURRENT_STREAMS, 1 + int(r, 100)], [Setting.INITIAL_WINDOW_SIZE, int(r, 100_000)]])];
  for (let i = 0; i < streams; i++) {
    const id = 1 + 2 * i;
    if (r() < 0.2) {
      const info = encoder.encode([':status', '100']);
      frames.push(frameHeader(info.length, FrameType.HEADERS, Flag.END_HEADERS, id), info);
    }
    const trailersOnly = r() < 0.2;
    const head = encoder.encode([':status', String(200 + int(r, 300)), 'content-type', 'application/grpc', 'x-n', 'v'.repeat(int(r, 200))]);
    frames.push(frameHeader(head.length, FrameType.HEADERS, Flag.END_HEADERS | (trailersOnly ? Flag.END_STREAM : 0), id), head);
    if (trailersOnly) continue;
    for (let c = int(r, 4); c > 0; c--) {
      const size = int(r, 5000);
      frames.push(frameHeader(size, FrameType.DATA, 0, id), Buffer.alloc(size, 0x41 + c));
    }
    const ending = int(r, 4);
    if (ending === 0) frames.push(rstStreamFrame(id, r() < 0.5 ? ErrorCode.NO_ERROR : ErrorCode.REFUSED_STREAM));
    else if (ending === 1) {
      const trailers = encoder.encode(['grpc-status', String(int(r, 17))]);
      frames.push(frameHeader(trailers.length, FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, id), trailers);
    } else frames.push(frameHeader(0, FrameType.DATA, Flag.END_STREAM, id));
    if (r() < 0.2) frames.push(pingFrame(Buffer.alloc(8, i), false));
    if (r() < 0.3) frames.push(windowUpdateFrame(r() < 0.5 ? 0 : id, 1 + int(r, 100_000)));
  }
  if (r() < 0.2) frames.push(Buffer.concat([frameHeader(8, FrameType.GOAWAY, 0, 0), Buffer.from([0, 0, 0, int(r, 8), 0, 0, 0, 0])]));
  return frames;
}

function feedClient(r: Rand, bytes: Buffer, streams: number): { threw: unknown; unfinished: number } {
  const transport = { write: () => true, end: () => undefined };
  const session = new H2Session(transport, { role: 'client', maxHeaderListSize: 4096 });
  let open = 0;
  for (let i = 0; i < streams; i++) {
    let finished = false;
    const finish = () => {
      if (!finished) open--;
      finished = true;
    };
    open++;
    const stream = session.request([':method', 'POST', ':scheme', 'http', ':authority', 'app', ':path', `/s/${i}`], false, { headers: () => undefined, data: () => undefined, end: finish, reset: finish, drain: () => undefined });
    stream.write(Buffer.alloc(int(r, 70_000)));
    stream.end();
  }
  const threw = receiveInPieces(r, session, bytes);
  return { threw, unfinished: open };
}

test(`a client session never throws and leaves no request without an end or a reset, whatever the upstream answers (seed ${seed}, ${cases} cases)`, () => {
  const random = seededRandom(seed + 1);
  for (let i = 0; i < cases; i++) {
    const streams = 1 + int(random, 6);
    const frames = Buffer.concat(answers(random, streams));
    const clean = feedClient(random, frames, streams);
    assert.equal(clean.threw, undefined, `case ${i} (seed ${seed}): valid answers threw ${String(clean.threw)}`);
    assert.equal(clean.unfinished, 0, `case ${i} (seed ${seed}): a request was never ended or reset`);
    const mutated = feedClient(random, mutate(random, Buffer.concat([PREFACE, frames])).subarray(PREFACE.length), streams);
    assert.equal(mutated.threw, undefined, `case ${i} (seed ${seed}): mutated answers threw ${String(mutated.threw)}`);
    assert.equal(mutated.unfinished, 0, `case ${i} (seed ${seed}): a request was never ended or reset`);
  }
});
