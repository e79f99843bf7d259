// Real servers and processes for the sample apps' tests: everything binds 127.0.0.1 on port 0
// and is closed by the test that started it. (The same file lives in frontend, reviews and
// ratings: apps may not import each other. It could move to @skiff/testing.)
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import express from 'express';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface Listening {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export async function listen(handler: RequestListener): Promise<Listening> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The app and its demo controls, each on its own port (as main.ts serves them). */
export async function listenWithAdmin(apps: { app: RequestListener; admin: RequestListener }): Promise<Listening & { adminUrl: string }> {
  const [app, admin] = await Promise.all([listen(apps.app), listen(apps.admin)]);
  return { ...app, adminUrl: admin.url, close: async () => void (await Promise.all([app.close(), admin.close()])) };
}

/** A URL on which nothing listens: listen on port 0, note the port, close. */
export async function deadUrl(): Promise<string> {
  const probe = await listen((_req, res) => res.end());
  await probe.close();
  return probe.url;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** An upstream express app that records each request's headers and answers with `answer`. */
export async function startRecorder(answer: (req: express.Request, res: express.Response) => void): Promise<Listening & { requests: RecordedRequest[] }> {
  const requests: RecordedRequest[] = [];
  const app = express();
  app.use((req, res) => {
    requests.push({ method: req.method, url: req.originalUrl, headers: { ...req.headers } });
    answer(req, res);
  });
  return { ...(await listen(app)), requests };
}

export interface ProxiedRequest {
  /** The request line as received, e.g. `GET http://reviews:9080/reviews/0 HTTP/1.1`. */
  requestLine: string;
  host: string | undefined;
  headers: IncomingHttpHeaders;
}

const HOP_BY_HOP = new Set(['connection', 'proxy-connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-authorization']);

/**
 * A tiny HTTP forward proxy in the sidecar's place: it accepts only absolute-form requests
 * (`GET http://reviews:9080/... HTTP/1.1`), looks the authority up in `names` (like the sidecar
 * resolves mesh names) and forwards the request there, keeping the Host header.
 */
export async function startForwardProxy(names: Record<string, string>): Promise<Listening & { seen: ProxiedRequest[] }> {
  const seen: ProxiedRequest[] = [];
  const proxy = await listen((req, res) => {
    seen.push({ requestLine: `${req.method} ${req.url} HTTP/${req.httpVersion}`, host: req.headers.host, headers: { ...req.headers } });
    const fail = (status: number, message: string): void => {
      res.writeHead(status, { 'content-type': 'text/plain' }).end(message);
    };
    if (!/^http:\/\//.test(req.url ?? '')) return fail(400, `test proxy: expected an absolute-form request line, got "${req.url}"`);
    const target = new URL(req.url as string);
    const real = names[target.host];
    if (real === undefined) return fail(503, `test proxy: no address for ${target.host}`);
    const headers: IncomingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
    const upstream = httpRequest(`${real}${target.pathname}${target.search}`, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (err) => fail(502, `test proxy: ${err.message}`));
    req.pipe(upstream);
  });
  return { ...proxy, seen };
}

export interface AppProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Every stdout line so far. */
  stdout: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs an app's main.ts (path from the repo root) as its own process with an IPC channel, the
 * way the launcher does, and resolves once it has printed its `listening` line.
 */
export async function startAppProcess(entry: string, env: Record<string, string>): Promise<AppProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: '0', SKIFF_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const stdout: string[] = [];
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} printed no listening line in 20 s; stderr: ${stderr}`)), 20_000);
    let buffered = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        stdout.push(line);
        const parsed = safeJson(line);
        if (parsed?.msg === 'listening' && typeof parsed.port === 'number') {
          clearTimeout(timer);
          resolve(parsed.port);
        }
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited (code ${code}, signal ${signal}) before listening; stderr: ${stderr}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    stdout,
    exited,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

function safeJson(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
