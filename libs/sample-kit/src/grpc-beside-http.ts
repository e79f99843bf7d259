// One port for HTTP/1.1 and gRPC, as a service with one Kubernetes port serves both: each
// connection's first bytes decide. The HTTP/2 connection preface goes to a grpc-js server
// (bound to a Unix socket of its own, since grpc-js takes no sockets from outside), anything
// else to the HTTP server. Its port is left unnamed in the mesh, so sidecars speak to it
// whatever the caller spoke (Istio's protocol sniffing).
import { createServer, connect, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server as HttpServer } from 'node:http';
import * as grpc from '@grpc/grpc-js';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** A connection that has not said which protocol it speaks by then is closed (node's HTTP server does not time out a socket before it is handed one). */
const FIRST_BYTES_TIMEOUT_MS = 10_000;

export interface GrpcBesideHttp {
  /** The listening socket that takes every connection (listen on it as on the HTTP server). */
  front: Server;
  /** Lets calls in flight finish (at most `drainMs`, default 2 s), then cuts what is left. */
  close(drainMs?: number): Promise<void>;
}

/** Starts `grpcServer` on a private Unix socket and returns a front server that splits connections between it and `http`. */
export async function grpcBesideHttp(http: HttpServer, grpcServer: grpc.Server, options: { firstBytesTimeoutMs?: number } = {}): Promise<GrpcBesideHttp> {
  const socketPath = join(tmpdir(), `skiff-grpc-${process.pid}-${Math.random().toString(36).slice(2, 8)}.sock`);
  await new Promise<void>((resolve, reject) => grpcServer.bindAsync(`unix:${socketPath}`, grpc.ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())));
  const tunnels = new Set<Socket>();
  const front = createServer((socket: Socket) => {
    let seen = Buffer.alloc(0);
    const decide = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, PREFACE.length);
      const h2 = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
      if (h2 && seen.length < PREFACE.length) return; // a prefix of the preface: wait for more
      socket.off('data', decide);
      socket.setTimeout(0);
      socket.pause();
      if (!h2) {
        socket.unshift(seen);
        http.emit('connection', socket);
        socket.resume();
        return;
      }
      const inner = connect(socketPath);
      inner.write(seen);
      socket.pipe(inner).pipe(socket);
      tunnels.add(socket);
      const end = () => {
        tunnels.delete(socket);
        socket.destroy();
        inner.destroy();
      };
      socket.once('error', end).once('close', end);
      inner.once('error', end).once('close', end);
    };
    socket.on('data', decide);
    socket.once('error', () => socket.destroy());
    socket.setTimeout(options.firstBytesTimeoutMs ?? FIRST_BYTES_TIMEOUT_MS, () => socket.destroy());
  });
  // The HTTP server never listens itself; node starts its per-connection bookkeeping (request
  // timeouts, closeIdleConnections) on 'listening', so it is told when the front listens.
  front.once('listening', () => http.emit('listening'));
  return {
    front,
    async close(drainMs = 2_000) {
      const force = setTimeout(() => grpcServer.forceShutdown(), drainMs);
      http.close(() => undefined); // stops its bookkeeping timer; it was never bound, so nothing else to close
      await new Promise<void>((resolve) => grpcServer.tryShutdown(() => resolve()));
      clearTimeout(force);
      for (const socket of tunnels) socket.destroy();
      rmSync(socketPath, { force: true });
    },
  };
}
