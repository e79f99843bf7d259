import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfigFile } from '../load.js';

const entry = (spec: string, extra = '') => `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: orders-v1
${extra}spec:
${spec}`;

describe('WorkloadEntry and WorkloadGroup', () => {
  test("a valid WorkloadEntry is for skiff up, not the control plane: no resource, no issue, the entry with its source", () => {
    const r = parseConfigFile('orders.yaml', entry('  address: 127.0.0.1\n  ports: {http: 7000}\n  labels: {app: orders, version: v1}\n  serviceAccount: orders\n', '  annotations:\n    skiff.dev/command: node server.js\n'));
    assert.deepEqual(r.issues, []);
    assert.deepEqual(r.resources, []);
    assert.equal(r.workloads.length, 1);
    const [w] = r.workloads;
    assert.equal(w?.kind, 'WorkloadEntry');
    assert.equal(w?.metadata.namespace, 'default');
    assert.equal(w?.metadata.annotations?.['skiff.dev/command'], 'node server.js');
    assert.deepEqual(w?.source, { file: 'orders.yaml', line: 1 });
  });

  test('wrong fields are errors naming the field, with the line; Istio fields Skiff ignores are warnings', () => {
    const r = parseConfigFile('orders.yaml', entry('  adress: 127.0.0.1\n  ports: {http: 70000, HTTP: 1}\n  network: vm-net\n'));
    const summary = r.issues.map((i) => `${i.severity} ${i.field} line ${i.line}: ${i.message}`);
    assert.deepEqual(summary, [
      'error spec.adress line 6: unknown field; did you mean "address"?',
      'error spec.ports.http line 7: must be at most 65535, got 70000',
      'error spec.ports.HTTP line 7: port name "HTTP" must be a DNS label of at most 15 characters (lowercase letters, digits, "-"), as Kubernetes port names are',
      'warning spec.network line 8: not supported by Skiff, ignored',
    ]);
    assert.deepEqual(r.workloads, [], 'an entry with errors is not started');
  });

  test('an address that is neither an IP address nor a host name, or a Unix socket, is refused', () => {
    assert.match(parseConfigFile('f.yaml', entry('  address: "bad host!"\n')).issues[0]?.message ?? '', /"bad host!" is neither an IP address nor a host name/);
    assert.match(parseConfigFile('f.yaml', entry('  address: unix:///var/run/x.sock\n')).issues[0]?.message ?? '', /Unix domain socket addresses are not supported/);
  });

  test('a WorkloadGroup is read and said to register nothing; a duplicate entry in one file is an error', () => {
    const group = `apiVersion: networking.istio.io/v1
kind: WorkloadGroup
metadata: {name: orders}
spec:
  metadata: {labels: {app: orders}}
  template: {ports: {http: 7000}, serviceAccount: orders}
`;
    const r = parseConfigFile('g.yaml', group);
    assert.deepEqual(r.issues.map((i) => i.severity), ['warning']);
    assert.match(r.issues[0]?.message ?? '', /does not register workloads from a WorkloadGroup/);
    const twice = parseConfigFile('f.yaml', `${entry('  ports: {http: 7000}\n')}---\n${entry('  ports: {http: 7001}\n')}`);
    assert.match(twice.issues.map((i) => i.message).join('\n'), /WorkloadEntry default\/orders-v1 is defined twice in this file/);
    assert.equal(twice.workloads.length, 1);
  });

  test('a misspelt kind close to WorkloadEntry is not "corrected" to a mesh kind', () => {
    const r = parseConfigFile('f.yaml', entry('  ports: {http: 7000}\n').replace('kind: WorkloadEntry', 'kind: WorkloadEntri'));
    assert.equal(r.issues[0]?.severity, 'warning');
  });
});
