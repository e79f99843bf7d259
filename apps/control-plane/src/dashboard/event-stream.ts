// Server-sent events for the dashboard: each event kind keeps its newest payload, a new client
// gets all of them at once, and a payload is sent only when its JSON changed.
import type { IncomingMessage, ServerResponse } from 'node:http';

export class EventStream<Events extends object> {
  readonly #clients = new Set<ServerResponse>();
  readonly #latest = new Map<keyof Events & string, string>();
  readonly #heartbeat: NodeJS.Timeout;

  constructor(heartbeatMs = 15_000) {
    // A comment line now and then keeps proxies and browsers from closing an idle stream.
    this.#heartbeat = setInterval(() => this.#write(': keep-alive\n\n'), heartbeatMs).unref();
  }

  get clients(): number {
    return this.#clients.size;
  }

  publish<K extends keyof Events & string>(kind: K, data: Events[K]): void {
    const json = JSON.stringify(data);
    if (this.#latest.get(kind) === json) return;
    this.#latest.set(kind, json);
    this.#write(`event: ${kind}\ndata: ${json}\n\n`);
  }

  latest<K extends keyof Events & string>(kind: K): string | undefined {
    return this.#latest.get(kind);
  }

  accept(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    for (const [kind, json] of this.#latest) res.write(`event: ${kind}\ndata: ${json}\n\n`);
    this.#clients.add(res);
    req.on('close', () => this.#clients.delete(res));
  }

  close(): void {
    clearInterval(this.#heartbeat);
    for (const res of this.#clients) res.end();
    this.#clients.clear();
  }

  #write(text: string): void {
    for (const res of this.#clients) res.write(text);
  }
}
