import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configuredAccounts, readConfiguredWorkloads } from './configured-workloads.js';

function configDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-configured-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const we = (name: string, spec: string, annotations = '') => `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: ${name}
${annotations ? `  annotations:\n${annotations}` : ''}spec:
${spec}---
`;

describe('WorkloadEntries in the config directory, as skiff up starts them', () => {
  test('labels.app and the first port name the service without a ServiceEntry; annotations give the command, its directory, environment and probe', () => {
    const dir = configDir({
      'apps/orders.yaml': we('orders-v2', '  labels: {app: orders, version: v2, team: pay}\n  ports: {http: 7001}\n', '    skiff.dev/command: node server.js\n    skiff.dev/working-dir: ../orders\n    skiff.dev/probe: http:/healthz\n    skiff.dev/env: |\n      DB=postgres://x?a=b\n      # a comment\n      MODE=canary\n'),
    });
    const { workloads, problems } = readConfiguredWorkloads(dir);
    assert.deepEqual(problems, []);
    assert.deepEqual(workloads[0], {
      name: 'orders-v2',
      service: 'orders',
      namespace: 'default',
      serviceAccount: 'orders',
      version: 'v2',
      labels: { team: 'pay' },
      servicePort: 7001,
      appPort: 7001,
      appHost: '127.0.0.1',
      probe: 'http:/healthz',
      portName: 'http',
      command: 'node server.js',
      cwd: join(dir, 'orders'),
      env: { DB: 'postgres://x?a=b', MODE: 'canary' },
      origin: `${join(dir, 'apps/orders.yaml')}:1 WorkloadEntry default/orders-v2`,
    });
    assert.deepEqual(configuredAccounts(workloads), [{ name: 'orders-v2', namespace: 'default', serviceAccount: 'orders', services: ['orders'] }]);
  });

  test("a ServiceEntry that selects the entry names its service, port and protocol; the entry's port of that name is where it listens", () => {
    const dir = configDir({
      'stock.yaml': `${we('stock-1', '  address: 10.1.2.3\n  labels: {app: stock}\n  serviceAccount: inventory\n  ports: {grpc: 50051}\n')}apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: stock}
spec:
  hosts: [stock.default.svc.cluster.local]
  resolution: STATIC
  ports: [{number: 7300, name: grpc, protocol: GRPC}]
  workloadSelector: {labels: {app: stock}}
`,
    });
    const { workloads, problems } = readConfiguredWorkloads(dir);
    assert.deepEqual(problems, []);
    const [w] = workloads;
    assert.deepEqual([w?.service, w?.servicePort, w?.appPort, w?.appHost, w?.portName, w?.appProtocol, w?.serviceAccount, w?.command], ['stock', 7300, 50051, '10.1.2.3', 'grpc', 'grpc', 'inventory', undefined]);
  });

  test('entries that cannot be started say why and what to do; the others still start', () => {
    const dir = configDir({
      'a.yaml': [
        we('no-service', '  ports: {http: 7000}\n'),
        we('no-ports', '  labels: {app: x}\n'),
        we('remote-command', '  address: 10.0.0.9\n  labels: {app: y}\n  ports: {http: 7000}\n', '    skiff.dev/command: node y.js\n'),
        we('bad-env', '  labels: {app: z}\n  ports: {http: 7000}\n', '    skiff.dev/env: "not a pair"\n'),
        we('bad-probe', '  labels: {app: z}\n  ports: {http: 7000}\n', '    skiff.dev/probe: grpc\n'),
        we('frontend', '  labels: {app: frontend}\n  ports: {http: 7000}\n'),
        we('fine', '  labels: {app: fine}\n  ports: {http: 7000, metrics: 7001}\n'),
        `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: odd-host}
spec:
  hosts: [odd.example.com]
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  workloadSelector: {labels: {app: odd}}
---
${we('odd', '  labels: {app: odd}\n  ports: {http: 7000}\n')}`,
      ].join(''),
      'broken.yaml': we('broken', '  labels: {app: b}\n  ports: {http: 70000}\n'),
    });
    const { workloads, problems } = readConfiguredWorkloads(dir, { reserved: ['frontend'] });
    assert.deepEqual(workloads.map((w) => w.name), ['fine']);
    const said = problems.join('\n');
    for (const expected of [
      /a\.yaml:1 WorkloadEntry default\/no-service: not started: say which service it serves, with labels\.app or a ServiceEntry/,
      /default\/no-ports: not started: it lists no ports; add spec\.ports/,
      /default\/remote-command: not started: it has a skiff\.dev\/command but its address 10\.0\.0\.9 is not this machine/,
      /default\/bad-env: annotation skiff\.dev\/env has "not a pair"; write one NAME=value per line/,
      /default\/bad-probe: not started: annotation skiff\.dev\/probe must be http:\/<path>, tcp or none, got "grpc"/,
      /default\/frontend: not started: the workload name frontend is taken by one of the mesh's samples \(skiff up --no-samples leaves it free\)/,
      /default\/fine: Skiff's sidecar serves one port; using the first, http \(7000\)/,
      /default\/odd: not started: its ServiceEntry odd-host names host "odd\.example\.com", but Skiff serves a workload as <service>\.default\.svc\.cluster\.local/,
      /broken\.yaml: has errors \(the control plane lists them\); its WorkloadEntries are not started/,
    ]) {
      assert.match(said, expected);
    }
  });
});
