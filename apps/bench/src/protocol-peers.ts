// The protocol benchmark's upstreams, each a process of its own so their CPU is not the load
// generator's: `tcp-sink <port> <readyPort>` reads and drops what it is sent and answers the byte
// count when the client half-closes; `grpc-echo <port> <readyPort>` is the tests' echo service;
// `ws-echo <port> <readyPort>` echoes every WebSocket message. Each answers GET /ready on
// readyPort once listening.
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { startEchoServer } from '@skiff/testing';

const [mode, portText, readyText] = process.argv.slice(2);
const port = Number(portText);
const readyPort = Number(readyText);
if (!mode || !Number.isInteger(port) || !Number.isInteger(readyPort)) {
  console.error('usage: protocol-peers.ts tcp-sink|grpc-echo|ws-echo <port> <readyPort>');
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
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  createHttpServer((_req, res) => res.end('ready\n')).listen(readyPort, '127.0.0.1');
}

listen().catch((error: unknown) => {
  console.error(String(error));
  process.exit(1);
});
