// external-standin process entry: `external-standin [--port 9900] [--host 127.0.0.1]` (or PORT,
// HOST in the environment, as the other samples take them). A host outside the mesh for the
// egress lab; see libs/sample-kit/src/external-standin.ts.
import { parseArgs } from 'node:util';
import { createExternalStandin } from '@skiff/sample-kit';

const USAGE = `usage: external-standin [--port 9900] [--host 127.0.0.1]
A stand-in for a host outside the mesh (httpbin.org in Istio's egress tasks), with no sidecar:
GET /status/<code>, /headers, /get. Environment: PORT, HOST (flags win).`;

let values: { port?: string; host?: string; help?: boolean };
try {
  ({ values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
} catch (error) {
  console.error(`external-standin: ${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const portText = values.port ?? process.env['PORT'] ?? '9900';
const port = Number(portText);
if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535) {
  console.error(`external-standin: port ${JSON.stringify(portText)} is not a port number (1-65535)\n${USAGE}`);
  process.exit(2);
}
const host = values.host ?? process.env['HOST'] ?? '127.0.0.1';
const server = createExternalStandin();
server.on('error', (error: NodeJS.ErrnoException) => {
  console.error(`external-standin: cannot listen on ${host}:${port}: ${error.code ?? error.message}; pick a free port with --port`);
  process.exit(1);
});
server.listen(port, host, () => console.log(JSON.stringify({ msg: `external-standin listening on ${host}:${port}` })));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
