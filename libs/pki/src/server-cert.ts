// Server certificates named by DNS, for what the Kubernetes API server dials: the sidecar
// injection webhook behind a Service. Mesh workloads never get these; they are named by SPIFFE ID.
import { x509, SIGNING_ALGORITHM, randomSerialHex, type CryptoKey } from './x509-provider.js';
import { SigningRefused } from './errors.js';
import { checkKeyStrength } from './csr-review.js';

export interface ServerSignRequest {
  /** SPKI PEM ("PUBLIC KEY") of the server's key, e.g. generateWorkloadKey().publicKeyPem. */
  publicKeyPem: string;
  /** The DNS names clients dial; the first also becomes the subject CN. */
  dnsNames: readonly string[];
  ttlMs: number;
  now: Date;
}

export interface SignedServerCertificate {
  certPem: string;
  /** Leaf first, then the CA certificate and any parents up to the root. */
  chainPem: string[];
  notAfter: Date;
  dnsNames: string[];
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Why `name` is not a DNS name a certificate may carry (RFC 1123, lowercase, no wildcard), or undefined. */
export function dnsNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (name.length > 253) return 'it is longer than 253 characters';
  const bad = name.split('.').find((label) => !LABEL.test(label));
  if (bad !== undefined) return `the label '${bad}' is not 1-63 lowercase letters, digits or '-' (not starting or ending with '-')`;
  return undefined;
}

/** The names a Service answers to inside the cluster: <service>.<namespace>.svc and its FQDN. */
export function serviceDnsNames(params: { service: string; namespace: string; clusterDomain?: string }): string[] {
  const { service, namespace, clusterDomain = 'cluster.local' } = params;
  return [`${service}.${namespace}.svc`, `${service}.${namespace}.svc.${clusterDomain}`];
}

function readPublicKey(pem: string): x509.PublicKey {
  try {
    return new x509.PublicKey(pem);
  } catch (err) {
    throw new SigningRefused(`publicKeyPem is not a readable PEM public key (${(err as Error).message}); pass generateWorkloadKey().publicKeyPem`);
  }
}

/** Checks the request and builds the leaf; the CA (ca.ts) supplies its certificate, key and validity. */
export async function createServerLeaf(params: {
  request: ServerSignRequest;
  issuer: x509.X509Certificate;
  signingKey: CryptoKey;
  authorityKeyId: x509.Extension;
  notBefore: Date;
  notAfter: Date;
}): Promise<x509.X509Certificate> {
  const { request, issuer, signingKey, authorityKeyId, notBefore, notAfter } = params;
  if (request.dnsNames.length === 0) throw new SigningRefused('a server certificate needs at least one DNS name');
  for (const name of request.dnsNames) {
    const problem = dnsNameProblem(name);
    if (problem) throw new SigningRefused(`'${name}' is not a usable DNS name: ${problem}`);
  }
  const publicKey = readPublicKey(request.publicKeyPem);
  checkKeyStrength(publicKey, 'publicKeyPem');
  return x509.X509CertificateGenerator.create({
    serialNumber: randomSerialHex(),
    // A CN for people reading the certificate; clients (Go's crypto/tls included) check the SANs.
    subject: [{ CN: [request.dnsNames[0] as string] }],
    issuer: issuer.subjectName,
    notBefore,
    notAfter,
    publicKey,
    signingKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      // Server only: this certificate must not authenticate a client to the mesh.
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.BasicConstraintsExtension(false, undefined, true),
      authorityKeyId,
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      new x509.SubjectAlternativeNameExtension(request.dnsNames.map((value) => ({ type: 'dns' as const, value }))),
    ],
  });
}
