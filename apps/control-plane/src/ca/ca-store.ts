// Where the CA's root lives. It is created once and persisted, so a control-plane restart keeps
// the trust chain every proxy already holds; an operator can bring their own root instead.
// The key file is readable by the control plane's user only (0600 in a 0700 directory).
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRootCa, loadCa, type CertificateAuthority } from '@skiff/pki';
import type { Logger } from '@skiff/telemetry';

export interface CaStoreOptions {
  trustDomain: string;
  /** Directory holding root-cert.pem and root-key.pem (created when missing). */
  dir: string;
  /** Operator-provided root: both or neither. */
  certFile?: string;
  keyFile?: string;
  logger: Logger;
}

export async function loadOrCreateCa(options: CaStoreOptions): Promise<CertificateAuthority> {
  if (options.certFile || options.keyFile) {
    if (!options.certFile || !options.keyFile) throw new Error('--ca-cert and --ca-key go together: give both, or neither to let Skiff create a root');
    const ca = loadCa({ certPem: readFileSync(options.certFile, 'utf8'), keyPem: readFileSync(options.keyFile, 'utf8') });
    options.logger.info({ cert: options.certFile, notAfter: ca.notAfter }, 'CA: using the operator-provided root');
    return ca;
  }
  const certPath = join(options.dir, 'root-cert.pem');
  const keyPath = join(options.dir, 'root-key.pem');
  if (existsSync(certPath) && existsSync(keyPath)) {
    const ca = loadCa({ certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') });
    options.logger.info({ dir: options.dir, notAfter: ca.notAfter }, 'CA: loaded the persisted root');
    return ca;
  }
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  chmodSync(options.dir, 0o700);
  const material = await createRootCa({ trustDomain: options.trustDomain, now: new Date() });
  writeFileSync(keyPath, material.keyPem, { mode: 0o600 });
  writeFileSync(certPath, material.certPem, { mode: 0o644 });
  options.logger.info({ dir: options.dir, trustDomain: options.trustDomain }, 'CA: created a new self-signed root');
  return loadCa(material);
}
