// The CA's reading of a CSR: is it intact, is its key strong enough, and which single SPIFFE ID
// does it ask for? Every "no" is a SigningRefused whose reason tells the caller what to fix.
import { createPublicKey } from 'node:crypto';
import { x509 } from './x509-provider.js';
import { SigningRefused } from './errors.js';
import { spiffeIdProblem } from './spiffe.js';

export interface ReviewedCsr {
  /** The subject public key to certify. */
  publicKey: x509.PublicKey;
  /** The one SPIFFE ID the CSR asks for. */
  spiffeId: string;
}

const SAN_OID = '2.5.29.17';
const ACCEPTED_CURVES = new Set(['P-256', 'P-384']);
const MIN_RSA_BITS = 2048;

function parseCsr(csrPem: string): x509.Pkcs10CertificateRequest {
  try {
    return new x509.Pkcs10CertificateRequest(csrPem);
  } catch (err) {
    throw new SigningRefused(`the CSR is not a readable PEM certificate request (${(err as Error).message}); send the output of createWorkloadCsr`);
  }
}

/** Refuses keys weaker than P-256 / RSA-2048; `holder` names where the key came from in the reason. */
export function checkKeyStrength(publicKey: x509.PublicKey, holder = 'the CSR'): void {
  // The parsed algorithm names the curve cheaply; only RSA needs a full key parse for its size.
  const algorithm = publicKey.algorithm as { name?: string; namedCurve?: string };
  if (algorithm.name === 'ECDSA' && ACCEPTED_CURVES.has(algorithm.namedCurve ?? '')) return;
  const key = createPublicKey({ key: Buffer.from(publicKey.rawData), format: 'der', type: 'spki' });
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= MIN_RSA_BITS) return;
  const what = key.asymmetricKeyType === 'ec' ? `an EC key on ${details.namedCurve}` : `a ${details.modulusLength ?? '?'}-bit ${key.asymmetricKeyType} key`;
  throw new SigningRefused(`${holder} carries ${what}; use ECDSA P-256 (generateWorkloadKey), P-384, or RSA of at least ${MIN_RSA_BITS} bits`);
}

function requestedUris(csr: x509.Pkcs10CertificateRequest): string[] {
  const sans = csr.extensions.filter((ext) => ext.type === SAN_OID);
  if (sans.length > 1) throw new SigningRefused(`the CSR has ${sans.length} subjectAltName extensions; put every name in one`);
  const san = sans[0];
  if (!san) return [];
  try {
    const names = new x509.SubjectAlternativeNameExtension(san.rawData).names.items;
    return names.filter((name) => name.type === 'url').map((name) => name.value);
  } catch (err) {
    throw new SigningRefused(`the CSR's subjectAltName cannot be read (${(err as Error).message}); it should hold one URI, the SPIFFE ID`);
  }
}

/** Verifies the CSR's self-signature and key, and returns the single SPIFFE ID it asks for. */
export async function reviewCsr(csrPem: string): Promise<ReviewedCsr> {
  const csr = parseCsr(csrPem);
  let signatureOk = false;
  try {
    signatureOk = await csr.verify();
  } catch {
    signatureOk = false;
  }
  if (!signatureOk) {
    throw new SigningRefused('the CSR signature does not verify against its own public key (corrupted or tampered); create a new CSR');
  }
  checkKeyStrength(csr.publicKey);

  const uris = requestedUris(csr);
  if (uris.length === 0) {
    throw new SigningRefused('the CSR has no URI subjectAltName; it must ask for exactly one SPIFFE ID (spiffe://<trust-domain>/ns/<ns>/sa/<sa>)');
  }
  if (uris.length > 1) {
    throw new SigningRefused(`the CSR asks for ${uris.length} URIs (${uris.join(', ')}); a workload certificate carries exactly one SPIFFE ID`);
  }
  const spiffeId = uris[0] as string;
  const problem = spiffeIdProblem(spiffeId);
  if (problem) throw new SigningRefused(`the CSR's URI '${spiffeId}' is not a SPIFFE ID: ${problem}`);
  return { publicKey: csr.publicKey, spiffeId };
}
