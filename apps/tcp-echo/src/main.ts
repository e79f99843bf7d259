// tcp-echo process entry: `tcp-echo [--port 9000] [--host 127.0.0.1] [--prefix one]`
// (or PORT, HOST, PREFIX in the environment, as the other samples take them).
import { parseArgs } from 'node:util';
import { createTcpEchoServer } from '@skiff/sample-kit';

const USAGE = `usage: tcp-echo [--port 9000] [--host 127.0.0.1] [--prefix one]
Echoes every line a client sends, with the prefix in front (Istio's samples/tcp-echo).
Environment: PORT, HOST, PREFIX (flags win).`;

let values: { port?: string; host?: string; prefix?: string; help?: boolean };
try {
  ({ values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' }, prefix: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
} catch (error) {
  console.error(`tcp-echo: ${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const portText = values.port ?? process.env['PORT'] ?? '9000';
const port = Number(portText);
if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535) {
  console.error(`tcp-echo: port ${JSON.stringify(portText)} is not a port number (1-65535)\n${USAGE}`);
  process.exit(2);
}
const host = values.host ?? process.env['HOST'] ?? '127.0.0.1';
const prefix = values.prefix ?? process.env['PREFIX'] ?? 'one';
const server = createTcpEchoServer(prefix);
server.on('error', (error: NodeJS.ErrnoException) => {
  console.error(`tcp-echo: cannot listen on ${host}:${port}: ${error.code ?? error.message}; pick a free port with --port`);
  process.exit(1);
});
server.listen(port, host, () => console.log(JSON.stringify({ msg: `tcp-echo listening on ${host}:${port}`, prefix })));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
