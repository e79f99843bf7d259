// The codec's two sides around an upgrade, between real sockets: a 101 answers only an offered
// upgrade, the bytes behind a 101 are handed over with the socket, a tunnelled connection stays
// counted by its pool until it closes, and a client that sends on while its request is in flight
// is held at a bound rather than buffered without one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { ClientPool } from './client-pool.js';
import type { ResponseEvents, UpstreamError } from './client-connection.js';
import { ServerConnection, type ServerStream } from './server-connection.js';

const listen = (server: Server): Promise<number> => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));

/** An upstream that answers every request head with `answer`, written in one piece. */
async function upstreamAnswering(answer: string): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.once('data', () => socket.write(answer));
  });
  return { server, port: await listen(server), sockets };
}

function events(overrides: Partial<ResponseEvents>): ResponseEvents {
  return { head: () => undefined, data: () => undefined, end: () => undefined, error: () => undefined, ...overrides };
}

test('a 101 to a request that offered no upgrade is the upstream breaking HTTP/1.1', async () => {
  const upstream = await upstreamAnswering('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
  const pool = new ClientPool({ host: '127.0.0.1', port: upstream.port });
  const connection = await pool.acquire();
  const failed = new Promise<UpstreamError>((resolve) => connection.send({ method: 'GET', path: '/', headers: ['host', 'x'] }, { kind: 'none' }, events({ error: resolve, head: () => assert.fail('no head for an unasked 101') })));
  const error = await failed;
  assert.equal(error.kind, 'protocol');
  assert.match(error.message, /offered no upgrade/);
  pool.close();
  upstream.server.close();
});

test('after an offered 101 the socket is handed over with the bytes behind it, and the pool counts it until it closes', async () => {
  const upstream = await upstreamAnswering('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nfirst frame');
  const pool = new ClientPool({ host: '127.0.0.1', port: upstream.port });
  const connection = await pool.acquire();
  let head: number | undefined;
  const handed = new Promise<{ socket: Socket; pending: Buffer }>((resolve) =>
    connection.send({ method: 'GET', path: '/', headers: ['host', 'x'], upgrade: 'websocket' }, { kind: 'none' }, events({ head: (h) => (head = h.status), upgraded: (socket, pending) => resolve({ socket, pending }), end: () => assert.fail('a 101 is not an ending') })),
  );
  const { socket, pending } = await handed;
  assert.equal(head, 101);
  assert.equal(pending.toString(), 'first frame');
  assert.deepEqual([pool.stats.open, pool.stats.busy, pool.stats.free], [1, 1, 0], 'the tunnel holds its connection');
  socket.destroy();
  await once(socket, 'close');
  assert.deepEqual([pool.stats.open, pool.stats.busy], [0, 0], 'closed, the pool forgets it');
  pool.close();
  upstream.server.close();
});

test('a ServerStream taken over after 101 hands the bytes that came behind the request head', async () => {
  let stream: ServerStream | undefined;
  const server = createServer((socket) => new ServerConnection(socket, (s) => (stream = s)));
  const port = await listen(server);
  const client = connect(port, '127.0.0.1');
  client.write('GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nearly');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(stream?.head.upgrade, 'websocket');
  stream?.respond(101, ['connection', 'upgrade', 'upgrade', 'websocket'], false);
  const taken = stream?.takeOver();
  assert.equal(taken?.pending.toString(), 'early');
  // From here the bytes are the tunnel's: nothing is parsed as HTTP any more.
  taken?.socket.on('data', (c: Buffer) => taken.socket.write(c));
  const [answer] = (await once(client, 'data')) as [Buffer];
  assert.match(answer.toString(), /^HTTP\/1\.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n/);
  client.write('NOT HTTP AT ALL\r\n\r\n');
  const [echo] = (await once(client, 'data')) as [Buffer];
  assert.equal(echo.toString(), 'NOT HTTP AT ALL\r\n\r\n');
  client.destroy();
  server.close();
});

test('a CONNECT answered and taken over at once, inside its head event, hands over only the bytes behind the head', async () => {
  const taken = new Promise<Buffer>((resolve) => {
    const server = createServer((socket) =>
      new ServerConnection(socket, (stream) => {
        stream.respond(200, [], false);
        resolve(stream.takeOver().pending);
        server.close();
      }),
    );
    void listen(server).then((port) => {
      const client = connect(port, '127.0.0.1');
      client.write('CONNECT svc:80 HTTP/1.1\r\nHost: svc:80\r\n\r\nGET /inside HTTP/1.1\r\n\r\n');
      client.on('error', () => undefined);
      setTimeout(() => client.destroy(), 200);
    });
  });
  assert.equal((await taken).toString(), 'GET /inside HTTP/1.1\r\n\r\n', 'the CONNECT head itself is not handed over (it looped back as a new CONNECT)');
});

test('a client that keeps sending while its request is in flight is paused at a bound', async () => {
  let connectionSocket: Socket | undefined;
  const server = createServer((socket) => {
    connectionSocket = socket;
    new ServerConnection(socket, () => undefined); // never answers
  });
  const port = await listen(server);
  const client = connect(port, '127.0.0.1');
  client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  const junk = Buffer.alloc(64 * 1024, 0x41);
  for (let i = 0; i < 64; i++) client.write(junk); // 4 MiB "pipelined"
  await new Promise((r) => setTimeout(r, 500));
  const read = connectionSocket?.bytesRead ?? 0;
  assert.ok(read < 512 * 1024, `the server read ${read} bytes of 4 MiB while its request was in flight`);
  client.destroy();
  server.close();
});
