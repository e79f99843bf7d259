// The sidecar-injection mutating admission webhook (istiod's /inject on 15017): HTTPS, because
// the API server only calls webhooks over TLS, verifying the certificate against the caBundle of
// the MutatingWebhookConfiguration. The decision itself is @skiff/kube's (pure, tested there).
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { admitPod, BadAdmissionReview, type InjectOptions } from '@skiff/kube';
import type { Logger } from '@skiff/telemetry';
import { WEBHOOK_DEFAULTS } from './webhook-cert.js';

/** Pods are small; the API server's own request limit is 3 MiB, and a webhook never needs that. */
export const MAX_REVIEW_BYTES = 2 * 1024 * 1024;

export interface InjectionWebhookOptions {
  host: string;
  port: number;
  certPem: string;
  keyPem: string;
  inject: InjectOptions;
  logger: Logger;
  /** Before a pod is injected: what its namespace needs first (the mesh root's ConfigMap). Bounded by 2 s. */
  beforeInject?: (namespace: string) => Promise<void>;
}

export interface InjectionWebhook {
  server: Server;
  port: number;
  /** Swaps the serving certificate for new connections (rotation without a restart). */
  setCertificate(material: { certPem: string; keyPem: string }): void;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendJson(res: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The body, or undefined when it was too large (413 already sent) or the client went away. */
function readBody(req: IncomingMessage, res: ServerResponse): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => {
      // Connection: close, and the rest of the body is drained (flowing, ignored) so that the
      // client reads the 413 rather than a reset.
      send(res, 413, `an AdmissionReview larger than ${MAX_REVIEW_BYTES} bytes is not accepted\n`, { connection: 'close' });
      resolve(undefined);
    };
    if (Number(req.headers['content-length'] ?? 0) > MAX_REVIEW_BYTES) {
      req.resume();
      return tooLarge();
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (size > MAX_REVIEW_BYTES) return;
      size += chunk.length;
      if (size > MAX_REVIEW_BYTES) tooLarge();
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_REVIEW_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('close', () => resolve(undefined)); // no-op once settled; otherwise the client left mid-body
    req.on('error', reject);
  });
}

async function handleInject(req: IncomingMessage, res: ServerResponse, options: InjectionWebhookOptions): Promise<void> {
  if (req.method !== 'POST') return send(res, 405, `POST an AdmissionReview to ${WEBHOOK_DEFAULTS.path}\n`, { allow: 'POST' });
  const type = String(req.headers['content-type'] ?? '');
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    req.resume();
    return send(res, 415, `content-type must be application/json, got "${type}"\n`);
  }
  const text = await readBody(req, res);
  if (text === undefined) return;
  let review: unknown;
  try {
    review = JSON.parse(text);
  } catch (error) {
    return send(res, 400, `the body is not JSON: ${(error as Error).message}\n`);
  }
  try {
    const decision = admitPod(review, options.inject);
    const { namespace, podName, injected, reason } = decision;
    // The API server waits for the answer; a slow API call of ours must not cost the pod its creation.
    if (injected && options.beforeInject) await Promise.race([options.beforeInject(namespace), new Promise((r) => setTimeout(r, 2_000).unref())]);
    options.logger.info({ namespace, pod: podName, injected, uid: decision.review.response.uid }, `injection webhook: ${namespace}/${podName} ${reason}`);
    sendJson(res, decision.review);
  } catch (error) {
    if (!(error instanceof BadAdmissionReview)) throw error;
    options.logger.warn({ error: error.message }, 'injection webhook: refused a request that is not a Pod CREATE AdmissionReview');
    send(res, 400, `not a Pod CREATE AdmissionReview: ${error.message}\n`);
  }
}

function route(req: IncomingMessage, res: ServerResponse, options: InjectionWebhookOptions): Promise<void> | void {
  const path = new URL(req.url ?? '/', 'https://webhook').pathname;
  if (path === WEBHOOK_DEFAULTS.path) return handleInject(req, res, options);
  if (path === '/ready') return req.method === 'GET' || req.method === 'HEAD' ? send(res, 200, 'ready\n') : send(res, 405, 'GET /ready\n', { allow: 'GET, HEAD' });
  send(res, 404, `no ${path} here; the injection webhook answers POST ${WEBHOOK_DEFAULTS.path} and GET /ready\n`);
}

/** Starts the webhook; resolves once it listens (port 0 picks a free one, see .port). */
export async function startInjectionWebhook(options: InjectionWebhookOptions): Promise<InjectionWebhook> {
  const server = createServer({ cert: options.certPem, key: options.keyPem }, (req, res) => {
    Promise.resolve(route(req, res, options)).catch((error: unknown) => {
      options.logger.error({ err: error }, 'injection webhook: request failed');
      if (!res.headersSent) send(res, 500, `injection failed: ${error instanceof Error ? error.message : String(error)}\n`);
      else res.destroy();
    });
  });
  // The API server gives a webhook 10 s by default; a request slower than this is already lost.
  server.requestTimeout = 30_000;
  server.listen(options.port, options.host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  options.logger.info({ host: options.host, port, path: WEBHOOK_DEFAULTS.path }, 'injection webhook: listening');
  return {
    server,
    port,
    setCertificate: ({ certPem, keyPem }) => server.setSecureContext({ cert: certPem, key: keyPem }),
    async close() {
      if (!server.listening) return;
      const closed = once(server, 'close');
      server.close();
      // The API server keeps connections alive; without this, close would wait for them.
      server.closeAllConnections();
      await closed;
    },
  };
}
