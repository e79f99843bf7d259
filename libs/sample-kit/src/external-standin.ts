// A stand-in for a host outside the mesh (httpbin.org in Istio's egress tasks), for the egress
// lab: it runs on this machine, since the test machines and many workshop rooms reach no internet,
// and it has no sidecar, as an external host has none. It answers a few of httpbin's paths:
//   GET /status/<code>   that status, empty body (100-599)
//   GET /headers         {"headers": {...}} as it received them (what the sidecar sent on)
//   GET /get             {"url", "headers"}
// Anything else is 404; a method other than GET or HEAD is 405. Request bodies are not read, and
// the server closes a connection whose headers take longer than 10 s.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) out[req.rawHeaders[i] as string] = req.rawHeaders[i + 1] as string;
  return out;
}

export function createExternalStandin(): Server {
  const server = createServer({ requestTimeout: 10_000, headersTimeout: 10_000 }, (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', connection: 'close' }).end();
      return;
    }
    const path = (req.url ?? '/').split('?')[0] as string;
    const status = /^\/status\/(\d{3})$/.exec(path);
    if (status && Number(status[1]) >= 100 && Number(status[1]) <= 599) {
      res.writeHead(Number(status[1]) < 200 ? 200 : Number(status[1])).end(); // 1xx cannot be a final answer: httpbin says 200 too
      return;
    }
    if (path === '/headers') return json(res, 200, { headers: headersOf(req) });
    if (path === '/get') return json(res, 200, { url: `http://${req.headers.host ?? ''}${req.url ?? ''}`, headers: headersOf(req) });
    json(res, 404, { error: `no ${path} here: this stand-in answers /status/<code>, /headers and /get` });
  });
  return server;
}
