import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import type { Logger } from '@skiff/telemetry';
import { CertificateStore, tlsFilesFor } from './certificate-store.js';
import { issueCertificate, testCa, type TestCa, type TestCertificate } from './test-certificates.js';

function recordingLogger() {
  const lines: Array<{ level: string; msg: string; fields: Record<string, unknown> }> = [];
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) => lines.push({ level, msg, fields });
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') } as unknown as Logger };
}

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

describe('gateway certificate store', () => {
  let dir: string;
  let ca: TestCa;
  let first: TestCertificate;
  let second: TestCertificate;
  const write = (name: string, files: Record<string, string>) => {
    mkdirSync(join(dir, name), { recursive: true });
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, name, file), text);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-cert-store-'));
    ca = await testCa('store test CA');
    first = await issueCertificate(ca, { commonName: 'first', dnsNames: ['a.example.com'] });
    second = await issueCertificate(ca, { commonName: 'second', dnsNames: ['a.example.com'] });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('credentialName points at a TLS secret\'s keys in the credentials directory; ca.crt only for MUTUAL', () => {
    assert.deepEqual(tlsFilesFor({ mode: 'SIMPLE', credentialName: 'shop' }, '/creds'), { cert: '/creds/shop/tls.crt', key: '/creds/shop/tls.key', source: 'credentialName "shop"' });
    assert.equal(tlsFilesFor({ mode: 'MUTUAL', credentialName: 'shop', serverCertificate: '/ignored' }, '/creds').ca, '/creds/shop/ca.crt');
    assert.deepEqual(tlsFilesFor({ mode: 'MUTUAL', serverCertificate: '/a.crt', privateKey: '/a.key', caCertificates: '/ca.crt' }, '/creds'), { cert: '/a.crt', key: '/a.key', ca: '/ca.crt', source: 'serverCertificate/privateKey files' });
  });

  test('loads once, reloads on change, and keeps the last good material when a file goes bad', async () => {
    const { logger, lines } = recordingLogger();
    const store = new CertificateStore({ credentialsDir: dir, logger, recheckMs: 0, name: 'gateway :443' });
    const tls = { mode: 'SIMPLE' as const, credentialName: 'reload' };

    // Nothing there yet: no material, and the error names the missing file.
    assert.equal(await store.material(tls, 'v1'), undefined);
    const missing = join(dir, 'reload', 'tls.crt');
    assert.match(store.lastError(tls) ?? '', new RegExp(`${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be read: ENOENT.*refused until it is fixed`));

    write('reload', { 'tls.crt': first.certPem, 'tls.key': first.keyPem });
    const loaded = await store.material(tls, 'v1');
    assert.equal(fingerprint(String(loaded?.options.cert)), fingerprint(first.certPem));
    assert.equal((await store.material(tls, 'v1'))?.generation, loaded?.generation, 'unchanged files are not loaded again');

    write('reload', { 'tls.crt': second.certPem, 'tls.key': second.keyPem });
    const renewed = await store.material(tls, 'v1');
    assert.equal(fingerprint(String(renewed?.options.cert)), fingerprint(second.certPem));
    assert.ok((renewed?.generation ?? 0) > (loaded?.generation ?? 0));

    // A key that does not belong to the certificate: the renewed pair stays, the error names the key file once.
    const errorsBefore = lines.filter((l) => l.level === 'error').length;
    write('reload', { 'tls.key': first.keyPem });
    assert.equal((await store.material(tls, 'v1'))?.generation, renewed?.generation);
    assert.equal((await store.material(tls, 'v1'))?.generation, renewed?.generation);
    const errors = lines.filter((l) => l.level === 'error').slice(errorsBefore);
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.match(errors[0]?.msg ?? '', /reload\/tls\.key is not the private key of the certificate in .*reload\/tls\.crt.*the last good certificate stays in force/);

    write('reload', { 'tls.crt': 'not a certificate\n', 'tls.key': second.keyPem });
    assert.equal((await store.material(tls, 'v1'))?.generation, renewed?.generation);
    assert.match(store.lastError(tls) ?? '', /reload\/tls\.crt is not a PEM certificate/);
  });

  test('files are checked again only after recheckMs, or at once for a new snapshot version', async () => {
    const { logger } = recordingLogger();
    const store = new CertificateStore({ credentialsDir: dir, logger, recheckMs: 60_000, name: 'gateway :443' });
    const tls = { mode: 'SIMPLE' as const, credentialName: 'throttle' };
    write('throttle', { 'tls.crt': first.certPem, 'tls.key': first.keyPem });
    assert.equal(fingerprint(String((await store.material(tls, 'v1'))?.options.cert)), fingerprint(first.certPem));
    write('throttle', { 'tls.crt': second.certPem, 'tls.key': second.keyPem });
    assert.equal(fingerprint(String((await store.material(tls, 'v1'))?.options.cert)), fingerprint(first.certPem), 'within recheckMs the files are not stat-ed');
    assert.equal(fingerprint(String((await store.material(tls, 'v2'))?.options.cert)), fingerprint(second.certPem), 'a new snapshot version checks them');
  });

  test('MUTUAL needs a readable CA file', async () => {
    const { logger } = recordingLogger();
    const store = new CertificateStore({ credentialsDir: dir, logger, recheckMs: 0, name: 'gateway :443' });
    write('mutual', { 'tls.crt': first.certPem, 'tls.key': first.keyPem });
    const tls = { mode: 'MUTUAL' as const, credentialName: 'mutual' };
    assert.equal(await store.material(tls, 'v1'), undefined);
    assert.match(store.lastError(tls) ?? '', /mutual\/ca\.crt cannot be read: ENOENT/);
    write('mutual', { 'ca.crt': ca.certPem });
    assert.equal((await store.material(tls, 'v1'))?.options.ca, ca.certPem);
  });
});
