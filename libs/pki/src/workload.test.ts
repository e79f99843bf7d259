// The sidecar's hand-encoded CSR, checked by three independent readers: @peculiar/x509's parser,
// the CA that signs it, and openssl (Debian's, where the machine has it).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { certificateInfo } from './inspect.js';
import { HOUR, newCa, NOW, REVIEWS } from './test-helpers.js';
import { createWorkloadCsr, generateWorkloadKey, isSelfIssued, leafInfo } from './workload.js';
import { x509 } from './x509-provider.js';

describe('generateWorkloadKey', () => {
  test('makes an ECDSA P-256 key in PKCS#8 PEM that node TLS accepts, a new one each time', async () => {
    const [keys, other] = await Promise.all([generateWorkloadKey(), generateWorkloadKey()]);
    assert.match(keys.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
    assert.match(keys.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n/);
    assert.equal(createPrivateKey(keys.privateKeyPem).asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.doesNotThrow(() => createSecureContext({ key: keys.privateKeyPem }));
    assert.notEqual(keys.privateKeyPem, other.privateKeyPem);
  });
});

describe('createWorkloadCsr', () => {
  // Short and long IDs: a SAN over 127 bytes needs DER's long length form, a request over 255 bytes its two-byte form.
  const ids = [REVIEWS, `spiffe://cluster.local/ns/default/sa/${'a'.repeat(200)}`];

  for (const spiffeId of ids) {
    test(`@peculiar/x509 reads it: empty subject, the key, one critical URI SAN, a valid signature (${spiffeId.length} characters)`, async () => {
      const keys = await generateWorkloadKey();
      const csr = new x509.Pkcs10CertificateRequest(createWorkloadCsr(spiffeId, keys.privateKeyPem));
      assert.equal(await csr.verify(), true);
      assert.equal(csr.subject, '');
      assert.equal(Buffer.from(csr.publicKey.rawData).toString('base64'), keys.publicKeyPem.replace(/-----[^-]+-----|\s/g, ''));
      assert.equal(csr.extensions.length, 1);
      const san = csr.extensions[0] as x509.Extension;
      assert.equal(san.type, '2.5.29.17');
      assert.equal(san.critical, true, 'critical, as the subject is empty (RFC 5280 4.2.1.6)');
      assert.deepEqual(new x509.SubjectAlternativeNameExtension(san.rawData).names.toJSON(), [{ type: 'url', value: spiffeId }]);
    });
  }

  test('the CA signs it, and leafInfo reads the certificate as the x509 library does', async () => {
    const ca = await newCa();
    const keys = await generateWorkloadKey();
    const signed = await ca.sign({ csrPem: createWorkloadCsr(REVIEWS, keys.privateKeyPem), allowedSpiffeIds: [REVIEWS], ttlMs: 24 * HOUR, now: NOW });
    const ours = leafInfo(signed.certPem);
    const theirs = certificateInfo(signed.certPem);
    assert.equal(ours.spiffeId, REVIEWS);
    assert.deepEqual([ours.notBefore, ours.notAfter], [theirs.notBefore, theirs.notAfter]);
    assert.equal(ours.serialNumber.replace(/^0+/, ''), theirs.serialNumber.toLowerCase().replace(/^0+/, ''));
    assert.equal(isSelfIssued(signed.certPem), false);
    assert.equal(isSelfIssued(signed.chainPem.at(-1) as string), true, 'the root names itself');
  });

  test('openssl verifies its signature and reads the same request', (t) => {
    if (spawnSync('openssl', ['version']).status !== 0) return t.skip('no openssl on this machine');
    const keys = generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const out = spawnSync('openssl', ['req', '-verify', '-noout', '-text'], { input: createWorkloadCsr(REVIEWS, keys.privateKey), encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    assert.match(`${out.stdout}${out.stderr}`, /verify OK/i);
    assert.match(out.stdout, /X509v3 Subject Alternative Name: critical\s+URI:spiffe:\/\/cluster\.local\/ns\/default\/sa\/reviews/);
    assert.match(out.stdout, /Signature Algorithm: ecdsa-with-SHA256/);
  });

  test('refuses a malformed SPIFFE ID, and a key that is not EC', async () => {
    const keys = await generateWorkloadKey();
    assert.throws(() => createWorkloadCsr('spiffe://Bad/ns/a/sa/b', keys.privateKeyPem), /cannot create a CSR for 'spiffe:\/\/Bad\/ns\/a\/sa\/b'/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    assert.throws(() => createWorkloadCsr(REVIEWS, rsa.privateKey), /the key must be an EC key, not rsa/);
  });
});

describe('leafInfo', () => {
  test('names what it cannot read', () => {
    assert.throws(() => leafInfo('not a certificate'), /leafInfo: the input is not a readable PEM certificate/);
  });
});
