// Fixtures for the Gateway TLS test: a throwaway CA and a server certificate with DNS names
// (@skiff/pki signs SPIFFE identities only), written as a Kubernetes-TLS-secret-shaped credential
// directory, and the Gateway + VirtualService that terminate HTTPS for bookinfo.example.com.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

x509.cryptoProvider.set(webcrypto);
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;
const serial = () => Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1');

/** Writes `<dir>/<name>/tls.crt` and `tls.key` for `dnsNames`, signed by a new CA; returns the CA PEM. */
export async function writeServerCredential(dir: string, name: string, dnsNames: string[]): Promise<string> {
  const caKeys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=gateway test CA',
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + DAY),
    keys: caKeys,
    signingAlgorithm: ALG,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${dnsNames[0] ?? name}`,
    issuer: ca.subject,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + DAY),
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(dnsNames.map((value) => ({ type: 'dns' as const, value }))),
    ],
  });
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, 'tls.crt'), leaf.toString('pem'));
  writeFileSync(join(dir, name, 'tls.key'), x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY'));
  return ca.toString('pem');
}

/** Istio's secure-ingress task, for Skiff: HTTPS on 443 with a credential, HTTP on 80 redirects. */
export const tlsGatewayYaml = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: bookinfo-tls
spec:
  selector:
    istio: ingressgateway
  servers:
    - port:
        number: 443
        name: https
        protocol: HTTPS
      hosts:
        - bookinfo.example.com
      tls:
        mode: SIMPLE
        credentialName: bookinfo-credential
    - port:
        number: 80
        name: http-redirect
        protocol: HTTP
      hosts:
        - bookinfo.example.com
      tls:
        httpsRedirect: true
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: bookinfo-tls
spec:
  hosts:
    - bookinfo.example.com
  gateways:
    - bookinfo-tls
  http:
    - route:
        - destination:
            host: frontend
            port:
              number: 9080
`;
