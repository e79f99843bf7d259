// A stand-in for the nginx of Istio's "Ingress Gateway without TLS Termination" task: an HTTPS
// server with a certificate of its own, for nginx.example.com, signed by an example.com CA, as
// the task makes them with openssl. The gateway must not terminate this TLS: a client that trusts
// only example.com's root and reaches this page has talked to the backend itself.
//
// The certificate comes from CERT_DIR when tls.crt and tls.key are there. Otherwise the server
// makes a new example.com root and leaf at start and, when CERT_DIR is set, writes them there
// (example.com.crt for clients' --cacert, tls.crt, tls.key mode 0600), so a learner can find the
// root and a restarted server keeps serving the same chain.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { createRootCa, generateWorkloadKey, loadCa } from '@skiff/pki';

export interface HttpsHelloCredential {
  certPem: string;
  keyPem: string;
  /** The root that signed certPem (absent when the files were given without it). */
  rootPem?: string;
}

const ROOT_FILE = 'example.com.crt';
const YEAR_MS = 365 * 86_400_000;

/** A new example.com root (O=example.com, CN=example.com) and a leaf for `serverNames`. */
export async function makeExampleCredential(serverNames: readonly string[], now = new Date()): Promise<HttpsHelloCredential> {
  const root = await createRootCa({ trustDomain: 'example.com', commonName: 'example.com', validityDays: 365, now });
  const key = await generateWorkloadKey();
  const leaf = await loadCa(root).signServer({ publicKeyPem: key.publicKeyPem, dnsNames: serverNames, ttlMs: YEAR_MS, now });
  return { certPem: leaf.certPem, keyPem: key.privateKeyPem, rootPem: root.certPem };
}

/** The credential in `dir` (tls.crt, tls.key), or a new one written there; without a dir, a new one in memory. */
export async function loadOrMakeCredential(dir: string | undefined, serverNames: readonly string[]): Promise<HttpsHelloCredential> {
  if (dir && existsSync(join(dir, 'tls.crt')) && existsSync(join(dir, 'tls.key'))) {
    const rootFile = join(dir, ROOT_FILE);
    return { certPem: readFileSync(join(dir, 'tls.crt'), 'utf8'), keyPem: readFileSync(join(dir, 'tls.key'), 'utf8'), ...(existsSync(rootFile) ? { rootPem: readFileSync(rootFile, 'utf8') } : {}) };
  }
  const made = await makeExampleCredential(serverNames);
  if (dir) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, ROOT_FILE), made.rootPem as string);
    writeFileSync(join(dir, 'tls.crt'), made.certPem);
    writeFileSync(join(dir, 'tls.key'), made.keyPem, { mode: 0o600 });
  }
  return made;
}

/** GET / answers nginx's welcome title, with what served it; anything else 404. */
export function createHttpsHello(credential: HttpsHelloCredential, name = 'my-nginx'): Server {
  const page = `<!DOCTYPE html>\n<html><head><title>Welcome to nginx!</title></head>\n<body><h1>Welcome to nginx!</h1>\n<p>${name}: Skiff's stand-in for the nginx of Istio's TLS passthrough task, serving its own certificate.</p></body></html>\n`;
  return createServer({ cert: credential.certPem, key: credential.keyPem, requestTimeout: 10_000, headersTimeout: 10_000 }, (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', connection: 'close' }).end();
      return;
    }
    if ((req.url ?? '/').split('?')[0] !== '/') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: this server has one page, /\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(page) }).end(page);
  });
}
