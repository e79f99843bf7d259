import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { x509 } from './x509-provider.js';
import { createRootCa, loadCa, CLOCK_SKEW_MS } from './ca.js';
import { createWorkloadCsr, generateWorkloadKey } from './workload.js';
import { certificateInfo, verifyChain } from './inspect.js';
import { SigningRefused } from './errors.js';
import { HOUR, NOW, RATINGS, REVIEWS, csrWithKey, csrWithNames, issue, newCa, newIntermediate } from './test-helpers.js';

function refusedWith(pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof SigningRefused, `expected SigningRefused, got ${String(err)}`);
    assert.match(err.reason, pattern);
    return true;
  };
}

describe('createRootCa', () => {
  test('is a self-signed P-256 CA named after the trust domain', async () => {
    const { certPem, keyPem } = await createRootCa({ trustDomain: 'cluster.local', commonName: 'Skiff root', now: NOW });
    const cert = new x509.X509Certificate(certPem);
    assert.equal(cert.subject, 'O=cluster.local, CN=Skiff root');
    assert.equal(cert.issuer, cert.subject);
    assert.equal(await cert.verify({ signatureOnly: true }), true);
    const basic = cert.getExtension(x509.BasicConstraintsExtension);
    assert.equal(basic?.ca, true);
    assert.equal(basic?.critical, true);
    const usage = cert.getExtension(x509.KeyUsagesExtension);
    assert.equal(usage?.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    assert.equal(usage?.critical, true);
    assert.ok(cert.getExtension(x509.SubjectKeyIdentifierExtension));
    assert.equal(cert.notAfter.getTime(), NOW.getTime() + 3650 * 24 * HOUR);
    assert.equal(cert.notBefore.getTime(), NOW.getTime() - CLOCK_SKEW_MS);
    assert.equal(createPrivateKey(keyPem).asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal((cert.publicKey.algorithm as { namedCurve?: string }).namedCurve, 'P-256');
  });

  test('subject is just O=<trust domain> without a common name', async () => {
    const { certPem } = await createRootCa({ trustDomain: 'example.org', now: NOW, validityDays: 30 });
    const info = certificateInfo(certPem);
    assert.equal(info.subject, 'O=example.org');
    assert.equal(info.isCa, true);
    assert.equal(info.notAfter.getTime(), NOW.getTime() + 30 * 24 * HOUR);
  });

  test('rejects a bad trust domain', async () => {
    await assert.rejects(createRootCa({ trustDomain: 'Cluster.Local', now: NOW }), /trust domain 'Cluster.Local' is not usable/);
  });
});

describe('loadCa', () => {
  test('refuses a key that belongs to another certificate', async () => {
    const a = await createRootCa({ trustDomain: 'cluster.local', now: NOW });
    const b = await createRootCa({ trustDomain: 'cluster.local', now: NOW });
    assert.throws(() => loadCa({ certPem: a.certPem, keyPem: b.keyPem }), /private key does not belong to certificate 'O=cluster.local'/);
  });

  test('refuses a workload certificate posing as a CA', async () => {
    const ca = await newCa();
    const leaf = await issue(ca, REVIEWS);
    assert.throws(() => loadCa({ certPem: leaf.certPem, keyPem: leaf.keys.privateKeyPem }), /is not a CA/);
  });

  test('refuses garbage with a readable message', () => {
    assert.throws(() => loadCa({ certPem: 'not a pem', keyPem: 'x' }), /loadCa: certPem is not a readable PEM certificate/);
  });

  test('accepts a SEC1 ("EC PRIVATE KEY") key as openssl writes it', async () => {
    const root = await createRootCa({ trustDomain: 'cluster.local', now: NOW });
    const sec1 = createPrivateKey(root.keyPem).export({ type: 'sec1', format: 'pem' }).toString();
    const ca = loadCa({ certPem: root.certPem, keyPem: sec1 });
    const leaf = await issue(ca, REVIEWS);
    assert.deepEqual(await verifyChain({ chainPem: leaf.chainPem, rootsPem: [ca.rootCertPem], now: NOW }), { ok: true, spiffeId: REVIEWS });
  });
});

describe('sign', () => {
  test('round trip: root -> CSR -> sign -> verify chain -> SPIFFE ID', async () => {
    const ca = await newCa();
    const keys = await generateWorkloadKey();
    const csrPem = createWorkloadCsr(REVIEWS, keys.privateKeyPem);
    const signed = await ca.sign({ csrPem, allowedSpiffeIds: [REVIEWS], ttlMs: 24 * HOUR, now: NOW });

    assert.equal(signed.spiffeId, REVIEWS);
    assert.equal(signed.chainPem.length, 2);
    assert.equal(signed.chainPem[0], signed.certPem);
    assert.equal(signed.chainPem[1], ca.certPem);
    assert.equal(signed.notAfter.getTime(), NOW.getTime() + 24 * HOUR);
    assert.deepEqual(await verifyChain({ chainPem: signed.chainPem, rootsPem: [ca.rootCertPem], now: NOW }), { ok: true, spiffeId: REVIEWS });
    // The chain also verifies without the root in it (peers may send only the leaf).
    assert.deepEqual(await verifyChain({ chainPem: [signed.certPem], rootsPem: [ca.rootCertPem], now: NOW }), { ok: true, spiffeId: REVIEWS });
  });

  test('the leaf has the Istio workload profile', async () => {
    const ca = await newCa();
    const keys = await generateWorkloadKey();
    const signed = await ca.sign({ csrPem: createWorkloadCsr(REVIEWS, keys.privateKeyPem), allowedSpiffeIds: [REVIEWS], ttlMs: HOUR, now: NOW });
    const leaf = new x509.X509Certificate(signed.certPem);
    const caCert = new x509.X509Certificate(ca.certPem);

    assert.equal(leaf.subject, '');
    assert.equal(leaf.issuer, caCert.subject);
    assert.equal(leaf.notBefore.getTime(), NOW.getTime() - 60_000);
    assert.equal(leaf.serialNumber.replace(/^0+/, '').length > 24, true, `serial ${leaf.serialNumber} looks random and ~128-bit`);
    const signatureAlgorithm = leaf.signatureAlgorithm as unknown as { name: string; hash: { name: string } };
    assert.deepEqual([signatureAlgorithm.name, signatureAlgorithm.hash.name], ['ECDSA', 'SHA-256']);
    assert.equal(Buffer.from(leaf.publicKey.rawData).toString('base64'), keys.publicKeyPem.replace(/-----[^-]+-----|\s/g, ''));

    const san = leaf.getExtension(x509.SubjectAlternativeNameExtension);
    assert.deepEqual(san?.names.toJSON(), [{ type: 'url', value: REVIEWS }]);
    assert.equal(san?.critical, true, 'SAN must be critical when the subject is empty');
    assert.equal(leaf.getExtension(x509.KeyUsagesExtension)?.usages, x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment);
    assert.deepEqual([...(leaf.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])], [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]);
    assert.equal(leaf.getExtension(x509.BasicConstraintsExtension)?.ca, false);
    const aki = leaf.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
    assert.ok(aki);
    assert.equal(aki, caCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId);
    assert.equal(leaf.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId, Buffer.from(await leaf.publicKey.getKeyIdentifier()).toString('hex'));
  });

  test('serials differ between certificates', async () => {
    const ca = await newCa();
    const serials = new Set<string>();
    for (let i = 0; i < 20; i++) serials.add(certificateInfo((await issue(ca, REVIEWS)).certPem).serialNumber);
    assert.equal(serials.size, 20);
  });

  test('refuses a CSR for another identity, naming both', async () => {
    const ca = await newCa();
    const csrPem = createWorkloadCsr(RATINGS, (await generateWorkloadKey()).privateKeyPem);
    await assert.rejects(
      ca.sign({ csrPem, allowedSpiffeIds: [REVIEWS], ttlMs: HOUR, now: NOW }),
      refusedWith(/^CSR asks for spiffe:\/\/cluster.local\/ns\/default\/sa\/ratings but the credential entitles spiffe:\/\/cluster.local\/ns\/default\/sa\/reviews$/),
    );
    await assert.rejects(ca.sign({ csrPem, allowedSpiffeIds: [], ttlMs: HOUR, now: NOW }), refusedWith(/entitles no identity/));
  });

  test('accepts any one of several entitled identities', async () => {
    const ca = await newCa();
    const csrPem = createWorkloadCsr(RATINGS, (await generateWorkloadKey()).privateKeyPem);
    const signed = await ca.sign({ csrPem, allowedSpiffeIds: [REVIEWS, RATINGS], ttlMs: HOUR, now: NOW });
    assert.equal(signed.spiffeId, RATINGS);
  });

  test('refuses a CSR with two URIs', async () => {
    const ca = await newCa();
    const csrPem = await csrWithNames([
      { type: 'url', value: REVIEWS },
      { type: 'url', value: RATINGS },
    ]);
    await assert.rejects(ca.sign({ csrPem, allowedSpiffeIds: [REVIEWS, RATINGS], ttlMs: HOUR, now: NOW }), refusedWith(/asks for 2 URIs .*exactly one SPIFFE ID/));
  });

  test('refuses a CSR with no URI (no SAN at all, or only a DNS name)', async () => {
    const ca = await newCa();
    for (const names of [undefined, [{ type: 'dns' as const, value: 'reviews.default.svc' }]]) {
      const csrPem = await csrWithNames(names);
      await assert.rejects(ca.sign({ csrPem, allowedSpiffeIds: [REVIEWS], ttlMs: HOUR, now: NOW }), refusedWith(/no URI subjectAltName/));
    }
  });

  test('refuses a URI that is not a SPIFFE ID', async () => {
    const ca = await newCa();
    const csrPem = await csrWithNames([{ type: 'url', value: 'https://reviews.default' }]);
    await assert.rejects(ca.sign({ csrPem, allowedSpiffeIds: ['https://reviews.default'], ttlMs: HOUR, now: NOW }), refusedWith(/is not a SPIFFE ID/));
  });

  test('refuses a CSR whose signature does not verify', async () => {
    const ca = await newCa();
    const pem = createWorkloadCsr(REVIEWS, (await generateWorkloadKey()).privateKeyPem);
    const der = Buffer.from(x509.PemConverter.decodeFirst(pem));
    der[der.length - 1] = (der[der.length - 1] as number) ^ 0x01;
    const csrPem = x509.PemConverter.encode(der, 'CERTIFICATE REQUEST');
    await assert.rejects(ca.sign({ csrPem, allowedSpiffeIds: [REVIEWS], ttlMs: HOUR, now: NOW }), refusedWith(/signature does not verify/));
    await assert.rejects(ca.sign({ csrPem: 'hello', allowedSpiffeIds: [REVIEWS], ttlMs: HOUR, now: NOW }), refusedWith(/not a readable PEM certificate request/));
  });

  test('refuses weak keys, accepts P-384 and RSA-2048', async () => {
    const ca = await newCa();
    const sign = (csrPem: string) => ca.sign({ csrPem, allowedSpiffeIds: [REVIEWS], ttlMs: HOUR, now: NOW });
    const rsa = (modulusLength: number) => ({ name: 'RSASSA-PKCS1-v1_5', modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' });
    await assert.rejects(sign(await csrWithKey(REVIEWS, rsa(1024))), refusedWith(/a 1024-bit rsa key; use ECDSA P-256/));
    await assert.rejects(sign(await csrWithKey(REVIEWS, { name: 'ECDSA', namedCurve: 'P-521' })), refusedWith(/an EC key on secp521r1/));
    assert.equal((await sign(await csrWithKey(REVIEWS, { name: 'ECDSA', namedCurve: 'P-384' }))).spiffeId, REVIEWS);
    const rsaLeaf = await sign(await csrWithKey(REVIEWS, rsa(2048)));
    assert.deepEqual(await verifyChain({ chainPem: rsaLeaf.chainPem, rootsPem: [ca.rootCertPem], now: NOW }), { ok: true, spiffeId: REVIEWS });
  });

  test('refuses a non-positive ttl and an expired CA', async () => {
    const ca = await newCa(NOW, 1);
    const csrPem = createWorkloadCsr(REVIEWS, (await generateWorkloadKey()).privateKeyPem);
    await assert.rejects(ca.sign({ csrPem, allowedSpiffeIds: [REVIEWS], ttlMs: 0, now: NOW }), refusedWith(/ttlMs must be a positive/));
    const later = new Date(NOW.getTime() + 2 * 24 * HOUR);
    await assert.rejects(ca.sign({ csrPem, allowedSpiffeIds: [REVIEWS], ttlMs: HOUR, now: later }), refusedWith(/CA certificate expired/));
  });

  test('caps the leaf at the CA notAfter', async () => {
    const ca = await newCa(NOW, 1);
    const tenDays = 10 * 24 * HOUR;
    const signed = await issue(ca, REVIEWS, NOW, tenDays);
    assert.equal(signed.notAfter.getTime(), ca.notAfter.getTime());
    assert.equal(certificateInfo(signed.certPem).notAfter.getTime(), ca.notAfter.getTime());
    // And a ttl inside the CA lifetime is not capped.
    const short = await issue(ca, REVIEWS, NOW, HOUR);
    assert.equal(short.notAfter.getTime(), NOW.getTime() + HOUR);
  });

  test('an intermediate CA appends its parents to the chain', async () => {
    const root = await createRootCa({ trustDomain: 'cluster.local', now: NOW });
    const intermediate = await newIntermediate(root);
    const ca = loadCa({ ...intermediate, parentsPem: [root.certPem] });
    assert.equal(ca.rootCertPem, root.certPem);
    const leaf = await issue(ca, REVIEWS);
    assert.equal(leaf.chainPem.length, 3);
    assert.equal(leaf.chainPem[2], root.certPem);
    assert.deepEqual(await verifyChain({ chainPem: leaf.chainPem, rootsPem: [root.certPem], now: NOW }), { ok: true, spiffeId: REVIEWS });
    // Without the intermediate the leaf cannot be tied to the root.
    const missing = await verifyChain({ chainPem: [leaf.certPem], rootsPem: [root.certPem], now: NOW });
    assert.equal(missing.ok, false);
  });

  test('signing is fast', async (t) => {
    const ca = await newCa();
    const keys = await generateWorkloadKey();
    const csrPem = createWorkloadCsr(REVIEWS, keys.privateKeyPem);
    await ca.sign({ csrPem, allowedSpiffeIds: [REVIEWS], ttlMs: HOUR, now: NOW }); // warm-up: key import
    const rounds = 200;
    const started = performance.now();
    for (let i = 0; i < rounds; i++) await ca.sign({ csrPem, allowedSpiffeIds: [REVIEWS], ttlMs: HOUR, now: NOW });
    const signMs = (performance.now() - started) / rounds;

    const keyStarted = performance.now();
    for (let i = 0; i < rounds; i++) createWorkloadCsr(REVIEWS, (await generateWorkloadKey()).privateKeyPem);
    const keyAndCsrMs = (performance.now() - keyStarted) / rounds;
    t.diagnostic(`sign: ${signMs.toFixed(2)} ms each; generateWorkloadKey + createWorkloadCsr: ${keyAndCsrMs.toFixed(2)} ms each (${rounds} rounds)`);
    // Generous bound (shared CI machines are noisy); unloaded it is well under 10 ms.
    assert.ok(signMs < 50, `sign took ${signMs.toFixed(2)} ms on average`);
  });
});
