// The dashboard's port (Kiali's 20001): the browser files, a JSON API, and /api/events, the
// server-sent event stream that keeps an open page live.
import { createServer, type Server } from 'node:http';
import type { DashboardEvents, TraceStore } from '@skiff/telemetry';
import type { DashboardAssets } from './dashboard-assets.js';
import type { EventStream } from './event-stream.js';
import type { MeshWatch } from './mesh-watch.js';
import type { ScenarioBoard } from './scenario-board.js';

export interface DashboardServerOptions {
  host: string;
  port: number;
  /** Undefined when the browser files could not be found: the API still works. */
  assets: DashboardAssets | undefined;
  assetsProblem?: string;
  watch: MeshWatch;
  traces: TraceStore;
  events: EventStream<DashboardEvents>;
  scenarios?: ScenarioBoard;
}

export function startDashboardServer(options: DashboardServerOptions): Promise<Server> {
  const { watch, traces, events } = options;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const json = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: `${req.method} is not served here; the dashboard API is read-only (GET)` });
    const path = url.pathname;
    if (path === '/api/events') return events.accept(req, res);
    if (path === '/api/graph') return json(200, watch.graph());
    if (path === '/api/config') return json(200, watch.configView());
    if (path === '/api/proxies') return json(200, watch.proxies());
    if (path === '/api/scenario') return json(200, options.scenarios?.current ?? null);
    if (path === '/api/traces') {
      const limit = Number(url.searchParams.get('limit')) || 50;
      // ?all=1 includes traces still receiving spans; by default only settled ones are listed.
      return json(200, url.searchParams.get('all') === '1' ? traces.list(limit) : watch.traces(limit));
    }
    if (path.startsWith('/api/traces/')) {
      const trace = traces.get(decodeURIComponent(path.slice('/api/traces/'.length)));
      return trace ? json(200, trace) : json(404, { error: `no trace ${path.slice(12)} in the control plane's store (it keeps the newest 500)` });
    }
    if (path.startsWith('/api/')) return json(404, { error: `unknown API ${path}; see /api/graph /api/config /api/proxies /api/scenario /api/traces[?all=1&limit=N] /api/events` });
    const file = options.assets?.files.get(path === '/' ? '/index.html' : path);
    if (!file) {
      if (!options.assets) {
        res.writeHead(503, { 'content-type': 'text/plain' });
        return res.end(`the dashboard's browser files are missing: ${options.assetsProblem ?? 'unknown reason'}\nThe JSON API works: /api/graph /api/config /api/proxies /api/traces\n`);
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      return res.end(`not found: ${path}\n`);
    }
    res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length, 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new Error(`dashboard cannot bind ${options.host}:${options.port}: ${error.code ?? error.message}; pick another with --dashboard-port`)));
    server.listen(options.port, options.host, () => resolve(server));
  });
}
