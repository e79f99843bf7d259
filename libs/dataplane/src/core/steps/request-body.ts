// Retries and mirroring need the request body more than once, so small bodies are read into
// memory first (Envoy buffers up to its per-connection limit for the same reason). Larger or
// chunked bodies stream straight through, once, and are then neither retried nor mirrored.
import type { IncomingMessage } from 'node:http';

export const REPLAYABLE_BODY_LIMIT = 1024 * 1024;

export type RequestBody = { kind: 'none' } | { kind: 'buffered'; data: Buffer } | { kind: 'stream'; stream: IncomingMessage };

export async function readRequestBody(req: IncomingMessage): Promise<RequestBody> {
  const length = req.headers['content-length'];
  if (length === undefined && req.headers['transfer-encoding'] === undefined) return { kind: 'none' };
  if (length === '0') return { kind: 'none' };
  const n = length === undefined ? Number.NaN : Number(length);
  if (!Number.isFinite(n) || n > REPLAYABLE_BODY_LIMIT) return { kind: 'stream', stream: req };
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return { kind: 'buffered', data: Buffer.concat(chunks) };
}

export function replayable(body: RequestBody): boolean {
  return body.kind !== 'stream';
}

export function bodyForAttempt(body: RequestBody): Buffer | IncomingMessage | null {
  return body.kind === 'none' ? null : body.kind === 'buffered' ? body.data : body.stream;
}
