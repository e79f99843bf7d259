import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRootCa, loadCa } from './ca.js';
import { splitPemCertificates } from './pem.js';
import { tlsMaterial } from './tls-material.js';
import { REVIEWS, issue, newCa, newIntermediate } from './test-helpers.js';

describe('tlsMaterial', () => {
  test('key, leaf without the root, and the root as ca', async () => {
    const ca = await newCa();
    const w = await issue(ca, REVIEWS);
    const m = tlsMaterial({ privateKeyPem: w.keys.privateKeyPem, chainPem: w.chainPem, rootsPem: [ca.rootCertPem] });
    assert.equal(m.key, w.keys.privateKeyPem);
    assert.deepEqual(splitPemCertificates(m.cert), [w.certPem]);
    assert.deepEqual(splitPemCertificates(m.ca), [ca.rootCertPem]);
  });

  test('keeps intermediates after the leaf, drops the root', async () => {
    const root = await createRootCa({ trustDomain: 'cluster.local', now: new Date('2025-06-01T12:00:00Z') });
    const intermediate = await newIntermediate(root);
    const w = await issue(loadCa({ ...intermediate, parentsPem: [root.certPem] }), REVIEWS);
    const m = tlsMaterial({ privateKeyPem: w.keys.privateKeyPem, chainPem: w.chainPem, rootsPem: root.certPem });
    assert.deepEqual(splitPemCertificates(m.cert), [w.certPem, intermediate.certPem]);
    assert.deepEqual(splitPemCertificates(m.ca), [root.certPem]);
  });

  test('says what is missing', async () => {
    const ca = await newCa();
    assert.throws(() => tlsMaterial({ privateKeyPem: 'k', chainPem: [], rootsPem: [ca.rootCertPem] }), /chainPem holds no certificate/);
    assert.throws(() => tlsMaterial({ privateKeyPem: 'k', chainPem: [ca.certPem], rootsPem: [] }), /rootsPem holds no certificate/);
  });
});
