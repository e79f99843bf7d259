import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GrpcMessageCounter } from './grpc-frames.js';

const message = (payload: Buffer) => Buffer.concat([Buffer.from([0, (payload.length >>> 24) & 255, (payload.length >>> 16) & 255, (payload.length >>> 8) & 255, payload.length & 255]), payload]);

test('messages are counted however the stream is cut into chunks', () => {
  const stream = Buffer.concat([message(Buffer.alloc(0)), message(Buffer.from('hello')), message(Buffer.alloc(70_000, 1)), message(Buffer.from('x'))]);
  for (const size of [1, 2, 3, 5, 7, 64, 1000, stream.length]) {
    const counter = new GrpcMessageCounter();
    for (let i = 0; i < stream.length; i += size) counter.feed(stream.subarray(i, i + size));
    assert.equal(counter.messages, 4, `chunks of ${size}`);
  }
});

test('a message counts as soon as its prefix has come, before its payload', () => {
  const counter = new GrpcMessageCounter();
  counter.feed(Buffer.from([0, 0, 0, 1, 0]));
  assert.equal(counter.messages, 1);
  counter.feed(Buffer.alloc(255));
  assert.equal(counter.messages, 1, 'the payload is not a second message');
  counter.feed(Buffer.from([9, 0, 0, 0]));
  assert.equal(counter.messages, 1, 'the last payload byte and a partial prefix');
  counter.feed(Buffer.from([0, 0]));
  assert.equal(counter.messages, 2, 'the prefix is whole');
});
