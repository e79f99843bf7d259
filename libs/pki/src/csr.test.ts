import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { x509 } from './x509-provider.js';
import { createCsr, generateKeyPair } from './csr.js';
import { REVIEWS } from './test-helpers.js';

describe('generateKeyPair', () => {
  test('makes an ECDSA P-256 key in PKCS#8 PEM that node TLS accepts', async () => {
    const keys = await generateKeyPair();
    assert.match(keys.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.match(keys.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n/);
    const key = createPrivateKey(keys.privateKeyPem);
    assert.equal(key.asymmetricKeyType, 'ec');
    assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.doesNotThrow(() => createSecureContext({ key: keys.privateKeyPem }));
  });

  test('makes a different key each time', async () => {
    const [a, b] = await Promise.all([generateKeyPair(), generateKeyPair()]);
    assert.notEqual(a.privateKeyPem, b.privateKeyPem);
  });
});

describe('createCsr', () => {
  test('asks for the SPIFFE ID as the only URI SAN, signed by the key', async () => {
    const keys = await generateKeyPair();
    const pem = await createCsr({ spiffeId: REVIEWS, keys });
    const csr = new x509.Pkcs10CertificateRequest(pem);
    assert.equal(await csr.verify(), true);
    assert.equal(csr.subject, '');
    const san = csr.extensions.find((e) => e.type === '2.5.29.17');
    assert.ok(san, 'the CSR carries a subjectAltName extension request');
    const names = new x509.SubjectAlternativeNameExtension(san.rawData).names.toJSON();
    assert.deepEqual(names, [{ type: 'url', value: REVIEWS }]);
    assert.equal(Buffer.from(csr.publicKey.rawData).toString('base64'), keys.publicKeyPem.replace(/-----[^-]+-----|\s/g, ''));
  });

  test('refuses a malformed SPIFFE ID before signing anything', async () => {
    const keys = await generateKeyPair();
    await assert.rejects(createCsr({ spiffeId: 'spiffe://Bad/ns/a/sa/b', keys }), /cannot create a CSR for 'spiffe:\/\/Bad\/ns\/a\/sa\/b'/);
  });
});
