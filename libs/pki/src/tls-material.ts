// What node's `tls.createSecureContext` / `tls.createServer` / `tls.connect` need from an issued
// certificate: the private key, the leaf plus intermediates (never the root, peers have it) and
// the trusted roots.
import { certificateList, joinPem } from './pem.js';
import { isSelfIssued } from './workload.js';

export interface TlsMaterial {
  /** PKCS#8 PEM private key. */
  key: string;
  /** Leaf then intermediates, concatenated. */
  cert: string;
  /** Trusted roots, concatenated. */
  ca: string;
}

/**
 * Builds `{ key, cert, ca }` from a key and a chain as `CertificateAuthority.sign` returns it
 * (leaf first). Roots in the chain are left out of `cert`: they are the trust anchors in `ca`.
 */
export function tlsMaterial(params: { privateKeyPem: string; chainPem: string | readonly string[]; rootsPem: string | readonly string[] }): TlsMaterial {
  const chain = certificateList(params.chainPem);
  const roots = certificateList(params.rootsPem);
  const [leaf, ...rest] = chain;
  if (!leaf) throw new Error('tlsMaterial: chainPem holds no certificate; pass the chain returned by sign (leaf first)');
  if (roots.length === 0) throw new Error('tlsMaterial: rootsPem holds no certificate; pass the CA root(s) to trust');
  const rootSet = new Set(roots.map((pem) => pem.trim()));
  const intermediates = rest.filter((pem) => !rootSet.has(pem.trim()) && !isSelfIssued(pem));
  return { key: params.privateKeyPem, cert: joinPem([leaf, ...intermediates]), ca: joinPem(roots) };
}
