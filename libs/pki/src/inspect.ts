// Reading certificates: what a certificate says, whether a presented chain leads to a trusted
// root at a given moment, and when a workload should rotate.
import { x509 } from './x509-provider.js';
import { isSpiffeId } from './spiffe.js';
import { certificateList } from './pem.js';

export interface CertificateInfo {
  /** The certificate's SPIFFE ID, when it carries exactly one. */
  spiffeId?: string;
  /** Hex. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  issuer: string;
  subject: string;
  isCa: boolean;
}

export type ChainVerdict = { ok: true; spiffeId: string } | { ok: false; reason: string };

function parseCertificate(pem: string, where: string): x509.X509Certificate {
  try {
    return new x509.X509Certificate(pem);
  } catch (err) {
    throw new Error(`${where} is not a readable PEM certificate (${(err as Error).message})`);
  }
}

function spiffeIdsOf(cert: x509.X509Certificate): string[] {
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  if (!san) return [];
  return san.names.items.filter((n) => n.type === 'url' && isSpiffeId(n.value)).map((n) => n.value);
}

function isCaCert(cert: x509.X509Certificate): boolean {
  return cert.getExtension(x509.BasicConstraintsExtension)?.ca === true;
}

/** The fields a mesh cares about, from one PEM certificate. Throws if it cannot be read. */
export function certificateInfo(pem: string): CertificateInfo {
  const cert = parseCertificate(pem, 'certificateInfo: the input');
  const ids = spiffeIdsOf(cert);
  return {
    ...(ids.length === 1 ? { spiffeId: ids[0] } : {}),
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    issuer: cert.issuer,
    subject: cert.subject,
    isCa: isCaCert(cert),
  };
}

/** True once `fraction` (default half, as Istio does) of the certificate's validity has passed. */
export function rotationDue(info: Pick<CertificateInfo, 'notBefore' | 'notAfter'>, now: Date, fraction = 0.5): boolean {
  const start = info.notBefore.getTime();
  const lifetime = info.notAfter.getTime() - start;
  return now.getTime() - start >= lifetime * fraction;
}

async function signedBy(cert: x509.X509Certificate, issuer: x509.X509Certificate): Promise<boolean> {
  if (cert.issuer !== issuer.subject) return false;
  try {
    return await cert.verify({ publicKey: issuer.publicKey, signatureOnly: true });
  } catch {
    return false; // a mangled signature value cannot even be decoded
  }
}

function label(cert: x509.X509Certificate, index: number): string {
  const id = spiffeIdsOf(cert)[0];
  const name = id ?? (cert.subject || '(empty subject)');
  return index === 0 ? `the leaf certificate (${name})` : `chain certificate ${index} (${name})`;
}

function validityProblem(cert: x509.X509Certificate, what: string, now: Date): string | undefined {
  if (now.getTime() > cert.notAfter.getTime()) {
    return `${what} expired at ${cert.notAfter.toISOString()} (now is ${now.toISOString()})`;
  }
  if (now.getTime() < cert.notBefore.getTime()) {
    return `${what} is not valid until ${cert.notBefore.toISOString()} (now is ${now.toISOString()}); check the clocks`;
  }
  return undefined;
}

function issuingProblem(cert: x509.X509Certificate, what: string, intermediatesBelow: number): string | undefined {
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  if (!basic?.ca) return `${what} signs other certificates but is not a CA (basicConstraints CA is not true)`;
  const usage = cert.getExtension(x509.KeyUsagesExtension);
  if (usage && !(usage.usages & x509.KeyUsageFlags.keyCertSign)) return `${what} may not sign certificates (keyUsage lacks keyCertSign)`;
  if (basic.pathLength !== undefined && intermediatesBelow > basic.pathLength) {
    return `${what} allows ${basic.pathLength} intermediate CA(s) below it but the chain has ${intermediatesBelow}`;
  }
  return undefined;
}

/**
 * Checks that `chainPem` (leaf first, then intermediates, optionally the root) is signed link by
 * link up to one of `rootsPem`, that every certificate is valid at `now`, that the leaf is not a
 * CA and that it carries exactly one SPIFFE ID. Never throws: a bad chain is `{ ok: false, reason }`.
 */
export async function verifyChain(params: { chainPem: readonly string[]; rootsPem: readonly string[]; now: Date }): Promise<ChainVerdict> {
  const { now } = params;
  let chain: x509.X509Certificate[];
  let roots: x509.X509Certificate[];
  try {
    chain = certificateList(params.chainPem).map((pem, i) => parseCertificate(pem, `chain certificate ${i}`));
    roots = certificateList(params.rootsPem).map((pem, i) => parseCertificate(pem, `trusted root ${i}`));
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  const leaf = chain[0];
  if (!leaf) return { ok: false, reason: 'the chain is empty; present the leaf certificate first' };
  if (roots.length === 0) return { ok: false, reason: 'no trusted roots were given, so nothing can be trusted' };

  // Walk up the presented chain; stop at a certificate that is itself a trusted root.
  const isTrustedRoot = (cert: x509.X509Certificate) => roots.some((root) => Buffer.from(root.rawData).equals(Buffer.from(cert.rawData)));
  const path: x509.X509Certificate[] = [leaf];
  let top = leaf;
  for (let i = 1; i < chain.length && !isTrustedRoot(top); i++) {
    const issuer = chain[i] as x509.X509Certificate;
    if (!(await signedBy(top, issuer))) {
      return { ok: false, reason: `${label(top, i - 1)} is not signed by ${label(issuer, i)}: issuer name or signature does not match (tampered, or the chain is out of order)` };
    }
    path.push(issuer);
    top = issuer;
  }
  if (!isTrustedRoot(top)) {
    const anchors = await Promise.all(roots.map(async (root) => ((await signedBy(top, root)) ? root : undefined)));
    const anchor = anchors.find((root) => root !== undefined);
    if (!anchor) {
      return { ok: false, reason: `${label(top, path.length - 1)}, issued by '${top.issuer || '(empty)'}', is not signed by any of the ${roots.length} trusted root(s): it comes from another CA, or its signature was tampered with` };
    }
    path.push(anchor);
  }

  for (const [i, cert] of path.entries()) {
    const what = i === path.length - 1 && i > 0 ? `the trusted root (${cert.subject})` : label(cert, i);
    const problem = validityProblem(cert, what, now) ?? (i > 0 ? issuingProblem(cert, what, Math.max(0, i - 1)) : undefined);
    if (problem) return { ok: false, reason: problem };
  }
  if (isCaCert(leaf)) return { ok: false, reason: `${label(leaf, 0)} is a CA certificate; a workload must present a leaf (basicConstraints CA false)` };

  const ids = spiffeIdsOf(leaf);
  if (ids.length !== 1) {
    return { ok: false, reason: `${label(leaf, 0)} carries ${ids.length} SPIFFE IDs; a workload certificate must carry exactly one` };
  }
  return { ok: true, spiffeId: ids[0] as string };
}
