// Prometheus exposition over HTTP: a proxy serves it on its own metrics port (Istio's 15090,
// path /stats/prometheus) and on its admin port; the control plane on /metrics.
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface PrometheusText {
  contentType: string;
  text: string;
}

export async function prometheusText(registry: Registry): Promise<PrometheusText> {
  return { contentType: registry.contentType, text: await registry.metrics() };
}

export interface MetricsServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  registry: Registry;
  /** Paths that answer with the metrics (default: /stats/prometheus and /metrics). */
  paths?: string[];
}

export function startMetricsServer(options: MetricsServerOptions): Promise<Server> {
  const paths = new Set(options.paths ?? ['/stats/prometheus', '/metrics']);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method !== 'GET' || !paths.has(path)) {
      const text = `metrics are at ${[...paths].join(' and ')} (GET)\n`;
      res.writeHead(404, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    prometheusText(options.registry).then(
      ({ contentType, text }) => {
        res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
        res.end(text);
      },
      (error: unknown) => {
        const text = `cannot collect metrics: ${error instanceof Error ? error.message : String(error)}\n`;
        res.writeHead(500, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new Error(`metrics server cannot bind ${options.host}:${options.port}: ${error.code ?? error.message}; pick another --metrics-port`)));
    server.listen(options.port, options.host, () => resolve(server));
  });
}
