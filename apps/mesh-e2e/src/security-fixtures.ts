// Clients for the security tests: a plaintext client and mTLS clients holding certificates from
// the mesh's own CA (valid or expired) or from a stranger's CA, all dialling a sidecar's inbound
// port directly, as an attacker on the network would.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { createRootCa, createWorkloadCsr, generateWorkloadKey, loadCa, spiffeId, tlsMaterial, type CertificateAuthority } from '@skiff/pki';

export interface DirectResult {
  status?: number;
  text?: string;
  error?: string;
}

export async function directCall(url: string, tls?: { key: string; cert: string; ca: string }, expectedPeer?: string): Promise<DirectResult> {
  const dispatcher = new Agent({
    connect: tls
      ? {
          ...tls,
          checkServerIdentity: (_h: string, peer: { subjectaltname?: string }) =>
            expectedPeer && !(peer.subjectaltname ?? '').includes(expectedPeer) ? new Error(`server is ${peer.subjectaltname}`) : undefined,
        }
      : {},
  });
  try {
    const res = await request(tls ? url.replace('http://', 'https://') : url, { dispatcher, headers: { host: 'reviews:9080' }, headersTimeout: 5000 });
    return { status: res.statusCode, text: await res.body.text() };
  } catch (error) {
    return { error: (error as { code?: string }).code ?? String(error) };
  } finally {
    await dispatcher.close().catch(() => undefined);
  }
}

export function meshCa(caDir: string): CertificateAuthority {
  return loadCa({ certPem: readFileSync(join(caDir, 'root-cert.pem'), 'utf8'), keyPem: readFileSync(join(caDir, 'root-key.pem'), 'utf8') });
}

/** A client certificate for `sa` from the given CA, valid from `now` for `ttlMs`. */
export async function clientCert(ca: CertificateAuthority, sa: string, now = new Date(), ttlMs = 3_600_000) {
  const keys = await generateWorkloadKey();
  const id = spiffeId('cluster.local', 'default', sa);
  const signed = await ca.sign({ csrPem: createWorkloadCsr(id, keys.privateKeyPem), allowedSpiffeIds: [id], ttlMs, now });
  return tlsMaterial({ privateKeyPem: keys.privateKeyPem, chainPem: signed.chainPem, rootsPem: [ca.rootCertPem] });
}

export async function strangerCa(): Promise<CertificateAuthority> {
  return loadCa(await createRootCa({ trustDomain: 'cluster.local', now: new Date() }));
}

export { peerAuthentication } from '@skiff/scenarios';

export const ratingsPolicy = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: ratings-viewer
spec:
  selector:
    matchLabels:
      app: ratings
  action: ALLOW
  rules:
    - from:
        - source:
            principals: ["cluster.local/ns/default/sa/reviews"]
      to:
        - operation:
            methods: ["GET"]
            paths: ["/ratings/*"]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: ratings-deny-zero
spec:
  selector:
    matchLabels:
      app: ratings
  action: DENY
  rules:
    - to:
        - operation:
            paths: ["/ratings/0"]
`;
