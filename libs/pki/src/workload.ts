// The workload side of issuance for the sidecar, on node:crypto alone: a P-256 key that never
// leaves the process, a CSR asking for one SPIFFE ID, and what the issued certificate says.
//
// Why not @peculiar/x509 here, as the CA uses: loading it (with asn1js, tsyringe and
// reflect-metadata) costs every sidecar 7 to 9 MiB of heap for good (measured: RssAnon of a
// process importing it), a seventh of the sidecar's idle-memory budget, to build one small
// structure a few times a day. The CSR is a fixed PKCS#10 shape (RFC 2986): an empty subject, the
// public key, and an extensionRequest holding one critical subjectAltName URI, the same request
// Istio's agent sends; it is encoded below in DER by hand, and checked in csr tests against
// @peculiar/x509's parser, the CA that signs it, and openssl.
import { createPrivateKey, createPublicKey, generateKeyPair as generateNodeKeyPair, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { withNewline } from './pem.js';
import { isSpiffeId, spiffeIdProblem } from './spiffe.js';

// What a sidecar needs besides, none of it touching @peculiar/x509 (`@skiff/pki/workload`).
export { tlsMaterial, type TlsMaterial } from './tls-material.js';
export { splitPemCertificates } from './pem.js';
export { spiffeId } from './spiffe.js';

export interface WorkloadKey {
  /** PKCS#8 PEM ("PRIVATE KEY"), accepted by node's `tls.createSecureContext({ key })`. */
  privateKeyPem: string;
  /** SPKI PEM ("PUBLIC KEY"). */
  publicKeyPem: string;
}

const generate = promisify(generateNodeKeyPair);

/** A fresh ECDSA P-256 key pair (Istio's default for workloads). */
export async function generateWorkloadKey(): Promise<WorkloadKey> {
  const { privateKey, publicKey } = await generate('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKeyPem: withNewline(privateKey), publicKeyPem: withNewline(publicKey) };
}

// ---- DER, the few shapes a CSR needs ----------------------------------------------------------

function tlv(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  const n = body.length;
  if (n > 0xffff) throw new Error('DER: value too long for this encoder');
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, body]);
}

const sequence = (...items: Buffer[]) => tlv(0x30, ...items);
const set = (...items: Buffer[]) => tlv(0x31, ...items);

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const bytes = [a * 40 + b];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let v = arc >>> 7; v > 0; v >>>= 7) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

const EXTENSION_REQUEST = '1.2.840.113549.1.9.14'; // PKCS#9
const SUBJECT_ALT_NAME = '2.5.29.17';
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

/**
 * A PEM CSR asking for `spiffeId`, signed with `privateKeyPem`. The subject is left empty, as
 * Istio's agent does, so the subjectAltName holding the identity is critical (RFC 5280 4.2.1.6).
 */
export function createWorkloadCsr(spiffeId: string, privateKeyPem: string): string {
  const problem = spiffeIdProblem(spiffeId);
  if (problem) throw new Error(`cannot create a CSR for '${spiffeId}': ${problem}`);
  const key: KeyObject = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== 'ec') throw new Error(`createWorkloadCsr: the key must be an EC key, not ${key.asymmetricKeyType}`);
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const generalNames = sequence(tlv(0x86, Buffer.from(spiffeId, 'ascii'))); // [6] uniformResourceIdentifier
  const sanExtension = sequence(oid(SUBJECT_ALT_NAME), tlv(0x01, Buffer.from([0xff])), tlv(0x04, generalNames));
  const attributes = tlv(0xa0, sequence(oid(EXTENSION_REQUEST), set(sequence(sanExtension))));
  const info = sequence(tlv(0x02, Buffer.from([0])), sequence(), spki, attributes);
  const signature = sign('sha256', info, key); // DER-encoded ECDSA signature
  const der = sequence(info, sequence(oid(ECDSA_WITH_SHA256)), tlv(0x03, Buffer.from([0]), signature));
  const base64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${base64}\n-----END CERTIFICATE REQUEST-----\n`;
}

// ---- what an issued certificate says --------------------------------------------------------

export interface LeafInfo {
  /** The certificate's SPIFFE ID, when it carries exactly one. */
  spiffeId?: string;
  /** Hex, lower case (as Istio's proxy-config secret shows it). */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
}

/** The identity and validity of one PEM certificate. Throws if it cannot be read. */
export function leafInfo(pem: string): LeafInfo {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (err) {
    throw new Error(`leafInfo: the input is not a readable PEM certificate (${(err as Error).message})`);
  }
  // subjectAltName reads "URI:spiffe://..., DNS:..."; a comma inside a name is escaped by node.
  const ids = (cert.subjectAltName ?? '')
    .split(', ')
    .filter((name) => name.startsWith('URI:'))
    .map((name) => name.slice(4))
    .filter(isSpiffeId);
  return {
    ...(ids.length === 1 ? { spiffeId: ids[0] } : {}),
    serialNumber: cert.serialNumber.toLowerCase(),
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
  };
}

/** True when a PEM certificate names itself as its issuer (a root). */
export function isSelfIssued(pem: string): boolean {
  const cert = new X509Certificate(pem);
  return cert.subject === cert.issuer;
}
