// The protocol benchmark's upstreams, each a process of its own so their CPU is not the load
// generator's: `tcp-sink <port> <readyPort>` reads and drops what it is sent and answers the byte
// count when the client half-closes; `grpc-echo <port> <readyPort>` is the tests' echo service;
// `ws-echo <port> <readyPort>` echoes every WebSocket message; `h2c-echo <port> <readyPort>` answers
// every HTTP/2 (h2c) request with a small body; `h2c-forwarder <port> <readyPort> <upstreamPort>` is
// the least an HTTP/2 proxy on node:http2 does (one upstream session, headers copied, body
// relayed, no routing, policy or telemetry): the most a proxy built on node:http2 could do, which
// is why the sidecar has an HTTP/2 codec of its own (libs/dataplane/src/h2codec/). Each answers
// GET /ready on readyPort once listening.
import { createServer as createHttpServer } from 'node:http';
import { connect as h2Connect, createServer as createH2cServer, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { createServer, type Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { startEchoServer } from '@skiff/testing';

const [mode, portText, readyText, upstreamText] = process.argv.slice(2);
const port = Number(portText);
const readyPort = Number(readyText);
if (!mode || !Number.isInteger(port) || !Number.isInteger(readyPort)) {
  console.error('usage: protocol-peers.ts tcp-sink|grpc-echo|ws-echo|h2c-echo|h2c-forwarder <port> <readyPort>');
  process.exit(2);
}

async function listen(): Promise<void> {
  if (mode === 'tcp-sink') {
    const server = createServer({ allowHalfOpen: true }, (socket: Socket) => {
      let bytes = 0;
      socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
      socket.on('end', () => socket.end(`${bytes}\n`));
      socket.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  } else if (mode === 'grpc-echo') {
    await startEchoServer({ port });
  } else if (mode === 'ws-echo') {
    const wss = new WebSocketServer({ host: '127.0.0.1', port });
    wss.on('connection', (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })));
    await new Promise<void>((resolve) => wss.once('listening', resolve));
  } else if (mode === 'h2c-echo') {
    const server = createH2cServer((_req, res) => res.end('hello over h2c\n'));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  } else if (mode === 'h2c-forwarder') {
    // One upstream session, opened again if it closed (an idle upstream may close it between cases).
    let upstream: ClientHttp2Session | undefined;
    const session = (): ClientHttp2Session => {
      if (!upstream || upstream.closed || upstream.destroyed) {
        upstream = h2Connect(`http://127.0.0.1:${Number(upstreamText)}`);
        upstream.on('error', () => undefined);
      }
      return upstream;
    };
    const server = createH2cServer();
    server.on('stream', (stream, headers: IncomingHttpHeaders) => {
      stream.on('error', () => undefined);
      const out = session().request({ ':method': headers[':method'], ':path': headers[':path'] } as OutgoingHttpHeaders, { endStream: true });
      out.on('error', () => undefined);
      // h2load resets the streams in flight when its time is up: a stream may be gone by the answer.
      stream.on('close', () => out.destroyed || out.close());
      const live = () => !stream.destroyed && !stream.closed;
      out.on('response', (h: IncomingHttpHeaders) => live() && stream.respond({ ':status': h[':status'], 'content-type': h['content-type'] ?? 'text/plain' }));
      out.on('data', (chunk: Buffer) => live() && stream.write(chunk));
      out.on('end', () => live() && stream.end());
      out.on('close', () => {
        if (!live() || stream.writableEnded) return;
        if (!stream.headersSent) stream.respond({ ':status': 502 }, { endStream: true });
        else stream.close();
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  createHttpServer((_req, res) => res.end('ready\n')).listen(readyPort, '127.0.0.1');
}

listen().catch((error: unknown) => {
  console.error(String(error));
  process.exit(1);
});
