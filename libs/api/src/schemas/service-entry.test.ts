import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertOneError, assertValid, check, doc, summary } from '../test-helpers.js';

const se = (spec: unknown) => doc('ServiceEntry', spec, { name: 'external' });

describe('ServiceEntry', () => {
  test("Istio's egress TLS origination entry is accepted as written", () => {
    const spec = {
      hosts: ['edition.cnn.com'],
      ports: [
        { number: 80, name: 'http-port', protocol: 'HTTP', targetPort: 443 },
        { number: 443, name: 'https-port', protocol: 'HTTPS' },
      ],
      resolution: 'DNS',
    };
    const r = check(se(spec));
    assertValid(r);
    assert.deepEqual(r.resource?.spec, spec);
  });

  test('STATIC endpoints with named ports, labels and a service account; addresses as CIDR ranges', () => {
    const spec = {
      hosts: ['db.internal'],
      addresses: ['10.0.0.0/24'],
      location: 'MESH_INTERNAL',
      ports: [{ number: 5432, name: 'tcp-postgres', protocol: 'TCP' }],
      resolution: 'STATIC',
      endpoints: [{ address: '10.0.0.5', ports: { 'tcp-postgres': 15432 }, labels: { version: 'v1' }, serviceAccount: 'db' }],
      exportTo: ['.'],
    };
    assertValid(check(se(spec)));
  });

  test("Istio's validation: what each resolution needs", () => {
    assertOneError(check(se({ hosts: ['a.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'STATIC' })), 'spec.endpoints', 'resolution STATIC needs endpoints');
    assertOneError(check(se({ hosts: ['a.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'STATIC', endpoints: [{ address: 'a.com' }] })), 'spec.endpoints[0].address', 'resolution STATIC needs an IP address');
    assertOneError(check(se({ hosts: ['a.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], endpoints: [{ address: '1.2.3.4' }] })), 'spec.endpoints', 'resolution NONE takes no endpoints');
    assertOneError(check(se({ hosts: ['*.a.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'DNS' })), 'spec.hosts[0]', 'a wildcard host "*.a.com" cannot be resolved');
    assertOneError(check(se({ hosts: ['a.com'] })), 'spec.ports', 'needs at least one port');
    assertOneError(check(se({ hosts: ['a.com'], addresses: ['10.0.0.0/33'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }] })), 'spec.addresses[0]', 'bad CIDR range');
  });

  test('ports: names and numbers unique, protocols known, endpoint ports name a port', () => {
    assertOneError(check(se({ hosts: ['a.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }, { number: 81, name: 'http', protocol: 'HTTP' }] })), 'spec.ports[1].name', 'duplicate port name "http"');
    assertOneError(check(se({ hosts: ['a.com'], ports: [{ number: 80, name: 'a', protocol: 'HTTP' }, { number: 80, name: 'b', protocol: 'TCP' }] })), 'spec.ports[1].number', 'duplicate port number 80');
    assertOneError(check(se({ hosts: ['a.com'], ports: [{ number: 80, name: 'a', protocol: 'HTTPX' }] })), 'spec.ports[0].protocol', 'unknown protocol "HTTPX"');
    assertOneError(check(se({ hosts: ['a.com'], ports: [{ number: 80, name: 'a', protocol: 'HTTP' }], resolution: 'DNS', endpoints: [{ address: 'b.com', ports: { b: 8080 } }] })), 'spec.endpoints[0].ports.b', 'no port of this ServiceEntry is named "b"');
  });

  test('fields Skiff does not implement are warnings', () => {
    const r = check(se({ hosts: ['a.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], subjectAltNames: ['spiffe://x'] }));
    assert.deepEqual(summary(r.issues), ['warning spec.subjectAltNames: not supported by Skiff, ignored']);
  });

  test("workloadSelector names the entry's workloads, and so cannot stand beside endpoints (Istio's validation)", () => {
    const ok = check(se({ hosts: ['orders.default.svc.cluster.local'], ports: [{ number: 7000, name: 'http', protocol: 'HTTP' }], resolution: 'STATIC', workloadSelector: { labels: { app: 'orders' } } }));
    assert.deepEqual(summary(ok.issues), []);
    assertOneError(check(se({ hosts: ['a.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'STATIC', endpoints: [{ address: '1.2.3.4' }], workloadSelector: { labels: { app: 'a' } } })), 'spec.workloadSelector', 'only one of workloadSelector or endpoints is allowed');
  });
});
