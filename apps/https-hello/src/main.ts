// https-hello process entry: `https-hello [--port 9443] [--host 127.0.0.1]` (or PORT, HOST,
// CERT_DIR, SERVER_NAMES in the environment). The TLS passthrough lab's backend, standing in for
// nginx; see libs/sample-kit/src/https-hello.ts.
import { createHttpsHello, loadOrMakeCredential, sampleProcessArgs } from '@skiff/sample-kit';

const USAGE = `usage: https-hello [--port 9443] [--host 127.0.0.1] [--cert-dir <dir>]
An HTTPS server with its own certificate (Istio's TLS passthrough task's nginx, stood in for).
--cert-dir: tls.crt and tls.key to serve; when they are missing, a new example.com root and a
leaf for SERVER_NAMES (default nginx.example.com) are made and written there, the root as
example.com.crt. Environment: PORT, HOST, CERT_DIR, SERVER_NAMES (comma-separated); flags win.`;

const { port, host, extra } = sampleProcessArgs({ name: 'https-hello', usage: USAGE, defaultPort: 9443, extra: { flag: 'cert-dir', env: 'CERT_DIR' } });
const certDir = extra;
const names = (process.env['SERVER_NAMES'] ?? 'nginx.example.com').split(',').map((n) => n.trim()).filter(Boolean);
let server;
try {
  server = createHttpsHello(await loadOrMakeCredential(certDir, names), process.env['SERVICE_NAME'] ?? 'my-nginx');
} catch (error) {
  console.error(`https-hello: cannot get a certificate${certDir ? ` in ${certDir}` : ''}: ${(error as Error).message}; check the directory is writable, or remove broken tls.crt/tls.key there`);
  process.exit(1);
}
server.on('error', (error: NodeJS.ErrnoException) => {
  console.error(`https-hello: cannot listen on ${host}:${port}: ${error.code ?? error.message}; pick a free port with --port`);
  process.exit(1);
});
server.listen(port, host, () => console.log(JSON.stringify({ msg: `https-hello listening on ${host}:${port}`, names, certDir: certDir ?? '(in memory)' })));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
