// Live updates of the product page over a WebSocket (GET /api/live/{id} with Upgrade: websocket):
// every `everyMs` the frontend asks reviews again, as a reload would, and sends what it got, so a
// routing change shows in an open page without reloading it. Through the mesh the socket is an
// upgraded connection the gateway and the sidecar carry as a byte tunnel.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '@skiff/telemetry';
import { parseProductId } from './http-basics.js';
import { loadProduct, productJson, type ReviewsClient } from './product.js';
import { resolveUserOf } from './user.js';

export interface LiveUpdatesOptions {
  client: ReviewsClient;
  logger: Logger;
  /** Time between updates (default 2 s). */
  everyMs?: number;
  /** Open sockets at most; more are refused with 503 (default 64): each one costs a call to reviews per tick. */
  maxClients?: number;
}

/** Messages a page may send are not read; this bounds what a client can make the server buffer. */
const MAX_PAYLOAD_BYTES = 1024;
/** A client that does not read its updates is skipped while this much is still unsent. */
const MAX_BUFFERED_BYTES = 256 * 1024;
const LIVE_PATH = /^\/api\/live\/([^/?]+)(\?.*)?$/;

export function attachLiveUpdates(server: Server, options: LiveUpdatesOptions): { close(): void } {
  const everyMs = options.everyMs ?? 2_000;
  const maxClients = options.maxClients ?? 64;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD_BYTES });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const match = LIVE_PATH.exec(req.url ?? '');
    const id = match ? parseProductId(match[1] as string) : undefined;
    if (!match) return refuse(socket, 404, `no WebSocket at ${req.url ?? ''}; live updates are at /api/live/{product id}`);
    if (id === undefined) return refuse(socket, 400, `product id must be a non-negative integer, got "${match[1] as string}"`);
    if (wss.clients.size >= maxClients) return refuse(socket, 503, `${maxClients} live pages are open already; reload the page later`);
    wss.handleUpgrade(req, socket, head, (ws) => serveLive(ws, id, resolveUserOf(req.headers, new URL(req.url ?? '/', 'http://frontend').searchParams.get('user') ?? undefined), options.client, everyMs, options.logger));
  });
  return {
    close() {
      for (const ws of wss.clients) ws.close(1001, 'frontend is stopping');
      wss.close();
    },
  };
}

function serveLive(ws: WebSocket, id: number, user: string | undefined, client: ReviewsClient, everyMs: number, logger: Logger): void {
  let busy = false;
  const tick = async () => {
    if (busy || ws.bufferedAmount > MAX_BUFFERED_BYTES) return;
    busy = true;
    try {
      // Each update is a request of its own, with its own id (and trace), as a reload would be.
      const view = await loadProduct(client, id, { 'x-request-id': randomUUID() }, user);
      const { status, body } = productJson(view);
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ status, ...body }));
    } catch (error) {
      logger.warn({ error: (error as Error).message }, 'live update failed');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), everyMs);
  ws.on('close', () => clearInterval(timer));
  ws.on('error', () => ws.terminate());
  void tick();
}

function refuse(socket: Duplex, status: 400 | 404 | 503, message: string): void {
  const body = JSON.stringify({ error: status === 404 ? 'not found' : status === 400 ? 'bad request' : 'unavailable', message });
  const reason = status === 404 ? 'Not Found' : status === 400 ? 'Bad Request' : 'Service Unavailable';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}
