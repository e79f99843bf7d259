// Small PEM helpers: bundles of certificates travel as one string in files and as arrays in code.

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every CERTIFICATE block in a PEM string (a bundle or a single certificate), in order. */
export function splitPemCertificates(pem: string): string[] {
  return (pem.match(CERT_BLOCK) ?? []).map((block) => `${block}\n`);
}

/** Accepts one PEM string (possibly a bundle) or a list of them, returns one block per certificate. */
export function certificateList(pems: string | readonly string[]): string[] {
  const list = typeof pems === 'string' ? [pems] : pems;
  return list.flatMap(splitPemCertificates);
}

/** Joins certificates into one bundle string, each block ending in a newline. */
export function joinPem(pems: readonly string[]): string {
  return pems.map(withNewline).join('');
}

/** PEM text always ends in a newline here, so blocks concatenate into valid bundles and files. */
export function withNewline(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}
