// `skiff analyze` run as a child process, the way a user runs it, against temporary config
// directories: output lines, summary, exit codes 0/1/2, --json, and a control plane's registry.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
const REPO_CONFIG = fileURLToPath(new URL('../../../../config', import.meta.url));
const TSX = import.meta.resolve('tsx');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `skiff <args>` in `cwd` (async, so a test server in this process can answer it). */
function skiff(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const show = (r: Run) => `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;

const VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
    - route:
        - destination:
            host: reviews
            subset: v3
`;
const DR = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  subsets:
    - name: v1
      labels: { version: v1 }
`;
const GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: lonely
spec:
  servers:
    - port: { number: 80, name: http, protocol: HTTP }
      hosts: ["*"]
`;
const BAD_WEIGHTS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts: [ratings]
  http:
    - match:
        - uri: { prefix: /x }
      route:
        - destination: { host: ratings }
          weight: 60
        - destination: { host: ratings }
          weight: 50
`;

describe('skiff analyze', { concurrency: 4 }, () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'skiff-analyze-'));
    cpSync(REPO_CONFIG, join(root, 'clean'), { recursive: true });
    mkdirSync(join(root, 'broken', 'nested'), { recursive: true });
    writeFileSync(join(root, 'broken', 'reviews.yaml'), VS + '---\n' + DR);
    writeFileSync(join(root, 'broken', 'nested', 'gateway.yml'), GATEWAY);
    writeFileSync(join(root, 'broken', 'nested', 'ratings.json'), JSON.stringify({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'ratings' }, spec: { host: 'ratings' } }));
    writeFileSync(join(root, 'broken', 'README.md'), 'not config: skipped\n');
    mkdirSync(join(root, 'warnings'));
    writeFileSync(join(root, 'warnings', 'gateway.yaml'), GATEWAY);
    mkdirSync(join(root, 'weights'));
    writeFileSync(join(root, 'weights', 'ratings.yaml'), BAD_WEIGHTS);
    mkdirSync(join(root, 'empty'));
    // The default input: ./config in the working directory.
    cpSync(join(root, 'broken'), join(root, 'config'), { recursive: true });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('the repo config: exit 0 and the all-clear line', async () => {
    const run = await skiff(['analyze', '-f', 'clean'], root);
    assert.equal(run.code, 0, show(run));
    assert.equal(run.stdout, '✔ No validation issues found when analyzing clean/\n');
  });

  test('errors: one line per issue (file:line, resource, field, code), a count, exit 1; dirs read recursively', async () => {
    const run = await skiff(['analyze', '-f', 'broken'], root);
    assert.equal(run.code, 1, show(run));
    assert.equal(
      run.stdout,
      [
        'broken/nested/gateway.yml:4: warning: Gateway default/lonely: metadata.name: [SKF0001] no VirtualService binds Gateway default/lonely, so requests to it get 404. ' +
          'List "default/lonely" in a VirtualService\'s spec.gateways, or remove the Gateway.',
        'broken/reviews.yaml:11: error: VirtualService default/reviews: spec.http[0].route[0].destination.subset: [IST0101] subset "v3" is not defined by any DestinationRule ' +
          'for reviews.default.svc.cluster.local; requests routed to it get 503. Defined subsets: v1; add "v3" to the DestinationRule or fix the name.',
        '✖ 1 error, 1 warning in 3 files',
        '',
      ].join('\n'),
    );
  });

  test('per-file errors (weights) come through once, and fail the run', async () => {
    const run = await skiff(['analyze', '-f', 'weights'], root);
    assert.equal(run.code, 1, show(run));
    assert.deepEqual(run.stdout.trim().split('\n'), [
      'weights/ratings.yaml:14: error: VirtualService default/ratings: spec.http[0].route[1].weight: weights sum to 110, must sum to 100',
      '✖ 1 error, 0 warnings in 1 file',
    ]);
  });

  test('warnings only: exit 0; several -f and a single file', async () => {
    const run = await skiff(['analyze', '-f', 'warnings/gateway.yaml', '-f', 'clean'], root);
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /^warnings\/gateway\.yaml:4: warning: Gateway default\/lonely: metadata\.name: \[SKF0001\]/);
    assert.match(run.stdout, /\n⚠ 0 errors, 1 warning in 3 files\n$/);
  });

  test('no -f: ./config', async () => {
    const run = await skiff(['analyze'], root);
    assert.equal(run.code, 1, show(run));
    assert.match(run.stdout, /^config\/nested\/gateway\.yml:4: warning/);
  });

  test('--json: the issues with their codes, and the counts', async () => {
    const run = await skiff(['analyze', '-f', 'broken', '--json'], root);
    assert.equal(run.code, 1, show(run));
    const out = JSON.parse(run.stdout) as { issues: Array<Record<string, unknown>>; errors: number; warnings: number; files: number };
    assert.deepEqual({ errors: out.errors, warnings: out.warnings, files: out.files }, { errors: 1, warnings: 1, files: 3 });
    assert.deepEqual(
      out.issues.map((i) => [i['severity'], i['file'], i['line'], i['resource'], i['field'], i['code']]),
      [
        ['warning', 'broken/nested/gateway.yml', 4, 'Gateway default/lonely', 'metadata.name', 'SKF0001'],
        ['error', 'broken/reviews.yaml', 11, 'VirtualService default/reviews', 'spec.http[0].route[0].destination.subset', 'IST0101'],
      ],
    );
    const clean = await skiff(['analyze', '-f', 'clean', '--json'], root);
    assert.equal(clean.code, 0, show(clean));
    assert.deepEqual(JSON.parse(clean.stdout), { issues: [], errors: 0, warnings: 0, files: 2 });
  });

  test('usage errors exit 2 and say what to do', async () => {
    const missing = await skiff(['analyze', '-f', 'nope'], root);
    assert.equal(missing.code, 2, show(missing));
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /cannot read nope: no such file or directory; pass -f <file\|dir>/);

    const empty = await skiff(['analyze', '-f', 'empty'], root);
    assert.equal(empty.code, 2, show(empty));
    assert.match(empty.stderr, /no \*\.yaml, \*\.yml or \*\.json files in empty/);

    const flag = await skiff(['analyze', '--bogus'], root);
    assert.equal(flag.code, 2, show(flag));
    assert.match(flag.stderr, /Unknown option '--bogus'; see "skiff analyze --help"/);

    const url = await skiff(['analyze', '-f', 'clean', '--control-plane', 'localhost:15014'], root);
    assert.equal(url.code, 2, show(url));
    assert.match(url.stderr, /--control-plane must be an http:\/\/ URL/);
  });

  test('--help: exit 0 and the options', async () => {
    const run = await skiff(['analyze', '--help'], root);
    assert.equal(run.code, 0, show(run));
    for (const option of ['--filename', '--control-plane', '--use-registry', '--json']) assert.ok(run.stdout.includes(option), option);
  });
});

// reviews v1 and v2 (v2 not running), and a split whose second half goes to ratings (no workload).
const MESH = VS.replace('subset: v3', 'subset: v1') + '---\n' + DR + '    - name: v2\n      labels: { version: v2 }\n' + '---\n' + BAD_WEIGHTS.replace('60', '50').replace('host: ratings', 'host: reviews');
const lineOf = (text: string, needle: string, after = 0) => text.split('\n').findIndex((l, i) => i >= after && l.includes(needle)) + 1;

describe('skiff analyze --control-plane', () => {
  let root: string;
  let server: Server;
  let url: string;
  const requests: string[] = [];
  const workloads = [
    { id: 'reviews-v1.default', kind: 'sidecar', service: 'reviews', namespace: 'default', serviceAccount: 'reviews', labels: { app: 'reviews', version: 'v1' }, address: '127.0.0.1', inboundPort: 1, servicePort: 9080 },
    { id: 'gw.istio-system', kind: 'gateway', service: 'istio-ingressgateway', namespace: 'istio-system', serviceAccount: 'gw', labels: {}, address: '127.0.0.1', inboundPort: 2, servicePort: 80 },
  ];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'skiff-analyze-cp-'));
    mkdirSync(join(root, 'config'));
    writeFileSync(join(root, 'config', 'mesh.yaml'), MESH);
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.url === '/debug/registryz') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(workloads));
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(root, { recursive: true, force: true });
  });

  test("checks hosts and subset labels against the registry's services", async () => {
    const run = await skiff(['analyze', '--control-plane', url], root);
    assert.equal(run.code, 1, show(run));
    assert.ok(requests.includes('/debug/registryz'));
    const lines = run.stdout.trim().split('\n');
    assert.deepEqual(
      lines.slice(0, -1).map((l) => l.replace(/ \[[A-Z]+\d+\] .*/, (m) => m.slice(0, 10))),
      [
        `config/mesh.yaml:${lineOf(MESH, 'labels', lineOf(MESH, 'name: v2'))}: warning: DestinationRule default/reviews: spec.subsets[1].labels: [IST0173]`,
        `config/mesh.yaml:${lineOf(MESH, 'host: ratings')}: error: VirtualService default/ratings: spec.http[0].route[1].destination.host: [IST0101]`,
      ],
    );
    assert.match(lines[1] ?? '', /host ratings\.default\.svc\.cluster\.local is not a service in the registry/);
    assert.equal(lines.at(-1), `✖ 1 error, 1 warning in 1 file (with the registry of ${url}: 1 service)`);
  });

  test('without it the same files raise no registry finding', async () => {
    const run = await skiff(['analyze'], root);
    assert.equal(run.code, 0, show(run));
    assert.equal(run.stdout, '✔ No validation issues found when analyzing config/\n');
  });

  test('a control plane that does not answer: exit 2, saying how to go on', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const run = await skiff(['analyze', '--control-plane', `http://127.0.0.1:${port}`], root);
    assert.equal(run.code, 2, show(run));
    assert.match(run.stderr, /cannot reach the control plane at http:\/\/127\.0\.0\.1:\d+\/debug\/registryz \(ECONNREFUSED\)\. Start the mesh/);
  });

  test('only the URL origin counts; a server that is not a control plane: exit 2', async () => {
    const run = await skiff(['analyze', '--control-plane', `${url}/nothing-here/`], root);
    assert.equal(run.code, 1, show(run));
    const wrong = createServer((_req, res) => res.end('hello'));
    await new Promise<void>((resolve) => wrong.listen(0, '127.0.0.1', resolve));
    try {
      const bad = await skiff(['analyze', '--control-plane', `http://127.0.0.1:${(wrong.address() as AddressInfo).port}`], root);
      assert.equal(bad.code, 2, show(bad));
      assert.match(bad.stderr, /did not return a list of workloads/);
    } finally {
      await new Promise<void>((resolve) => wrong.close(() => resolve()));
    }
  });
});
