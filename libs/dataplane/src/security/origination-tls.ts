// TLS the sidecar originates to a destination outside the mesh (DestinationRule tls SIMPLE or
// MUTUAL, Istio's egress TLS origination): the app speaks plain HTTP, the sidecar speaks HTTPS.
// The server's certificate is checked against caCertificates (else the system's roots), for the
// SNI sent (sni, else the host the request named, as Istio's auto SNI does) or for
// subjectAltNames when given; MUTUAL adds a client certificate. Files are read once per config
// push; a file that cannot be read fails the requests to that cluster with a message naming it.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import type { OriginationTls } from '@skiff/api';

export interface OriginatedTls {
  kind: 'origination';
  /** Distinguishes pools with different TLS settings. */
  key: string;
  options: ConnectionOptions;
}

/** Where credentialName finds <name>/tls.crt, tls.key and ca.crt, as the gateway's credentials do. */
export const DEFAULT_ORIGINATION_CREDENTIALS_DIR = '.skiff/credentials';

export function originationTls(policy: OriginationTls, requestedHost: string, read: (file: string) => string = (f) => readFileSync(f, 'utf8'), credentialsDir = DEFAULT_ORIGINATION_CREDENTIALS_DIR): OriginatedTls | { error: string } {
  const servername = policy.sni ?? requestedHost;
  const files: { ca?: string; cert?: string; key?: string } = {};
  const fromCredential = policy.credentialName ? join(credentialsDir, policy.credentialName) : undefined;
  const want: Array<[keyof typeof files, string | undefined]> = [
    ['ca', policy.caCertificates ?? (fromCredential ? join(fromCredential, 'ca.crt') : undefined)],
    ['cert', policy.mode === 'MUTUAL' ? (policy.clientCertificate ?? (fromCredential ? join(fromCredential, 'tls.crt') : undefined)) : undefined],
    ['key', policy.mode === 'MUTUAL' ? (policy.privateKey ?? (fromCredential ? join(fromCredential, 'tls.key') : undefined)) : undefined],
  ];
  for (const [field, file] of want) {
    if (!file) continue;
    try {
      files[field] = read(file);
    } catch (error) {
      // A credential's ca.crt is optional (the system's roots are used without it).
      if (field === 'ca' && policy.caCertificates === undefined) continue;
      return { error: `DestinationRule tls ${policy.mode}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)}); fix the path or the file` };
    }
  }
  const sans = policy.subjectAltNames;
  const options: ConnectionOptions = {
    ...(isIP(servername) === 0 ? { servername } : {}),
    ...files,
    minVersion: 'TLSv1.2',
    rejectUnauthorized: policy.insecureSkipVerify !== true,
    ...(sans && sans.length > 0
      ? { checkServerIdentity: (_host: string, cert: PeerCertificate) => (sans.some((san) => checkServerIdentity(san, cert) === undefined) ? undefined : new Error(`the server's certificate names none of subjectAltNames ${sans.join(', ')}`)) }
      : {}),
  };
  return { kind: 'origination', key: JSON.stringify([servername, policy.mode, policy.caCertificates, policy.credentialName, policy.clientCertificate, sans, policy.insecureSkipVerify]), options };
}
