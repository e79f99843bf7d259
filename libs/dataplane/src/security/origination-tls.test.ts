import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { originationTls } from './origination-tls.js';

const files: Record<string, string> = { '/ca.pem': 'CA', '/client.pem': 'CERT', '/client.key': 'KEY', 'creds/egress/tls.crt': 'CCERT', 'creds/egress/tls.key': 'CKEY' };
const read = (file: string) => {
  const text = files[file];
  if (text === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
  return text;
};

describe('TLS origination settings', () => {
  test('SIMPLE: the host named is the SNI (Istio auto SNI), the CA file verifies the server', () => {
    const tls = originationTls({ mode: 'SIMPLE', caCertificates: '/ca.pem' }, 'edition.cnn.com', read);
    assert.ok(!('error' in tls));
    assert.deepEqual([tls.options.servername, tls.options.ca, tls.options.rejectUnauthorized, tls.options.cert], ['edition.cnn.com', 'CA', true, undefined]);
  });

  test('sni wins over the host; an IP address is never sent as SNI; insecureSkipVerify turns verification off', () => {
    const sni = originationTls({ mode: 'SIMPLE', sni: 'other.example.com' }, 'edition.cnn.com', read);
    assert.ok(!('error' in sni) && sni.options.servername === 'other.example.com');
    const ip = originationTls({ mode: 'SIMPLE', insecureSkipVerify: true }, '10.0.0.1', read);
    assert.ok(!('error' in ip));
    assert.deepEqual([ip.options.servername, ip.options.rejectUnauthorized], [undefined, false]);
  });

  test('MUTUAL presents the client certificate, from files or from credentialName', () => {
    const fromFiles = originationTls({ mode: 'MUTUAL', clientCertificate: '/client.pem', privateKey: '/client.key' }, 'a', read);
    assert.ok(!('error' in fromFiles));
    assert.deepEqual([fromFiles.options.cert, fromFiles.options.key], ['CERT', 'KEY']);
    const fromCredential = originationTls({ mode: 'MUTUAL', credentialName: 'egress' }, 'a', read, 'creds');
    assert.ok(!('error' in fromCredential));
    assert.deepEqual([fromCredential.options.cert, fromCredential.options.key, fromCredential.options.ca], ['CCERT', 'CKEY', undefined], 'no ca.crt: the system roots');
  });

  test('a file that cannot be read is an error naming it; settings that differ get different pool keys', () => {
    assert.deepEqual(originationTls({ mode: 'SIMPLE', caCertificates: '/nope.pem' }, 'a', read), { error: 'DestinationRule tls SIMPLE: cannot read /nope.pem (ENOENT); fix the path or the file' });
    const a = originationTls({ mode: 'SIMPLE' }, 'a', read);
    const b = originationTls({ mode: 'SIMPLE' }, 'b', read);
    assert.ok(!('error' in a) && !('error' in b) && a.key !== b.key);
  });

  test('subjectAltNames: the certificate must name one of them', () => {
    const tls = originationTls({ mode: 'SIMPLE', subjectAltNames: ['api.example.com'] }, 'a', read);
    assert.ok(!('error' in tls));
    const check = tls.options.checkServerIdentity;
    assert.ok(check);
    const cert = (san: string) => ({ subject: { CN: '' }, subjectaltname: `DNS:${san}` }) as unknown as Parameters<typeof check>[1];
    assert.equal(check('a', cert('api.example.com')), undefined);
    assert.match(String(check('a', cert('evil.example.com'))), /names none of subjectAltNames api.example.com/);
  });
});
