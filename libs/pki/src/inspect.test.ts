import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRootCa, loadCa } from './ca.js';
import { certificateInfo, rotationDue, verifyChain, type ChainVerdict } from './inspect.js';
import { HOUR, NOW, RATINGS, REVIEWS, issue, issueRaw, newCa, newIntermediate, tamperContent, tamperSignature } from './test-helpers.js';

function failedWith(verdict: ChainVerdict, pattern: RegExp): void {
  assert.equal(verdict.ok, false, `expected a failed verdict, got ${JSON.stringify(verdict)}`);
  if (!verdict.ok) assert.match(verdict.reason, pattern);
}

describe('certificateInfo', () => {
  test('reports what a leaf says', async () => {
    const ca = await newCa();
    const leaf = await issue(ca, REVIEWS, NOW, 2 * HOUR);
    const info = certificateInfo(leaf.certPem);
    assert.equal(info.spiffeId, REVIEWS);
    assert.equal(info.isCa, false);
    assert.equal(info.subject, '');
    assert.equal(info.issuer, 'O=cluster.local');
    assert.equal(info.notBefore.getTime(), NOW.getTime() - 60_000);
    assert.equal(info.notAfter.getTime(), NOW.getTime() + 2 * HOUR);
    assert.match(info.serialNumber, /^[0-9a-f]+$/);
  });

  test('a root has no SPIFFE ID and is a CA', async () => {
    const ca = await newCa();
    const info = certificateInfo(ca.certPem);
    assert.equal(info.spiffeId, undefined);
    assert.equal(info.isCa, true);
  });

  test('says what it could not read', () => {
    assert.throws(() => certificateInfo('garbage'), /certificateInfo: the input is not a readable PEM certificate/);
  });
});

describe('verifyChain', () => {
  test('an expired leaf fails with a reason naming expiry', async () => {
    const ca = await newCa();
    const leaf = await issue(ca, REVIEWS, NOW, HOUR);
    const justBefore = new Date(leaf.notAfter.getTime());
    const justAfter = new Date(leaf.notAfter.getTime() + 1000);
    assert.equal((await verifyChain({ chainPem: leaf.chainPem, rootsPem: [ca.rootCertPem], now: justBefore })).ok, true);
    failedWith(await verifyChain({ chainPem: leaf.chainPem, rootsPem: [ca.rootCertPem], now: justAfter }), /leaf certificate \(spiffe:\/\/cluster.local\/ns\/default\/sa\/reviews\) expired at/);
  });

  test('a leaf used before its notBefore fails', async () => {
    const ca = await newCa();
    const leaf = await issue(ca, REVIEWS);
    failedWith(await verifyChain({ chainPem: leaf.chainPem, rootsPem: [ca.rootCertPem], now: new Date(NOW.getTime() - 2 * 60_000) }), /not valid until/);
  });

  test('an expired root fails even when the leaf is current', async () => {
    const ca = await newCa(NOW, 1);
    const leaf = await issue(ca, REVIEWS, NOW, 10 * 24 * HOUR); // capped at the root's end
    failedWith(await verifyChain({ chainPem: leaf.chainPem, rootsPem: [ca.rootCertPem], now: new Date(ca.notAfter.getTime() + 1000) }), /expired/);
  });

  test('a leaf from another CA fails, even with the same issuer name', async () => {
    const ours = await newCa();
    const theirs = await newCa();
    const stranger = await issue(theirs, REVIEWS);
    // Both roots are O=cluster.local, so only the signature tells them apart.
    failedWith(await verifyChain({ chainPem: [stranger.certPem], rootsPem: [ours.rootCertPem], now: NOW }), /not signed by any of the 1 trusted root/);
    // Sending its own root along does not help: that root is not trusted.
    failedWith(await verifyChain({ chainPem: stranger.chainPem, rootsPem: [ours.rootCertPem], now: NOW }), /not signed by any of the 1 trusted root/);
    // Trusting both roots (as during a root rotation) accepts it.
    assert.deepEqual(await verifyChain({ chainPem: stranger.chainPem, rootsPem: [ours.rootCertPem, theirs.rootCertPem], now: NOW }), { ok: true, spiffeId: REVIEWS });
  });

  test('a tampered signature or tampered content fails', async () => {
    const ca = await newCa();
    const leaf = await issue(ca, REVIEWS);
    for (const forged of [tamperSignature(leaf.certPem), tamperContent(leaf.certPem)]) {
      assert.notEqual(forged, leaf.certPem);
      failedWith(await verifyChain({ chainPem: [forged, ca.certPem], rootsPem: [ca.rootCertPem], now: NOW }), /is not signed by/);
      failedWith(await verifyChain({ chainPem: [forged], rootsPem: [ca.rootCertPem], now: NOW }), /is not signed by any of the 1 trusted root/);
    }
  });

  test('a CA certificate presented as the leaf fails', async () => {
    const ca = await newCa();
    failedWith(await verifyChain({ chainPem: [ca.certPem], rootsPem: [ca.rootCertPem], now: NOW }), /is a CA certificate; a workload must present a leaf/);
  });

  test('a certificate that signs another must be a CA', async () => {
    const root = await createRootCa({ trustDomain: 'cluster.local', now: NOW });
    const notCa = await issueRaw({ issuer: root, isCa: false, spiffeId: RATINGS });
    const leaf = await issueRaw({ issuer: notCa, isCa: false, spiffeId: REVIEWS });
    failedWith(await verifyChain({ chainPem: [leaf.certPem, notCa.certPem], rootsPem: [root.certPem], now: NOW }), /signs other certificates but is not a CA/);
  });

  test('pathLength limits the intermediates below a CA', async () => {
    const root = await createRootCa({ trustDomain: 'cluster.local', now: NOW });
    const limited = await newIntermediate(root, NOW, 0);
    const direct = await issue(loadCa({ ...limited, parentsPem: [root.certPem] }), REVIEWS);
    assert.deepEqual(await verifyChain({ chainPem: direct.chainPem, rootsPem: [root.certPem], now: NOW }), { ok: true, spiffeId: REVIEWS });

    const below = await newIntermediate(limited);
    const tooDeep = await issue(loadCa({ ...below, parentsPem: [limited.certPem, root.certPem] }), REVIEWS);
    assert.equal(tooDeep.chainPem.length, 4);
    failedWith(await verifyChain({ chainPem: tooDeep.chainPem, rootsPem: [root.certPem], now: NOW }), /allows 0 intermediate CA\(s\) below it but the chain has 1/);
  });

  test('empty and unreadable input gives a reason, not an exception', async () => {
    const ca = await newCa();
    failedWith(await verifyChain({ chainPem: [], rootsPem: [ca.rootCertPem], now: NOW }), /chain is empty/);
    failedWith(await verifyChain({ chainPem: [ca.certPem], rootsPem: [], now: NOW }), /no trusted roots/);
    const bogus = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    failedWith(await verifyChain({ chainPem: [bogus], rootsPem: [ca.rootCertPem], now: NOW }), /chain certificate 0 is not a readable PEM certificate/);
  });
});

describe('rotationDue', () => {
  test('turns true once half of the validity has passed', async () => {
    const ca = await newCa();
    const info = certificateInfo((await issue(ca, REVIEWS, NOW, 24 * HOUR)).certPem);
    const lifetime = info.notAfter.getTime() - info.notBefore.getTime();
    const at = (fraction: number) => new Date(info.notBefore.getTime() + lifetime * fraction);
    assert.equal(rotationDue(info, at(0)), false);
    assert.equal(rotationDue(info, at(0.49)), false);
    assert.equal(rotationDue(info, at(0.51)), true);
    assert.equal(rotationDue(info, at(1.5)), true);
    assert.equal(rotationDue(info, at(0.7), 0.8), false);
    assert.equal(rotationDue(info, at(0.81), 0.8), true);
  });
});
