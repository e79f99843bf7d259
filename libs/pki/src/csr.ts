// The workload side of issuance: make a key pair that never leaves the process, and a CSR
// that asks for one SPIFFE ID (as a URI SAN in the extensionRequest attribute, like Istio's agent).
import { crypto, EC_P256, SIGNING_ALGORITHM, x509, type CryptoKeyPair } from './x509-provider.js';
import { spiffeIdProblem } from './spiffe.js';
import { withNewline } from './pem.js';

export interface KeyPair {
  /** SPKI PEM ("PUBLIC KEY"). */
  publicKeyPem: string;
  /** PKCS#8 PEM ("PRIVATE KEY"), accepted by node's `tls.createSecureContext({ key })`. */
  privateKeyPem: string;
  /** The same keys as WebCrypto objects, for signing CSRs without re-importing. */
  cryptoKeyPair: CryptoKeyPair;
}

/** A fresh ECDSA P-256 key pair. */
export async function generateKeyPair(): Promise<KeyPair> {
  const cryptoKeyPair = (await crypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const [spki, pkcs8] = await Promise.all([
    crypto.subtle.exportKey('spki', cryptoKeyPair.publicKey),
    crypto.subtle.exportKey('pkcs8', cryptoKeyPair.privateKey),
  ]);
  return {
    publicKeyPem: withNewline(x509.PemConverter.encode(spki, 'PUBLIC KEY')),
    privateKeyPem: withNewline(x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')),
    cryptoKeyPair,
  };
}

/**
 * A PEM CSR asking for `spiffeId`, signed with `keys`. The subject is left empty, as Istio's
 * agent does: the identity lives in the URI SAN alone.
 */
export async function createCsr(params: { spiffeId: string; keys: KeyPair | CryptoKeyPair }): Promise<string> {
  const problem = spiffeIdProblem(params.spiffeId);
  if (problem) throw new Error(`cannot create a CSR for '${params.spiffeId}': ${problem}`);
  const keys = 'cryptoKeyPair' in params.keys ? params.keys.cryptoKeyPair : params.keys;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: params.spiffeId }], true)],
  });
  return withNewline(csr.toString('pem'));
}
