// The Node.js peer: node-http-proxy forwarding to the upstream with a keep-alive agent, the way
// a user would write a small reverse proxy in Node.
//   node --import tsx apps/bench/src/peers/http-proxy-server.ts <listen port> <upstream port>
import { Agent, createServer } from 'node:http';
import httpProxy from 'http-proxy';

const [listen, upstream] = process.argv.slice(2).map(Number);
if (!listen || !upstream) {
  console.error('usage: http-proxy-server.ts <listen port> <upstream port>');
  process.exit(2);
}
const proxy = httpProxy.createProxyServer({ target: `http://127.0.0.1:${upstream}`, agent: new Agent({ keepAlive: true, maxSockets: 256 }) });
proxy.on('error', (_error, _req, res) => {
  if ('writeHead' in res && !res.headersSent) res.writeHead(502);
  res.end();
});
const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => proxy.web(req, res));
server.listen(listen, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
