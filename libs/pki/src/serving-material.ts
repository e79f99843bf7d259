// Everything an HTTPS server named by DNS needs from the mesh CA in one call: a fresh key, its
// certificate, and the bundle its clients must trust (a webhook configuration's caBundle).
import type { CertificateAuthority } from './ca.js';
import { generateWorkloadKey } from './workload.js';
import { tlsMaterial } from './tls-material.js';

export interface ServingMaterial {
  /** Leaf then intermediates: what `https.createServer({ cert })` takes. */
  certPem: string;
  /** PKCS#8 PEM private key; it never leaves the process that asked. */
  keyPem: string;
  /** The roots clients verify against (base64 of it is a webhook's caBundle). */
  caBundlePem: string;
  notAfter: Date;
  dnsNames: string[];
}

/** A new key and a CA-signed server certificate for `dnsNames` (see serviceDnsNames). */
export async function issueServingMaterial(ca: CertificateAuthority, params: { dnsNames: readonly string[]; ttlMs: number; now: Date }): Promise<ServingMaterial> {
  const keys = await generateWorkloadKey();
  const signed = await ca.signServer({ publicKeyPem: keys.publicKeyPem, ...params });
  const tls = tlsMaterial({ privateKeyPem: keys.privateKeyPem, chainPem: signed.chainPem, rootsPem: [ca.rootCertPem] });
  return { certPem: tls.cert, keyPem: tls.key, caBundlePem: tls.ca, notAfter: signed.notAfter, dnsNames: signed.dnsNames };
}
