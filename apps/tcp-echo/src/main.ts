// tcp-echo process entry: `tcp-echo [--port 9000] [--host 127.0.0.1] [--prefix one]`
// (or PORT, HOST, PREFIX in the environment, as the other samples take them).
import { createTcpEchoServer, sampleProcessArgs } from '@skiff/sample-kit';

const USAGE = `usage: tcp-echo [--port 9000] [--host 127.0.0.1] [--prefix one]
Echoes every line a client sends, with the prefix in front (Istio's samples/tcp-echo).
Environment: PORT, HOST, PREFIX (flags win).`;

const { port, host, extra } = sampleProcessArgs({ name: 'tcp-echo', usage: USAGE, defaultPort: 9000, extra: { flag: 'prefix', env: 'PREFIX' } });
const prefix = extra ?? 'one';
const server = createTcpEchoServer(prefix);
server.on('error', (error: NodeJS.ErrnoException) => {
  console.error(`tcp-echo: cannot listen on ${host}:${port}: ${error.code ?? error.message}; pick a free port with --port`);
  process.exit(1);
});
server.listen(port, host, () => console.log(JSON.stringify({ msg: `tcp-echo listening on ${host}:${port}`, prefix })));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
