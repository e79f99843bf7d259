// The tcp-echo sample, as Istio's samples/tcp-echo serves it: every line a client sends comes
// back with this instance's prefix ("one", "two") in front, so which version answered a
// connection is plain to see (`echo hello | nc …` prints "one hello"). A half-close is answered
// by closing. A line longer than 64 KiB is echoed in pieces, so a hostile client cannot make the
// server buffer without bound.
import { createServer, type Server, type Socket } from 'node:net';

const MAX_LINE = 64 * 1024;

export function createTcpEchoServer(prefix: string): Server {
  return createServer({ allowHalfOpen: true, noDelay: true }, (socket: Socket) => {
    let partial = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      partial += chunk;
      let newline: number;
      while ((newline = partial.indexOf('\n')) >= 0) {
        socket.write(`${prefix} ${partial.slice(0, newline + 1)}`);
        partial = partial.slice(newline + 1);
      }
      if (partial.length > MAX_LINE) {
        socket.write(`${prefix} ${partial}`);
        partial = '';
      }
    });
    socket.on('end', () => (partial.length > 0 ? socket.end(`${prefix} ${partial}\n`) : socket.end()));
    socket.on('error', () => socket.destroy());
  });
}
