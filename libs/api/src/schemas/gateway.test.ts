import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { GatewaySpec } from '../resources.js';
import { assertOneError, assertValid, check, doc, summary } from '../test-helpers.js';

const gw = (spec: unknown) => doc('Gateway', spec, { name: 'bookinfo-gateway' });
const server = (extra: Record<string, unknown> = {}) => ({ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'], ...extra });

describe('Gateway', () => {
  test('Bookinfo gateway', () => {
    const spec = { selector: { istio: 'ingressgateway' }, servers: [server()] };
    const r = check(gw(spec));
    assertValid(r);
    assert.deepEqual(r.resource?.spec, spec);
  });

  test('every field Skiff implements is accepted and kept as written', () => {
    const spec: GatewaySpec = {
      selector: { app: 'istio-ingressgateway' },
      servers: [
        { port: { number: 80, name: 'http', protocol: 'HTTP', targetPort: 8080 }, hosts: ['bookinfo.example.com'], name: 'plain', tls: { httpsRedirect: true } },
        { port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['prod/*.example.com', './a.example.com', '*/b.example.com'], tls: { mode: 'SIMPLE', credentialName: 'bookinfo-cert' } },
        { port: { number: 8443, name: 'mtls', protocol: 'https' }, hosts: ['*'], tls: { mode: 'MUTUAL', serverCertificate: '/c.pem', privateKey: '/k.pem', caCertificates: '/ca.pem' } },
        { port: { number: 15443, name: 'tls', protocol: 'TLS' }, hosts: ['*.local'], tls: { mode: 'ISTIO_MUTUAL' } },
      ],
    };
    const r = check(gw(spec));
    assertValid(r);
    assert.deepEqual(r.resource?.spec, spec);
  });

  test('servers are required and non-empty', () => {
    assertOneError(check(gw({ selector: {} })), 'spec.servers', 'required');
    assertOneError(check(gw({ servers: [] })), 'spec.servers', 'must not be empty');
  });
  test('port number and protocol are required', () => {
    assertOneError(check(gw({ servers: [{ port: { protocol: 'HTTP' }, hosts: ['*'] }] })), 'spec.servers[0].port.number', 'required');
    assertOneError(check(gw({ servers: [{ port: { number: 80 }, hosts: ['*'] }] })), 'spec.servers[0].port.protocol', 'required');
    assertOneError(check(gw({ servers: [{ hosts: ['*'] }] })), 'spec.servers[0].port', 'required');
  });
  test('port numbers are 1..65535', () => assertOneError(check(gw({ servers: [{ port: { number: 0, protocol: 'HTTP' }, hosts: ['*'] }] })), 'spec.servers[0].port.number', 'at least 1'));
  test('protocol must be one Istio knows', () => assertOneError(check(gw({ servers: [{ port: { number: 80, protocol: 'HTPP' }, hosts: ['*'] }] })), 'spec.servers[0].port.protocol', 'unknown protocol "HTPP"'));
  test('hosts are required, non-empty and well formed', () => {
    assertOneError(check(gw({ servers: [{ port: { number: 80, protocol: 'HTTP' } }] })), 'spec.servers[0].hosts', 'required');
    assertOneError(check(gw({ servers: [server({ hosts: [] })] })), 'spec.servers[0].hosts', 'must not be empty');
    assertOneError(check(gw({ servers: [server({ hosts: ['Prod/x.example.com'] })] })), 'spec.servers[0].hosts[0]', 'is not a namespace');
    assertOneError(check(gw({ servers: [server({ hosts: ['x..example.com'] })] })), 'spec.servers[0].hosts[0]', 'not a valid DNS name');
  });
  test('HTTPS needs tls settings', () => assertOneError(check(gw({ servers: [{ port: { number: 443, protocol: 'HTTPS' }, hosts: ['*'] }] })), 'spec.servers[0].tls', 'needs tls settings'));
  test('SIMPLE tls needs a certificate', () =>
    assertOneError(check(gw({ servers: [{ port: { number: 443, protocol: 'HTTPS' }, hosts: ['*'], tls: { mode: 'SIMPLE', privateKey: '/k.pem' } }] })), 'spec.servers[0].tls', 'needs credentialName, or both serverCertificate and privateKey'));
  test('MUTUAL tls needs a client CA', () =>
    assertOneError(
      check(gw({ servers: [{ port: { number: 443, protocol: 'HTTPS' }, hosts: ['*'], tls: { mode: 'MUTUAL', serverCertificate: '/c.pem', privateKey: '/k.pem' } }] })),
      'spec.servers[0].tls',
      'caCertificates',
    ));
  test('port names are unique across servers', () =>
    assertOneError(check(gw({ servers: [server(), server({ port: { number: 8080, name: 'http', protocol: 'HTTP' } })] })), 'spec.servers[1].port.name', 'duplicate port name "http"'));
  test('Istio fields Skiff lacks are warnings and dropped', () => {
    const r = check(gw({ servers: [server({ bind: '0.0.0.0', tls: { httpsRedirect: true, minProtocolVersion: 'TLSV1_2' } })] }));
    assert.deepEqual(summary(r.issues), [
      'warning spec.servers[0].tls.minProtocolVersion: not supported by Skiff, ignored',
      'warning spec.servers[0].bind: not supported by Skiff, ignored',
    ]);
    assert.deepEqual(r.resource?.spec, { servers: [server({ tls: { httpsRedirect: true } })] });
  });
  test('a misspelled field gets a suggestion', () => assertOneError(check(gw({ servers: [server({ host: ['*'] })] })), 'spec.servers[0].host', 'did you mean "hosts"?'));
});
