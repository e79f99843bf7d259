import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuthorizationPolicySpec } from '../../security-resources.js';
import { assertOneError, assertValid, check, doc, summary } from '../../test-helpers.js';

const ap = (spec: unknown) => doc('AuthorizationPolicy', spec, { name: 'httpbin', namespace: 'foo' }, 'security.istio.io/v1');
const from = (source: unknown) => ({ rules: [{ from: [{ source }] }] });
const to = (operation: unknown) => ({ rules: [{ to: [{ operation }] }] });
const when = (...conditions: unknown[]) => ({ rules: [{ when: conditions }] });
const warnings = (spec: unknown) => summary(check(ap(spec)).issues);

describe('AuthorizationPolicy', () => {
  test("Istio's reference example and every field Skiff implements are accepted and kept as written", () => {
    const spec: AuthorizationPolicySpec = {
      selector: { matchLabels: { app: 'httpbin', version: 'v1' } },
      action: 'ALLOW',
      rules: [
        {
          from: [
            { source: { principals: ['cluster.local/ns/default/sa/curl'], notPrincipals: ['*/sa/evil'], requestPrincipals: ['issuer.example.com/*'], notRequestPrincipals: ['*/blocked'] } },
            { source: { namespaces: ['test'], notNamespaces: ['prod*'], ipBlocks: ['10.0.0.0/16', '2001:db8::/32', '192.168.1.7'], notIpBlocks: ['10.0.9.0/24'] } },
          ],
          to: [
            { operation: { methods: ['GET'], paths: ['/info*'], notPaths: ['/info/secret'] } },
            { operation: { methods: ['POST'], paths: ['/data', '/api/{*}/items/{**}'], hosts: ['*.example.com'], notHosts: ['admin.example.com'], ports: ['8080'], notPorts: ['9090'], notMethods: ['DELETE'] } },
          ],
          when: [
            { key: 'request.auth.claims[iss]', values: ['https://accounts.google.com'] },
            { key: 'request.auth.claims[realm_access][roles]', values: ['admin'] },
            { key: 'request.headers[x-token]', notValues: ['guest'] },
            { key: 'source.ip', values: ['10.1.2.3', '10.2.0.0/16'] },
            { key: 'source.namespace', values: ['default'] },
            { key: 'source.principal', values: ['cluster.local/ns/default/sa/productpage'] },
            { key: 'request.auth.principal', values: ['issuer.example.com/subject-admin'] },
            { key: 'request.auth.audiences', values: ['example.com'] },
            { key: 'request.auth.presenter', values: ['123456789012.example.com'] },
            { key: 'destination.port', values: ['80', '443'] },
          ],
        },
      ],
    };
    const r = check(ap(spec));
    assertValid(r);
    assert.deepEqual(r.resource?.spec, spec);
  });

  test('allow-nothing ({}), allow-all ([{}]) and deny-all ([{}] with DENY) are all valid', () => {
    assertValid(check(ap({})));
    assertValid(check(ap({ rules: [{}] })));
    assertValid(check(ap({ action: 'DENY', rules: [{}] })));
    assertValid(check(ap({ action: 'AUDIT', rules: [{ to: [{ operation: { paths: ['/audit*'] } }] }] })));
  });

  test('action must be one of ALLOW, DENY, AUDIT, CUSTOM, with a suggestion', () => assertOneError(check(ap({ action: 'DENNY', rules: [{}] })), 'spec.action', 'did you mean "DENY"?'));

  test('DENY without rules is an error (it would never match)', () => {
    assertOneError(check(ap({ action: 'DENY' })), 'spec.rules', 'add an empty rule {} to deny every request');
    assertOneError(check(ap({ action: 'DENY', rules: [] })), 'spec.rules', 'never matches');
  });

  test('CUSTOM needs rules and provider; provider only with CUSTOM; a valid CUSTOM policy is a warning (ignored)', () => {
    assertOneError(check(ap({ action: 'CUSTOM', provider: { name: 'ext-authz' } })), 'spec.rules', 'never triggers');
    assertOneError(check(ap({ action: 'CUSTOM', rules: [{}] })), 'spec.provider', 'needs provider.name');
    assertOneError(check(ap({ action: 'DENY', provider: { name: 'x' }, rules: [{}] })), 'spec.provider', 'only with action CUSTOM, not DENY');
    assert.deepEqual(warnings({ action: 'CUSTOM', provider: { name: 'ext-authz' }, rules: [{ to: [{ operation: { paths: ['/admin'] } }] }] }), [
      'warning spec.action: action CUSTOM (external authorization) is not supported by Skiff; this policy is ignored',
    ]);
  });

  test('from/to must not be empty lists, source/operation must be present and set something', () => {
    assertOneError(check(ap({ rules: [{ from: [] }] })), 'spec.rules[0].from', 'must not be empty');
    assertOneError(check(ap({ rules: [{ to: [] }] })), 'spec.rules[0].to', 'must not be empty');
    assertOneError(check(ap({ rules: [{ from: [{}] }] })), 'spec.rules[0].from[0].source', 'required');
    assertOneError(check(ap({ rules: [{ to: [{}] }] })), 'spec.rules[0].to[0].operation', 'required');
    assertOneError(check(ap(from({}))), 'spec.rules[0].from[0].source', 'source must not be empty');
    assertOneError(check(ap(from({ principals: [] }))), 'spec.rules[0].from[0].source', 'source must not be empty');
    assertOneError(check(ap(to({}))), 'spec.rules[0].to[0].operation', 'operation must not be empty');
  });

  test('empty values are not allowed in any list', () => {
    assertOneError(check(ap(from({ principals: [''] }))), 'spec.rules[0].from[0].source.principals[0]', 'must not be empty');
    assertOneError(check(ap(to({ methods: ['GET', ''] }))), 'spec.rules[0].to[0].operation.methods[1]', 'must not be empty');
    assertOneError(check(ap(when({ key: 'source.namespace', values: [''] }))), 'spec.rules[0].when[0].values[0]', 'empty value not allowed');
  });

  test('ipBlocks must be IPs or CIDR ranges', () => {
    assertOneError(check(ap(from({ ipBlocks: ['10.0.0.0/33'] }))), 'spec.rules[0].from[0].source.ipBlocks[0]', 'bad CIDR range');
    assertOneError(check(ap(from({ notIpBlocks: ['10.0.0.256'] }))), 'spec.rules[0].from[0].source.notIpBlocks[0]', 'bad IP address');
    assertOneError(check(ap(from({ ipBlocks: ['localhost'] }))), 'spec.rules[0].from[0].source.ipBlocks[0]', 'bad IP address');
  });

  test('ports are numbers 0..65535 written as strings', () => {
    assertOneError(check(ap(to({ ports: ['http'] }))), 'spec.rules[0].to[0].operation.ports[0]', 'bad port "http"');
    assertOneError(check(ap(to({ notPorts: ['65536'] }))), 'spec.rules[0].to[0].operation.notPorts[0]', 'bad port');
    assertOneError(check(ap(to({ ports: [8080] }))), 'spec.rules[0].to[0].operation.ports[0]', 'expected a string, got 8080');
  });

  test('path templates: {*} and {**} as whole segments, nothing templated after {**}', () => {
    assertValid(check(ap(to({ paths: ['/foo/{*}/bar/{**}', '/{**}/x.txt'] }))));
    assertOneError(check(ap(to({ paths: ['/foo/{**}/{*}'] }))), 'spec.rules[0].to[0].operation.paths[0]', 'no operator may follow {**}');
    assertOneError(check(ap(to({ notPaths: ['/foo/{id}'] }))), 'spec.rules[0].to[0].operation.notPaths[0]', 'may only appear as a whole segment');
  });

  describe('when', () => {
    test('needs values or notValues', () => assertOneError(check(ap(when({ key: 'source.namespace' }))), 'spec.rules[0].when[0]', 'set values or notValues for key source.namespace'));
    test('key is required and must be one Istio knows, with suggestions', () => {
      assertOneError(check(ap(when({ values: ['a'] }))), 'spec.rules[0].when[0].key', 'required');
      assertOneError(check(ap(when({ key: 'source.namspace', values: ['a'] }))), 'spec.rules[0].when[0].key', 'did you mean "source.namespace"?');
      assertOneError(check(ap(when({ key: 'request.header[x-token]', values: ['a'] }))), 'spec.rules[0].when[0].key', 'did you mean "request.headers[x-token]"?');
      assertOneError(check(ap(when({ key: 'no.such.key', values: ['a'] }))), 'spec.rules[0].when[0].key', 'unknown key "no.such.key"; use one of');
    });
    test('bracketed keys need a non-empty name in brackets', () => {
      assertOneError(check(ap(when({ key: 'request.headers[]', values: ['a'] }))), 'spec.rules[0].when[0].key', 'write request.headers[name]');
      assertOneError(check(ap(when({ key: 'request.headers', values: ['a'] }))), 'spec.rules[0].when[0].key', 'write request.headers[name]');
      assertOneError(check(ap(when({ key: 'request.auth.claims[a]b', values: ['a'] }))), 'spec.rules[0].when[0].key', 'nested claims');
    });
    test('keys Istio replaced are errors that say what to use', () => {
      assertOneError(check(ap(when({ key: 'destination.namespace', values: ['a'] }))), 'spec.rules[0].when[0].key', "replaced by the policy's metadata.namespace");
      assertOneError(check(ap(when({ key: 'destination.labels[app]', values: ['a'] }))), 'spec.rules[0].when[0].key', "replaced by the policy's selector");
    });
    test('values are checked per key: IPs for source.ip, ports for destination.port', () => {
      assertOneError(check(ap(when({ key: 'source.ip', values: ['10.0.0.0/8', 'x'] }))), 'spec.rules[0].when[0].values[1]', 'bad IP address');
      assertOneError(check(ap(when({ key: 'destination.port', notValues: ['http'] }))), 'spec.rules[0].when[0].notValues[0]', 'bad port');
    });
    test('keys Skiff cannot evaluate are warnings that say the rule fails closed', () => {
      assert.deepEqual(warnings(when({ key: 'connection.sni', values: ['a.example.com'] }), ), [
        'warning spec.rules[0].when[0].key: Skiff does not pass the TLS server name to authorization; in ALLOW and AUDIT rules it never matches, in DENY rules it always matches (fail closed, as Istio does for fields a protocol lacks)',
      ]);
      assert.equal(warnings(when({ key: 'remote.ip', values: ['1.2.3.4'] })).length, 1);
    });
  });

  test('selector and targetRef exclude each other; targetRef alone is a warning (policy ignored)', () => {
    assertOneError(check(ap({ selector: { matchLabels: { app: 'a' } }, targetRef: { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'gw' } })), 'spec.targetRef', 'set only one of selector');
    assert.deepEqual(warnings({ targetRef: { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'gw' }, rules: [{}] }), [
      'warning spec.targetRef: targetRef selects Gateway API gateways and waypoints, which Skiff does not have; this policy is ignored (use selector)',
    ]);
  });

  test('serviceAccounts: format checked, cannot mix with principals, and not evaluated (warning)', () => {
    assertOneError(check(ap(from({ serviceAccounts: ['a/b/c'] }))), 'spec.rules[0].from[0].source.serviceAccounts[0]', 'expected "serviceAccount" or "namespace/serviceAccount"');
    assertOneError(check(ap(from({ serviceAccounts: ['default/sleep'], principals: ['x'] }))), 'spec.rules[0].from[0].source.serviceAccounts', 'cannot be combined');
    assert.match(warnings(from({ serviceAccounts: ['default/sleep'] })).join('\n'), /serviceAccounts: Skiff does not evaluate serviceAccounts; in ALLOW and AUDIT rules it never matches/);
    assert.match(warnings(from({ remoteIpBlocks: ['1.2.3.4'] })).join('\n'), /remoteIpBlocks: Skiff does not evaluate remoteIpBlocks/);
  });

  test('values that can never match are warnings', () => {
    assert.deepEqual(warnings(from({ principals: ['spiffe://cluster.local/ns/default/sa/sleep'] })), [
      'warning spec.rules[0].from[0].source.principals[0]: write principals without "spiffe://", as in "cluster.local/ns/default/sa/sleep"; "spiffe://cluster.local/ns/default/sa/sleep" never matches',
    ]);
    assert.deepEqual(warnings(to({ methods: ['get'] })), ['warning spec.rules[0].to[0].operation.methods[0]: methods match case-sensitively and HTTP methods are uppercase; did you mean "GET"?']);
    assert.deepEqual(warnings(to({ paths: ['/search?q=1'] })), [
      'warning spec.rules[0].to[0].operation.paths[0]: paths are compared without the query string, so "/search?q=1" never matches; drop the "?..." part',
    ]);
    assert.deepEqual(warnings(to({ paths: ['/api/*/items'] })), ['warning spec.rules[0].to[0].operation.paths[0]: "*" is a wildcard only at the start or end of a value; in "/api/*/items" it is matched literally']);
  });

  test('misspelled fields get suggestions and do not also report an empty source', () => {
    assertOneError(check(ap(from({ principal: ['x'] }))), 'spec.rules[0].from[0].source.principal', 'did you mean "principals"?');
    assertOneError(check(ap({ rules: [{ form: [{ source: { namespaces: ['a'] } }] }] })), 'spec.rules[0].form', 'did you mean "from"?');
    assertOneError(check(ap(to({ method: ['GET'] }))), 'spec.rules[0].to[0].operation.method', 'did you mean "methods"?');
  });
});
