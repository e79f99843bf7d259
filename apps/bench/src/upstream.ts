// The plain upstream every case ends at, in its own process: a small body, or 64 KiB at /large.
//   node --import tsx apps/bench/src/upstream.ts <port>
import { createServer } from 'node:http';

const SMALL = Buffer.from('hello, mesh\n');
const LARGE = Buffer.alloc(64 * 1024, 'x');

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: upstream.ts <port>');
  process.exit(2);
}
const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const body = req.url?.startsWith('/large') ? LARGE : SMALL;
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
