// POST /v1/traces: the control plane as a tiny OTLP/HTTP collector, so that with no Jaeger or
// collector configured the proxies' spans still land somewhere the dashboard can show them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { spansFromOtlpJson, type TraceStore } from '@skiff/telemetry';
import type { TraceForwarder } from './trace-forwarder.js';

const MAX_BODY = 8 * 1024 * 1024;

export function receiveOtlpTraces(store: TraceStore, req: IncomingMessage, res: ServerResponse, forward?: TraceForwarder): void {
  const reply = (status: number, body: object) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  if (req.method !== 'POST') return reply(405, { code: 3, message: 'POST OTLP/HTTP JSON (ExportTraceServiceRequest) here' });
  const type = String(req.headers['content-type'] ?? '');
  if (!type.startsWith('application/json')) {
    req.resume();
    return reply(415, { code: 3, message: `the built-in trace store reads OTLP/HTTP JSON only, got content-type "${type}"; use an OTLP/HTTP JSON exporter (e.g. @opentelemetry/exporter-trace-otlp-http) or point proxies at a collector with --trace-endpoint` });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY) {
      reply(413, { code: 8, message: `an export larger than ${MAX_BODY} bytes; send smaller batches` });
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (res.headersSent) return;
    try {
      const body = Buffer.concat(chunks);
      store.add(spansFromOtlpJson(JSON.parse(body.toString('utf8'))));
      forward?.(body);
      reply(200, {});
    } catch (error) {
      reply(400, { code: 3, message: `cannot read the export: ${error instanceof Error ? error.message : String(error)}` });
    }
  });
}
