import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate as NodeX509 } from 'node:crypto';
import { x509 } from './x509-provider.js';
import { createRootCa, loadCa } from './ca.js';
import { generateWorkloadKey } from './workload.js';
import { SigningRefused } from './errors.js';
import { certificateInfo } from './inspect.js';
import { splitPemCertificates } from './pem.js';
import { dnsNameProblem, serviceDnsNames } from './server-cert.js';
import { issueServingMaterial } from './serving-material.js';
import { HOUR, NOW, csrWithKey, newCa, newIntermediate } from './test-helpers.js';

const WEBHOOK_NAMES = ['skiff-control-plane.skiff-system.svc', 'skiff-control-plane.skiff-system.svc.cluster.local'];

function refusedWith(pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof SigningRefused, `expected SigningRefused, got ${String(err)}`);
    assert.match(err.reason, pattern);
    return true;
  };
}

describe('serviceDnsNames and dnsNameProblem', () => {
  test('a Service answers to <svc>.<ns>.svc and its cluster FQDN', () => {
    assert.deepEqual(serviceDnsNames({ service: 'skiff-control-plane', namespace: 'skiff-system' }), WEBHOOK_NAMES);
    assert.deepEqual(serviceDnsNames({ service: 'inj', namespace: 'mesh', clusterDomain: 'corp.internal' }), ['inj.mesh.svc', 'inj.mesh.svc.corp.internal']);
  });

  test('accepts RFC 1123 names and says what is wrong with others', () => {
    for (const name of [...WEBHOOK_NAMES, 'a', 'x-1.y2']) assert.equal(dnsNameProblem(name), undefined, name);
    assert.match(dnsNameProblem('') ?? '', /empty/);
    assert.match(dnsNameProblem('Skiff.svc') ?? '', /label 'Skiff'/);
    assert.match(dnsNameProblem('*.svc') ?? '', /label '\*'/);
    assert.match(dnsNameProblem('a..b') ?? '', /label ''/);
    assert.match(dnsNameProblem('-a.svc') ?? '', /label '-a'/);
    assert.match(dnsNameProblem(`${'a'.repeat(64)}.svc`) ?? '', /1-63/);
    assert.match(dnsNameProblem(Array(128).fill('ab').join('.')) ?? '', /longer than 253/);
  });
});

describe('signServer', () => {
  test('a server-only leaf with the DNS SANs, chained to the CA', async () => {
    const ca = await newCa();
    const keys = await generateWorkloadKey();
    const signed = await ca.signServer({ publicKeyPem: keys.publicKeyPem, dnsNames: WEBHOOK_NAMES, ttlMs: 24 * HOUR, now: NOW });
    const leaf = new x509.X509Certificate(signed.certPem);
    assert.deepEqual(signed.chainPem, [signed.certPem, ca.certPem]);
    assert.deepEqual(signed.dnsNames, WEBHOOK_NAMES);
    assert.equal(leaf.subject, `CN=${WEBHOOK_NAMES[0]}`);
    assert.equal(leaf.issuer, new x509.X509Certificate(ca.certPem).subject);
    assert.equal(await leaf.verify({ publicKey: new x509.X509Certificate(ca.certPem).publicKey, date: NOW }), true);
    assert.deepEqual(leaf.getExtension(x509.SubjectAlternativeNameExtension)?.names.toJSON(), WEBHOOK_NAMES.map((value) => ({ type: 'dns', value })));
    assert.deepEqual([...(leaf.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])], [x509.ExtendedKeyUsage.serverAuth], 'not usable as a mesh client');
    assert.equal(leaf.getExtension(x509.BasicConstraintsExtension)?.ca, false);
    assert.equal(leaf.notBefore.getTime(), NOW.getTime() - 60_000);
    assert.equal(signed.notAfter.getTime(), NOW.getTime() + 24 * HOUR);
    assert.equal(certificateInfo(signed.certPem).spiffeId, undefined, 'no SPIFFE identity');
    // Node's own reading agrees on the names a client would check.
    assert.equal(new NodeX509(signed.certPem).checkHost(WEBHOOK_NAMES[1] as string), WEBHOOK_NAMES[1]);
    assert.equal(new NodeX509(signed.certPem).checkHost('skiff-control-plane'), undefined);
  });

  test('refuses bad names, no names, weak or unreadable keys, and follows the CA validity rules', async () => {
    const ca = await newCa(NOW, 1);
    const { publicKeyPem } = await generateWorkloadKey();
    const sign = (over: object) => ca.signServer({ publicKeyPem, dnsNames: WEBHOOK_NAMES, ttlMs: HOUR, now: NOW, ...over });
    await assert.rejects(sign({ dnsNames: [] }), refusedWith(/at least one DNS name/));
    await assert.rejects(sign({ dnsNames: ['ok.svc', 'Not_OK'] }), refusedWith(/'Not_OK' is not a usable DNS name/));
    await assert.rejects(sign({ publicKeyPem: 'nope' }), refusedWith(/publicKeyPem is not a readable PEM public key/));
    const rsa1024 = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
    const weakPem = new x509.Pkcs10CertificateRequest(await csrWithKey('spiffe://cluster.local/ns/a/sa/b', rsa1024)).publicKey.toString('pem');
    await assert.rejects(sign({ publicKeyPem: weakPem }), refusedWith(/publicKeyPem carries a 1024-bit rsa key/));
    await assert.rejects(sign({ ttlMs: 0 }), refusedWith(/ttlMs must be a positive/));
    await assert.rejects(sign({ now: new Date(NOW.getTime() + 2 * 24 * HOUR) }), refusedWith(/CA certificate expired/));
    assert.equal((await sign({ ttlMs: 30 * 24 * HOUR })).notAfter.getTime(), ca.notAfter.getTime(), 'capped at the CA notAfter');
  });
});

describe('issueServingMaterial', () => {
  test('key, certificate and caBundle that belong together', async () => {
    const ca = await newCa();
    const m = await issueServingMaterial(ca, { dnsNames: WEBHOOK_NAMES, ttlMs: HOUR, now: NOW });
    assert.equal(m.caBundlePem, ca.rootCertPem);
    assert.deepEqual(m.dnsNames, WEBHOOK_NAMES);
    const [leaf, ...rest] = splitPemCertificates(m.certPem);
    assert.deepEqual(rest, [], 'the root is not sent by the server');
    assert.equal(new NodeX509(leaf as string).checkPrivateKey(createPrivateKey(m.keyPem)), true);
  });

  test('with an intermediate CA the server sends the intermediate and clients trust the root', async () => {
    const root = await createRootCa({ trustDomain: 'cluster.local', now: NOW });
    const intermediate = await newIntermediate(root);
    const m = await issueServingMaterial(loadCa({ ...intermediate, parentsPem: [root.certPem] }), { dnsNames: WEBHOOK_NAMES, ttlMs: HOUR, now: NOW });
    assert.equal(splitPemCertificates(m.certPem)[1], intermediate.certPem);
    assert.equal(m.caBundlePem, root.certPem);
  });
});
