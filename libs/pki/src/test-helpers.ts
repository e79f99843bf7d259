// Shared fixtures for this library's tests: a CA, issued workloads, and hand-built CSRs and
// certificates for the shapes createWorkloadCsr and createRootCa never make.
import { x509, SIGNING_ALGORITHM, randomSerialHex, crypto, EC_P256, type CryptoKeyPair } from './x509-provider.js';
import type { webcrypto } from 'node:crypto';
import { createRootCa, loadCa, type CertificateAuthority, type SignedCertificate } from './ca.js';
import { createWorkloadCsr, generateWorkloadKey, type WorkloadKey } from './workload.js';

export const NOW = new Date('2025-06-01T12:00:00.000Z');
export const HOUR = 3_600_000;
export const REVIEWS = 'spiffe://cluster.local/ns/default/sa/reviews';
export const RATINGS = 'spiffe://cluster.local/ns/default/sa/ratings';

export async function newCa(now = NOW, validityDays = 3650): Promise<CertificateAuthority & { keyPem: string }> {
  const material = await createRootCa({ trustDomain: 'cluster.local', now, validityDays });
  return Object.assign(loadCa(material), { keyPem: material.keyPem });
}

export interface Workload extends SignedCertificate {
  keys: WorkloadKey;
}

export async function issue(ca: CertificateAuthority, spiffeId: string, now = NOW, ttlMs = 24 * HOUR): Promise<Workload> {
  const keys = await generateWorkloadKey();
  const csrPem = createWorkloadCsr(spiffeId, keys.privateKeyPem);
  const signed = await ca.sign({ csrPem, allowedSpiffeIds: [spiffeId], ttlMs, now });
  return { ...signed, keys };
}

/** A CSR with whatever SAN entries the test wants (createWorkloadCsr always makes exactly one URI). */
export async function csrWithNames(names: x509.JsonGeneralNames | undefined): Promise<string> {
  const keys = (await crypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: names ? [new x509.SubjectAlternativeNameExtension(names)] : [],
  });
  return csr.toString('pem');
}

/** A CSR for `spiffeId` made with a key of another algorithm or size. */
export async function csrWithKey(spiffeId: string, algorithm: webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams): Promise<string> {
  const keys = (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const signingAlgorithm = algorithm.name === 'ECDSA' ? { ...algorithm, hash: 'SHA-256' } : algorithm;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    keys,
    signingAlgorithm,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: spiffeId }])],
  });
  return csr.toString('pem');
}

/** Flips a bit in the last byte of the certificate (inside its signature value). */
export function tamperSignature(pem: string): string {
  const der = Buffer.from(new x509.X509Certificate(pem).rawData);
  der[der.length - 1] = (der[der.length - 1] as number) ^ 0x01;
  return x509.PemConverter.encode(der, 'CERTIFICATE');
}

/** Flips a byte inside the to-be-signed part, so the signature no longer covers the content. */
export function tamperContent(pem: string): string {
  const der = Buffer.from(new x509.X509Certificate(pem).rawData);
  const serialAt = der.indexOf(Buffer.from(new x509.X509Certificate(pem).serialNumber.slice(0, 8), 'hex'));
  der[serialAt] = (der[serialAt] as number) ^ 0x01;
  return x509.PemConverter.encode(der, 'CERTIFICATE');
}

/**
 * A certificate signed by `issuer` with whatever shape the test needs, bypassing the CA's
 * checks: intermediates, CAs with a pathLength, or a "leaf" that signs other certificates.
 */
export async function issueRaw(params: {
  issuer: { certPem: string; keyPem: string };
  isCa: boolean;
  pathLength?: number;
  spiffeId?: string;
  now?: Date;
}): Promise<{ certPem: string; keyPem: string }> {
  const now = params.now ?? NOW;
  const issuerCert = new x509.X509Certificate(params.issuer.certPem);
  const issuerKey = await crypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(params.issuer.keyPem), EC_P256, false, ['sign']);
  const keys = (await crypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const usage = params.isCa ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign : x509.KeyUsageFlags.digitalSignature;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialHex(),
    subject: params.isCa ? [{ O: ['cluster.local'] }, { CN: [`intermediate ${randomSerialHex().slice(0, 6)}`] }] : [{ O: ['cluster.local'] }, { CN: ['workload'] }],
    issuer: issuerCert.subjectName,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + 365 * 24 * HOUR),
    publicKey: keys.publicKey,
    signingKey: issuerKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(params.isCa, params.pathLength, true),
      new x509.KeyUsagesExtension(usage, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ...(params.spiffeId ? [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: params.spiffeId }])] : []),
    ],
  });
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: `${cert.toString('pem')}\n`, keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}

/** An intermediate CA signed by `root`, as a plugged-in CA would be. */
export function newIntermediate(root: { certPem: string; keyPem: string }, now = NOW, pathLength?: number): Promise<{ certPem: string; keyPem: string }> {
  return issueRaw({ issuer: root, isCa: true, now, ...(pathLength === undefined ? {} : { pathLength }) });
}
