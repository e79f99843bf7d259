// Docker's HEALTHCHECK for every Skiff image: GET http://127.0.0.1:<port><path>, exit 0 on 200;
// with --connect instead of a path, a TCP connect (tcp-echo speaks no HTTP).
//   node /app/healthcheck.cjs <port> <path>
//   node /app/healthcheck.cjs <port> --connect
// Docker runs it in every container every few seconds, so it must be cheap: node:http, not
// fetch. Measured per check in a container's cgroup (ten checks, idle background subtracted):
// `fetch` 324 ms of CPU (it loads undici), node:http 131 ms, a bare `sh -c 'exit 0'` 28 ms.
// With fetch, the ten containers of the compose mesh spent about 0.8 of this 2-core machine's
// cores on healthchecks while idle, and a page through the mesh took over 1 s when a test ran beside it.
'use strict';
const http = require('node:http');
const net = require('node:net');

const [port, path = '/'] = process.argv.slice(2);
if (!/^\d+$/.test(port ?? '')) {
  process.stderr.write('usage: node healthcheck.cjs <port> <path>   or   node healthcheck.cjs <port> --connect\n');
  process.exit(2);
}
if (path === '--connect') {
  const socket = net.connect({ host: '127.0.0.1', port: Number(port), timeout: 1500 }, () => process.exit(0));
  socket.on('timeout', () => socket.destroy(new Error('timed out')));
  socket.on('error', (error) => {
    process.stderr.write(`connect 127.0.0.1:${port}: ${error.message}\n`);
    process.exit(1);
  });
  return;
}
const req = http.get({ host: '127.0.0.1', port: Number(port), path, timeout: 1500 }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error('timed out')));
req.on('error', (error) => {
  process.stderr.write(`GET http://127.0.0.1:${port}${path}: ${error.message}\n`);
  process.exit(1);
});
