import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot, runCli, show } from '../test-support.js';

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: { name: ratings }
spec:
  selector: { matchLabels: { app: ratings } }
  template:
    metadata: { labels: { app: ratings, version: v1 } }
    spec:
      containers:
        - { name: ratings, image: skiff/ratings:dev }
`;

test('skiff inject -f: the injected manifests on stdout, what was done on stderr; -o writes a file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-inject-'));
  const file = join(dir, 'ratings.yaml');
  writeFileSync(file, DEPLOYMENT);
  const run = await runCli(['inject', '-f', file, '--transparent', '--proxy-image', 'example/skiff-proxy:1']);
  assert.equal(run.code, 0, show(run));
  assert.match(run.stdout, /name: skiff-proxy\n\s+image: example\/skiff-proxy:1/);
  assert.match(run.stdout, /name: skiff-init/);
  assert.match(run.stderr, /skiff inject: Deployment\/ratings: injected \(sidecar \+ init container\)/);
  const out = join(dir, 'out.yaml');
  const written = await runCli(['inject', '-f', file, '-o', out]);
  assert.equal(written.code, 0, show(written));
  assert.equal(written.stdout, '');
  assert.match(readFileSync(out, 'utf8'), /SKIFF_OUTBOUND_PROXY/);
});

test('skiff inject -f - reads stdin, so it pipes like istioctl kube-inject', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'bin/skiff.mjs'), 'inject', '-f', '-'], { input: DEPLOYMENT, encoding: 'utf8', cwd: repoRoot });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /name: skiff-proxy/);
});

test('skiff inject: usage errors say what to do (exit 2); a manifest that cannot be injected says why (exit 1)', async () => {
  const none = await runCli(['inject']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /give the manifests with -f <file>/);
  const missing = await runCli(['inject', '-f', '/nonexistent/x.yaml']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /-f \/nonexistent\/x.yaml: no such file/);
  const dir = mkdtempSync(join(tmpdir(), 'skiff-inject-'));
  const unlabelled = join(dir, 'bad.yaml');
  writeFileSync(unlabelled, DEPLOYMENT.replace('labels: { app: ratings, version: v1 }', 'labels: { version: v1 }'));
  const bad = await runCli(['inject', '-f', unlabelled]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Deployment\/ratings: the pod template has no "app" label/);
  const help = await runCli(['inject', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /like istioctl kube-inject/);
});
