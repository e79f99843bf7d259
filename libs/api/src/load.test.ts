import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileHasErrors, parseConfigFile } from './load.js';
import type { ValidationIssue } from './resources.js';

const at = (issues: readonly ValidationIssue[]) => issues.map((i) => `${i.line} ${i.severity} ${i.resource} ${i.field}: ${i.message}`);

// Bookinfo's "route jason to v2" example (samples/bookinfo/networking/virtual-service-reviews-test-v2.yaml)
// and its DestinationRule, as one file.
const BOOKINFO = `# reviews: jason sees v2, everyone else v1
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - match:
    - headers:
        end-user:
          exact: jason
    route:
    - destination:
        host: reviews
        subset: v2
  - route:
    - destination:
        host: reviews
        subset: v1
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
  - name: v3
    labels:
      version: v3
`;

describe('parseConfigFile', () => {
  test('the Bookinfo reviews VirtualService and DestinationRule', () => {
    const { resources, issues, documents } = parseConfigFile('samples/reviews.yaml', BOOKINFO);
    assert.deepEqual(issues, []);
    assert.equal(fileHasErrors(issues), false);
    assert.deepEqual(
      resources.map((r) => [r.kind, r.metadata.namespace, r.metadata.name, r.source]),
      [
        ['VirtualService', 'default', 'reviews', { file: 'samples/reviews.yaml', line: 2 }],
        ['DestinationRule', 'default', 'reviews', { file: 'samples/reviews.yaml', line: 23 }],
      ],
    );
    const [vs, dr] = resources;
    assert.equal(vs?.kind, 'VirtualService');
    if (vs?.kind === 'VirtualService') {
      assert.deepEqual(vs.spec.http?.[0]?.match, [{ headers: { 'end-user': { exact: 'jason' } } }]);
      assert.deepEqual(vs.spec.http?.[0]?.route, [{ destination: { host: 'reviews', subset: 'v2' } }]);
      assert.deepEqual(vs.spec.http?.[1]?.route, [{ destination: { host: 'reviews', subset: 'v1' } }]);
    }
    if (dr?.kind === 'DestinationRule') assert.deepEqual(dr.spec.subsets?.map((s) => [s.name, s.labels?.['version']]), [['v1', 'v1'], ['v2', 'v2'], ['v3', 'v3']]);
    assert.deepEqual(documents.map((d) => [d.index, d.line, d.label, d.ignored, d.issues.length]), [
      [1, 2, 'VirtualService default/reviews', false, 0],
      [2, 23, 'DestinationRule default/reviews', false, 0],
    ]);
  });

  describe('lines point at the offending field', () => {
    test('a bad weight: the line of its key', () => {
      const text = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 60
    - destination:
        host: reviews
        subset: v2
      weight: 50
`;
      const { issues, resources } = parseConfigFile('config/reviews.yaml', text);
      assert.deepEqual(at(issues), ['14 error VirtualService default/reviews spec.http[0].route[1].weight: weights sum to 110, must sum to 100']);
      assert.deepEqual(resources, []);
    });

    test('an unknown field: the line of the key, with a suggestion', () => {
      const text = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - rout:
    - destination:
        host: reviews
`;
      assert.deepEqual(at(parseConfigFile('f.yaml', text).issues), ['9 error VirtualService default/reviews spec.http[0].rout: unknown field; did you mean "route"?']);
    });

    test('a missing field: the line of the mapping that lacks it', () => {
      const text = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - weight: 100
      destination:
        subset: v1
`;
      assert.deepEqual(at(parseConfigFile('f.yaml', text).issues), ['10 error VirtualService default/reviews spec.http[0].route[0].destination.host: required field is missing']);
    });

    test('list items, quoted keys and flow style', () => {
      const text = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews, "bad host"]
  http:
  - match:
    - headers: {"end-user": {regex: "(?!x)"}}
    route: [{destination: {host: reviews}}]
`;
      assert.deepEqual(at(parseConfigFile('f.yaml', text).issues), [
        '5 error VirtualService default/reviews spec.hosts[1]: host "bad host" is not a valid DNS name (labels of letters, digits and \'-\', separated by dots)',
        '8 error VirtualService default/reviews spec.http[0].match[0].headers["end-user"].regex: regex "(?!x)": the lookahead (?!...) is not RE2 syntax (Istio uses RE2); rewrite the expression without it',
      ]);
    });
  });

  test('multi-document file with one bad document: the good ones still parse, the file has errors', () => {
    const text = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ratings
spec:
  host: ratings
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: bad
spec:
  hosts: []
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
  namespace: istio-system
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
`;
    const { resources, issues, documents } = parseConfigFile('mesh.yaml', text);
    assert.deepEqual(at(issues), ['13 error VirtualService default/bad spec.hosts: must not be empty']);
    assert.equal(fileHasErrors(issues), true);
    assert.deepEqual(resources.map((r) => `${r.kind} ${r.metadata.namespace}/${r.metadata.name}@${r.source.line}`), ['DestinationRule default/ratings@1', 'Gateway istio-system/gw@15']);
    assert.deepEqual(documents.map((d) => [d.index, d.line, d.resource !== undefined, d.issues.length]), [
      [1, 1, true, 0],
      [2, 8, false, 1],
      [3, 15, true, 0],
    ]);
  });

  test('a YAML syntax error is an issue with its line; other documents are still read', () => {
    const text = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ratings
spec:
  host: ratings
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews
  http: []
`;
    const { resources, issues, documents } = parseConfigFile('mesh.yaml', text);
    assert.equal(fileHasErrors(issues), true);
    assert.ok(issues.length >= 1);
    for (const i of issues) {
      assert.equal(i.severity, 'error');
      assert.equal(i.resource, '(document 2)');
      assert.match(i.message, /^YAML syntax error: /);
      assert.ok(i.line >= 13 && i.line <= 15, `line ${i.line}`);
      assert.doesNotMatch(i.message, /\n/);
    }
    assert.deepEqual(resources.map((r) => r.metadata.name), ['ratings']);
    assert.equal(documents[1]?.resource, undefined);
  });

  test('duplicate keys are YAML errors', () => {
    const text = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ratings
spec:
  host: ratings
  host: reviews
`;
    const { issues, resources } = parseConfigFile('f.yaml', text);
    assert.deepEqual(at(issues), ['7 error (document 1) : YAML syntax error: Map keys must be unique']);
    assert.deepEqual(resources, []);
  });

  test('alias abuse ("billion laughs") is an error, not a hang', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    const { issues, resources } = parseConfigFile('bomb.yaml', `${lines.join('\n')}\n`);
    assert.deepEqual(resources, []);
    assert.equal(issues.length, 1);
    assert.match(issues[0]?.message ?? '', /^YAML error: .*alias/i);
    assert.equal(issues[0]?.line, 1);
  });

  test('bad indentation is a syntax error at its line', () => {
    const text = 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: r\n spec: x\n';
    const { issues } = parseConfigFile('f.yaml', text);
    assert.equal(fileHasErrors(issues), true);
    assert.equal(issues[0]?.line, 5);
  });

  test('empty documents and files are skipped', () => {
    assert.deepEqual(parseConfigFile('f.yaml', ''), { resources: [], issues: [], documents: [], workloads: [] });
    assert.deepEqual(parseConfigFile('f.yaml', '# nothing here\n'), { resources: [], issues: [], documents: [], workloads: [] });
    const text = `---
# only a comment
---
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings}
spec: {host: ratings}
---
`;
    const { resources, issues, documents } = parseConfigFile('f.yaml', text);
    assert.deepEqual(issues, []);
    assert.deepEqual(resources.map((r) => r.source.line), [5]);
    assert.deepEqual(documents.map((d) => d.index), [3]);
  });

  test('Kubernetes kinds are skipped with a warning and do not fail the file', () => {
    const text = `apiVersion: v1
kind: Service
metadata:
  name: reviews
spec:
  ports: [{port: 9080, name: http}]
  selector: {app: reviews}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: reviews-v1
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec: {host: reviews}
`;
    const { resources, issues, documents } = parseConfigFile('bookinfo.yaml', text);
    assert.deepEqual(at(issues), [
      '2 warning Service default/reviews kind: kind Service (v1) is not a Skiff mesh resource; ignored',
      '10 warning Deployment default/reviews-v1 kind: kind Deployment (apps/v1) is not a Skiff mesh resource; ignored',
    ]);
    assert.equal(fileHasErrors(issues), false);
    assert.deepEqual(resources.map((r) => r.kind), ['DestinationRule']);
    assert.deepEqual(documents.map((d) => d.ignored), [true, true, false]);
  });

  test('unsupported Istio fields: warnings at their lines, the resource is kept', () => {
    const text = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings}
spec:
  hosts: [ratings]
  http:
  - route: [{destination: {host: ratings}}]
    corsPolicy:
      allowOrigins: [{exact: "https://example.com"}]
  - route: [{destination: {host: ratings}}]
    mirrors: []
`;
    const { resources, issues } = parseConfigFile('f.yaml', text);
    assert.deepEqual(at(issues), [
      '8 warning VirtualService default/ratings spec.http[0].corsPolicy: not supported by Skiff, ignored',
      '11 warning VirtualService default/ratings spec.http[1].mirrors: not supported by Skiff, ignored',
    ]);
    assert.equal(fileHasErrors(issues), false);
    assert.equal(resources.length, 1);
  });

  test('issues of a file come out in line order', () => {
    const text = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a}
spec:
  http: [{route: [{destination: {host: a}}], corsPolicy: {}}]
  hosts: []
---
apiVersion: v1
kind: Service
metadata: {name: a}
`;
    assert.deepEqual(parseConfigFile('f.yaml', text).issues.map((i) => i.line), [5, 6, 9]);
  });

  test('a resource defined twice in a file is an error', () => {
    const dr = 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec: {host: r}\n';
    const { resources, issues } = parseConfigFile('f.yaml', `${dr}---\n${dr}`);
    assert.deepEqual(at(issues), ['6 error DestinationRule default/r metadata.name: DestinationRule default/r is defined twice in this file (first at line 1); rename or remove one']);
    assert.equal(resources.length, 1);
  });

  test('a document that is not a mapping', () => {
    const { issues } = parseConfigFile('f.yaml', 'apiVersion: networking.istio.io/v1\n---\n- a\n- b\n');
    assert.deepEqual(at(issues), [
      '1 error (document 1) kind: kind is missing; expected one of VirtualService, DestinationRule, Gateway, ServiceEntry, PeerAuthentication, AuthorizationPolicy, RequestAuthentication',
      '3 error (document 2) : a document must be a mapping with apiVersion, kind, metadata and spec',
    ]);
  });
});
