// The HTTP/2 codec's output onto a socket: one write per turn of the event loop, whatever the
// number of frames (small ones joined into one buffer; large data written as it is, corked).
import type { Socket } from 'node:net';
import type { H2Transport } from '../h2codec/session.js';

const JOIN_BELOW = 16 * 1024;

export function socketTransport(socket: Socket): H2Transport {
  return {
    write(chunks: Buffer[], bytes: number): boolean {
      if (socket.destroyed) return true;
      if (chunks.length === 1) return socket.write(chunks[0] as Buffer);
      if (bytes < JOIN_BELOW) return socket.write(Buffer.concat(chunks, bytes));
      socket.cork();
      let ok = true;
      for (const chunk of chunks) ok = socket.write(chunk) && ok;
      socket.uncork();
      return ok;
    },
    end(): void {
      if (!socket.destroyed) socket.end();
    },
  };
}
