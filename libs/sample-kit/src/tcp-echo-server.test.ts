import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Server } from 'node:net';
import { createTcpEchoServer } from './tcp-echo-server.js';

let server: Server;
let port: number;
before(async () => {
  server = createTcpEchoServer('one');
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as { port: number }).port;
});
after(() => server.close());

async function talk(...writes: string[]): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  let got = '';
  socket.setEncoding('utf8').on('data', (c: string) => (got += c));
  for (const w of writes) socket.write(w);
  socket.end();
  await once(socket, 'close');
  return got;
}

test('every line comes back with the prefix, however the lines are split across writes', async () => {
  assert.equal(await talk('hello\nwor', 'ld\n'), 'one hello\none world\n');
});

test('a last line without a newline is echoed when the client half-closes', async () => {
  assert.equal(await talk('Mon Dec  7 09:00:00 UTC 2026'), 'one Mon Dec  7 09:00:00 UTC 2026\n');
});

test('a line longer than 64 KiB is echoed in pieces instead of buffered', async () => {
  const long = 'x'.repeat(200 * 1024);
  const got = await talk(long, '\n');
  assert.equal(got.replaceAll('one ', '').replaceAll('\n', ''), long);
  assert.ok(got.split('one ').length > 2, 'echoed in more than one piece');
});
