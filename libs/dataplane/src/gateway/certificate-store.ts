// The gateway's server certificates, read from files: Istio's file-mounted form
// (serverCertificate, privateKey, caCertificates) or a named credential, which is a directory
// holding a Kubernetes TLS secret's keys (`<credentials dir>/<name>/tls.crt`, `tls.key`,
// `ca.crt`). Files are read once and checked again (a stat) at most every `recheckMs`, and on
// every new snapshot version, so a renewed certificate is served without a restart. A file that
// is missing or bad never replaces good material: the last good one stays in force and the
// error, naming the file, is logged once.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { GatewayTlsSnapshot } from '@skiff/api';
import type { Logger } from '@skiff/telemetry';

export interface TlsFiles {
  cert: string;
  key: string;
  /** Only for MUTUAL: the roots client certificates must chain to. */
  ca?: string;
  /** For messages: `credentialName "foo"` or `serverCertificate/privateKey`. */
  source: string;
}

/** The files a Gateway server's TLS settings point at (credentialName wins, as in Istio). */
export function tlsFilesFor(tls: GatewayTlsSnapshot, credentialsDir: string): TlsFiles {
  const mutual = tls.mode === 'MUTUAL';
  if (tls.credentialName !== undefined) {
    const dir = join(resolve(credentialsDir), tls.credentialName);
    return { cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key'), ...(mutual ? { ca: join(dir, 'ca.crt') } : {}), source: `credentialName "${tls.credentialName}"` };
  }
  return {
    cert: resolve(tls.serverCertificate ?? ''),
    key: resolve(tls.privateKey ?? ''),
    ...(mutual ? { ca: resolve(tls.caCertificates ?? '') } : {}),
    source: 'serverCertificate/privateKey files',
  };
}

export interface TlsMaterial {
  /** Grows whenever different material is loaded, so TLS servers know to swap their context. */
  generation: number;
  options: SecureContextOptions;
  /** Subject and expiry of the leaf, for logs and tests. */
  subject: string;
  notAfter: string;
}

interface Entry {
  files: TlsFiles;
  good?: TlsMaterial;
  /** The files' stat signature when they were last read (good or bad), to skip unchanged files. */
  stamp?: string;
  checkedAt: number;
  version?: string;
  lastError?: string;
  inflight?: Promise<void>;
}

export interface CertificateStoreOptions {
  credentialsDir: string;
  logger: Logger;
  /** How often files are stat-ed again for changes (default 1 s). */
  recheckMs?: number;
  /** What the material serves, for log lines (e.g. "gateway :443"). */
  name: string;
}

let generations = 0;

export class CertificateStore {
  readonly #entries = new Map<string, Entry>();
  readonly #recheckMs: number;

  constructor(private readonly options: CertificateStoreOptions) {
    this.#recheckMs = options.recheckMs ?? 1000;
  }

  /** The material in force for these settings, or undefined when no good material was ever read. */
  async material(tls: GatewayTlsSnapshot, snapshotVersion: string): Promise<TlsMaterial | undefined> {
    const files = tlsFilesFor(tls, this.options.credentialsDir);
    const key = JSON.stringify([files.cert, files.key, files.ca]);
    let entry = this.#entries.get(key);
    if (!entry) this.#entries.set(key, (entry = { files, checkedAt: -Infinity }));
    const current = entry;
    if (!current.inflight && (current.version !== snapshotVersion || Date.now() - current.checkedAt >= this.#recheckMs)) {
      current.version = snapshotVersion;
      current.checkedAt = Date.now();
      current.inflight = this.#refresh(current).finally(() => (current.inflight = undefined));
    }
    await current.inflight;
    return current.good;
  }

  /** Why there is no material for these settings (the last error), for the refusal log line. */
  lastError(tls: GatewayTlsSnapshot): string | undefined {
    const files = tlsFilesFor(tls, this.options.credentialsDir);
    return this.#entries.get(JSON.stringify([files.cert, files.key, files.ca]))?.lastError;
  }

  /** Forgets material no server of the current snapshot uses. */
  retain(settings: readonly GatewayTlsSnapshot[]): void {
    const keep = new Set(settings.map((tls) => {
      const files = tlsFilesFor(tls, this.options.credentialsDir);
      return JSON.stringify([files.cert, files.key, files.ca]);
    }));
    for (const key of this.#entries.keys()) if (!keep.has(key)) this.#entries.delete(key);
  }

  async #refresh(entry: Entry): Promise<void> {
    const paths = [entry.files.cert, entry.files.key, ...(entry.files.ca ? [entry.files.ca] : [])];
    let stamp: string;
    try {
      // All settled, then the first problem in file order: the error names the same file every time.
      const stats = await Promise.allSettled(paths.map((path) => statSignature(path)));
      const failed = stats.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      stamp = stats.map((r) => (r as PromiseFulfilledResult<string>).value).join('|');
    } catch (error) {
      // Forget the stamp: when the file is back, even unchanged, it is read and checked again.
      entry.stamp = undefined;
      this.#fail(entry, error instanceof FileProblem ? error.message : String(error));
      return;
    }
    if (stamp === entry.stamp) return;
    entry.stamp = stamp;
    try {
      const material = await loadMaterial(entry.files);
      entry.good = material;
      entry.lastError = undefined;
      this.options.logger.info({ listener: this.options.name, cert: entry.files.cert, subject: material.subject, notAfter: material.notAfter, generation: material.generation }, 'gateway certificate loaded');
    } catch (error) {
      this.#fail(entry, error instanceof FileProblem ? error.message : String(error));
    }
  }

  #fail(entry: Entry, message: string): void {
    const consequence = entry.good
      ? 'the last good certificate stays in force'
      : `TLS connections for it on ${this.options.name} are refused until it is fixed`;
    const full = `${message} (${entry.files.source}); ${consequence}`;
    if (full === entry.lastError) return;
    entry.lastError = full;
    this.options.logger.error({ listener: this.options.name }, full);
  }
}

class FileProblem extends Error {}

async function statSignature(path: string): Promise<string> {
  try {
    const s = await stat(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch (error) {
    throw new FileProblem(`gateway TLS file ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new FileProblem(`gateway TLS file ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/** Reads and checks the files; every error names the file at fault. */
async function loadMaterial(files: TlsFiles): Promise<TlsMaterial> {
  // One after the other, so a problem is reported for the first bad file, always the same one.
  const cert = await readText(files.cert);
  const key = await readText(files.key);
  const ca = files.ca ? await readText(files.ca) : undefined;
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (error) {
    throw new FileProblem(`gateway TLS file ${files.cert} is not a PEM certificate: ${(error as Error).message}`);
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    throw new FileProblem(`gateway TLS file ${files.key} is not a PEM private key: ${(error as Error).message}`);
  }
  if (!leaf.checkPrivateKey(privateKey)) throw new FileProblem(`gateway TLS file ${files.key} is not the private key of the certificate in ${files.cert}; put the matching pair in place`);
  if (ca !== undefined && files.ca) {
    try {
      new X509Certificate(ca);
    } catch (error) {
      throw new FileProblem(`gateway TLS file ${files.ca} is not a PEM CA certificate: ${(error as Error).message}`);
    }
  }
  const options: SecureContextOptions = { cert, key, ...(ca !== undefined ? { ca } : {}), minVersion: 'TLSv1.2' };
  try {
    createSecureContext(options);
  } catch (error) {
    throw new FileProblem(`gateway TLS files ${files.cert} and ${files.key}${files.ca ? ` and ${files.ca}` : ''} are not usable together: ${(error as Error).message}`);
  }
  return { generation: ++generations, options, subject: leaf.subject.replace(/\n/g, ', ') || leaf.subjectAltName || '(no subject)', notAfter: new Date(leaf.validTo).toISOString() };
}
