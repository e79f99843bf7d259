// external-standin process entry: `external-standin [--port 9900] [--host 127.0.0.1]` (or PORT,
// HOST in the environment, as the other samples take them). A host outside the mesh for the
// egress lab; see libs/sample-kit/src/external-standin.ts.
import { createExternalStandin, sampleProcessArgs } from '@skiff/sample-kit';

const USAGE = `usage: external-standin [--port 9900] [--host 127.0.0.1]
A stand-in for a host outside the mesh (httpbin.org in Istio's egress tasks), with no sidecar:
GET /status/<code>, /headers, /get. Environment: PORT, HOST (flags win).`;

const { port, host } = sampleProcessArgs({ name: 'external-standin', usage: USAGE, defaultPort: 9900 });
const server = createExternalStandin();
server.on('error', (error: NodeJS.ErrnoException) => {
  console.error(`external-standin: cannot listen on ${host}:${port}: ${error.code ?? error.message}; pick a free port with --port`);
  process.exit(1);
});
server.listen(port, host, () => console.log(JSON.stringify({ msg: `external-standin listening on ${host}:${port}` })));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
