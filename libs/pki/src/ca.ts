// The mesh's certificate authority: a self-signed root (or a loaded CA) that signs short-lived
// workload certificates for exactly the SPIFFE ID the caller's credential entitles it to.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { crypto, EC_P256, SIGNING_ALGORITHM, randomSerialHex, x509, type CryptoKey, type CryptoKeyPair } from './x509-provider.js';
import { SigningRefused } from './errors.js';
import { reviewCsr } from './csr-review.js';
import { spiffeIdProblem } from './spiffe.js';
import { certificateList, withNewline } from './pem.js';
import { createServerLeaf, type ServerSignRequest, type SignedServerCertificate } from './server-cert.js';

/** Allowance for clocks that run behind the CA's: certificates start a minute in the past. */
export const CLOCK_SKEW_MS = 60_000;
const DAY_MS = 86_400_000;

export interface CaMaterial {
  certPem: string;
  /** PKCS#8 PEM. */
  keyPem: string;
}

export interface RootCaOptions {
  /** Becomes the subject's O, as Istio's self-signed root uses O=cluster.local. */
  trustDomain: string;
  commonName?: string;
  validityDays?: number;
  now: Date;
}

export interface SignRequest {
  csrPem: string;
  /** What the caller's credential entitles it to; the CSR must ask for one of these. */
  allowedSpiffeIds: readonly string[];
  ttlMs: number;
  now: Date;
}

export interface SignedCertificate {
  certPem: string;
  /** Leaf first, then the CA certificate and any parents up to the root. */
  chainPem: string[];
  notAfter: Date;
  spiffeId: string;
}

export interface CertificateAuthority {
  /** The certificate this CA signs with. */
  readonly certPem: string;
  /** The trust anchor to hand to workloads (the CA itself when it is a root). */
  readonly rootCertPem: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  sign(request: SignRequest): Promise<SignedCertificate>;
  /** A server certificate for DNS names (the injection webhook's), not a workload identity. */
  signServer(request: ServerSignRequest): Promise<SignedServerCertificate>;
}

/** A new self-signed ECDSA P-256 root CA. */
export async function createRootCa(options: RootCaOptions): Promise<CaMaterial> {
  const { trustDomain, commonName, validityDays = 3650, now } = options;
  const problem = spiffeIdProblem(`spiffe://${trustDomain}`);
  if (problem) throw new Error(`createRootCa: trust domain '${trustDomain}' is not usable: ${problem}`);
  if (!(validityDays > 0)) throw new Error(`createRootCa: validityDays must be positive, got ${validityDays}`);

  const keys = (await crypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const name: x509.JsonName = [{ O: [trustDomain] }, ...(commonName ? [{ CN: [commonName] }] : [])];
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialHex(),
    name,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(now.getTime() + validityDays * DAY_MS),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: withNewline(cert.toString('pem')), keyPem: withNewline(x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')) };
}

function readCaCertificate(certPem: string): x509.X509Certificate {
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(certPem);
  } catch (err) {
    throw new Error(`loadCa: certPem is not a readable PEM certificate (${(err as Error).message})`);
  }
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  if (!basic?.ca) {
    throw new Error(`loadCa: certificate '${cert.subject || '(empty subject)'}' is not a CA (basicConstraints CA is not true); pass the CA certificate, not a workload one`);
  }
  const usage = cert.getExtension(x509.KeyUsagesExtension);
  if (usage && !(usage.usages & x509.KeyUsageFlags.keyCertSign)) {
    throw new Error(`loadCa: certificate '${cert.subject}' may not sign certificates (keyUsage lacks keyCertSign)`);
  }
  return cert;
}

function readCaKey(keyPem: string, cert: x509.X509Certificate): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    throw new Error(`loadCa: keyPem is not a readable PEM private key (${(err as Error).message})`);
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') {
    throw new Error(`loadCa: the CA key is ${key.asymmetricKeyType}${curve ? ` on ${curve}` : ''}; Skiff's CA signs with ECDSA P-256 only (createRootCa makes one)`);
  }
  const publicFromKey = createPublicKey(key).export({ type: 'spki', format: 'der' });
  if (!publicFromKey.equals(Buffer.from(cert.publicKey.rawData))) {
    throw new Error(`loadCa: the private key does not belong to certificate '${cert.subject}' (their public keys differ); check that certPem and keyPem come from the same CA`);
  }
  return key;
}

/**
 * A CA from its certificate and private key (PKCS#8 or SEC1 PEM). `parentsPem` lists the
 * certificates above it up to the root, when the CA is an intermediate. Throws a readable error
 * when the certificate is not a CA or the key does not match it.
 */
export function loadCa(params: { certPem: string; keyPem: string; parentsPem?: readonly string[] }): CertificateAuthority {
  const caCert = readCaCertificate(params.certPem);
  const key = readCaKey(params.keyPem, caCert);
  const caPem = withNewline(caCert.toString('pem'));
  const parents = certificateList(params.parentsPem ?? []);
  const rootCertPem = parents.at(-1) ?? caPem;

  // Importing the key and deriving the authority key id are async; do them once, on first use.
  // The extensions every leaf shares are built once too: ASN.1 encoding dominates signing time.
  let prepared: Promise<{ signingKey: CryptoKey; authorityKeyId: x509.Extension; sharedExtensions: x509.Extension[] }> | undefined;
  const prepare = () =>
    (prepared ??= (async () => {
      const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
      const signingKey = await crypto.subtle.importKey('pkcs8', pkcs8, EC_P256, false, ['sign']);
      const ski = caCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
      const authorityKeyId = ski
        ? new x509.AuthorityKeyIdentifierExtension(ski)
        : await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey);
      const sharedExtensions = [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        new x509.BasicConstraintsExtension(false, undefined, true),
        authorityKeyId,
      ];
      return { signingKey, authorityKeyId, sharedExtensions };
    })());

  /** Refuses a bad ttl or a CA outside its validity; returns the leaf's notAfter, capped at the CA's. */
  function validity(ttlMs: number, now: Date): Date {
    if (!(Number.isFinite(ttlMs) && ttlMs > 0)) {
      throw new SigningRefused(`ttlMs must be a positive number of milliseconds, got ${ttlMs}`);
    }
    if (now.getTime() >= caCert.notAfter.getTime()) {
      throw new SigningRefused(`the CA certificate expired at ${caCert.notAfter.toISOString()}; rotate the CA`);
    }
    if (now.getTime() < caCert.notBefore.getTime()) {
      throw new SigningRefused(`the CA certificate is not valid until ${caCert.notBefore.toISOString()}; check the clock`);
    }
    return new Date(Math.min(now.getTime() + ttlMs, caCert.notAfter.getTime()));
  }

  async function sign(request: SignRequest): Promise<SignedCertificate> {
    const { csrPem, allowedSpiffeIds, ttlMs, now } = request;
    const notAfter = validity(ttlMs, now);
    const csr = await reviewCsr(csrPem);
    if (!allowedSpiffeIds.includes(csr.spiffeId)) {
      const entitled = allowedSpiffeIds.length > 0 ? allowedSpiffeIds.join(' or ') : 'no identity';
      throw new SigningRefused(`CSR asks for ${csr.spiffeId} but the credential entitles ${entitled}`);
    }

    const { signingKey, sharedExtensions } = await prepare();
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerialHex(),
      // Subject left empty like Istio's; the SAN is then critical (RFC 5280 section 4.2.1.6).
      issuer: caCert.subjectName,
      notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
      notAfter,
      publicKey: csr.publicKey,
      signingKey,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        ...sharedExtensions,
        await x509.SubjectKeyIdentifierExtension.create(csr.publicKey),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: csr.spiffeId }], true),
      ],
    });
    const certPem = withNewline(leaf.toString('pem'));
    return { certPem, chainPem: [certPem, caPem, ...parents], notAfter: leaf.notAfter, spiffeId: csr.spiffeId };
  }

  async function signServer(request: ServerSignRequest): Promise<SignedServerCertificate> {
    const notAfter = validity(request.ttlMs, request.now);
    const { signingKey, authorityKeyId } = await prepare();
    const notBefore = new Date(request.now.getTime() - CLOCK_SKEW_MS);
    const leaf = await createServerLeaf({ request, issuer: caCert, signingKey, authorityKeyId, notBefore, notAfter });
    const certPem = withNewline(leaf.toString('pem'));
    return { certPem, chainPem: [certPem, caPem, ...parents], notAfter: leaf.notAfter, dnsNames: [...request.dnsNames] };
  }

  return { certPem: caPem, rootCertPem, notBefore: caCert.notBefore, notAfter: caCert.notAfter, sign, signServer };
}
