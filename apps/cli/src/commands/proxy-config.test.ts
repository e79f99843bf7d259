// `skiff proxy-config` and `skiff simulate --control-plane` against one real local mesh (the
// same processes `skiff up` starts, on ephemeral ports), run as child processes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkloadInfo } from '@skiff/api';
import { freePort } from '@skiff/launcher';
import { getJson, startTestMesh, type TestMesh } from '@skiff/testing';
import { headerMatchConfig } from '../test-fixtures.js';
import { repoRoot, runCli, show } from '../test-support.js';

const fqdn = (service: string) => `${service}.default.svc.cluster.local`;

describe('skiff proxy-config and simulate against a running mesh', { concurrency: 4 }, () => {
  let mesh: TestMesh;
  let registry: WorkloadInfo[];
  const inboundOf = (id: string) => registry.find((w) => w.id === id)?.inboundPort;

  before(async () => {
    mesh = await startTestMesh({ config: { 'gateway.yaml': readFileSync(join(repoRoot, 'config/gateway.yaml'), 'utf8'), 'reviews.yaml': headerMatchConfig } });
    registry = (await getJson<WorkloadInfo[]>(`${mesh.controlPlane}/debug/registryz`)).body;
  });
  after(async () => {
    await mesh?.stop();
  });

  const admin = (workload: string) => {
    const url = mesh.admin[workload];
    assert.ok(url, `test mesh has no admin URL for ${workload}: ${Object.keys(mesh.admin).join(', ')}`);
    return url;
  };

  test('routes: one row per route with domains, match and VirtualService, as istioctl prints them', async () => {
    const run = await runCli(['proxy-config', 'routes', 'frontend', '--admin', admin('frontend')]);
    assert.equal(run.code, 0, show(run));
    const lines = run.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^NAME +DOMAINS +MATCH +VIRTUAL SERVICE$/);
    assert.ok(lines.some((l) => /^9080 +reviews, reviews\.default \+ 6 more +header end-user exact "jason" +reviews\.default$/.test(l)), run.stdout);
    assert.ok(lines.some((l) => /^9080 +reviews, reviews\.default \+ 6 more +\/\* +reviews\.default$/.test(l)), run.stdout);
    assert.ok(lines.some((l) => /^9080 +ratings, ratings\.default \+ 6 more +uri prefix "\/ratings" +ratings\.default$/.test(l)), run.stdout);
    assert.ok(lines.some((l) => /^9080 +frontend, frontend\.default \+ 6 more +\/\* +-$/.test(l)), 'frontend has no VirtualService: a default route');
    // aligned: every column starts at the same offset on every line
    const at = lines[0]?.indexOf('MATCH') ?? -1;
    for (const l of lines.slice(1)) assert.ok(l[at - 1] === ' ' && l[at] !== ' ', `MATCH cell not at column ${at}: ${JSON.stringify(l)}`);
  });

  test('routes of the gateway: route config http.80 for any host', async () => {
    const run = await runCli(['proxy-config', 'routes', 'gateway', '--admin', admin('istio-ingressgateway')]);
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /^http\.80 +\* +\/\* +frontend\.default$/m);
  });

  test('clusters: service, port, subset and endpoint count from the live snapshot', async () => {
    const run = await runCli(['proxy-config', 'clusters', 'frontend', '--admin', admin('frontend')]);
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /^SERVICE FQDN +PORT +SUBSET +DIRECTION +ENDPOINTS$/m);
    assert.match(run.stdout, new RegExp(`^${fqdn('reviews')} +9080 +- +outbound +2$`, 'm'));
    assert.match(run.stdout, new RegExp(`^${fqdn('reviews')} +9080 +v1 +outbound +1$`, 'm'));
    assert.match(run.stdout, new RegExp(`^${fqdn('reviews')} +9080 +v2 +outbound +1$`, 'm'));
    assert.match(run.stdout, new RegExp(`^${fqdn('ratings')} +9080 +- +outbound +1$`, 'm'));
  });

  test('endpoints: the inbound address each proxy announced, healthy, per cluster', async () => {
    const run = await runCli(['proxy-config', 'endpoints', 'reviews-v1', '--admin', admin('reviews-v1')]);
    assert.equal(run.code, 0, show(run));
    const v2 = inboundOf('reviews-v2.default');
    const ratings = inboundOf('ratings.default');
    assert.ok(v2 && ratings, JSON.stringify(registry));
    assert.match(run.stdout, /^ENDPOINT +STATUS +CLUSTER +WORKLOAD$/m);
    assert.match(run.stdout, new RegExp(`^127\\.0\\.0\\.1:${v2} +HEALTHY +outbound\\|9080\\|v2\\|${fqdn('reviews')} +reviews-v2\\.default$`, 'm'));
    assert.match(run.stdout, new RegExp(`^127\\.0\\.0\\.1:${ratings} +HEALTHY +outbound\\|9080\\|\\|${fqdn('ratings')} +ratings\\.default$`, 'm'));
  });

  test('secret: the workload certificate, its SPIFFE identity and the inbound mTLS state', async () => {
    const run = await runCli(['proxy-config', 'secret', 'frontend', '--admin', admin('frontend')]);
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /^RESOURCE NAME +TYPE +STATUS +VALID CERT/m);
    assert.match(run.stdout, /^default +Cert Chain +ACTIVE +true /m);
    assert.match(run.stdout, /identity +spiffe:\/\/cluster\.local\/ns\/default\/sa\/frontend/);
    assert.match(run.stdout, /PeerAuthentication PERMISSIVE/);
    assert.doesNotMatch(run.stdout, /PRIVATE KEY/);
  });

  test('listeners and --json: the ports the proxy bound', async () => {
    const run = await runCli(['proxy-config', 'listeners', 'gateway', '--admin', admin('istio-ingressgateway'), '--json']);
    assert.equal(run.code, 0, show(run));
    const rows = JSON.parse(run.stdout) as Array<{ name: string; port: number }>;
    assert.deepEqual(rows.find((r) => r.name === 'gateway:80')?.port, Number(new URL(mesh.gateway).port));
    assert.deepEqual(rows.find((r) => r.name === 'admin')?.port, Number(new URL(admin('istio-ingressgateway')).port));
  });

  test('simulate --control-plane: jason from frontend goes to v2, at the endpoint reviews-v2 announced', async () => {
    const run = await runCli(['simulate', 'GET', 'http://reviews:9080/reviews/1', '-H', 'end-user: jason', '--from', 'frontend', '--control-plane', mesh.controlPlane]);
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, new RegExp(`Source: +control plane ${mesh.controlPlane.replace(/\./g, '\\.')}, snapshot [0-9a-f]{12}`));
    assert.match(run.stdout, /Route: +default\/reviews http\[0\] \(testers\)/);
    assert.match(run.stdout, /Defined in: +VirtualService default\/reviews, http\[0\] "testers" \(.*reviews\.yaml:\d+\)/);
    assert.match(run.stdout, new RegExp(`outbound\\|9080\\|v2\\|${fqdn('reviews')} +100 +100% +127\\.0\\.0\\.1:${inboundOf('reviews-v2.default')} reviews-v2\\.default`));
  });

  test('simulate --control-plane: the snapshot version is the one the proxy has in force', async () => {
    const run = await runCli(['simulate', 'GET', 'http://any.host/', '--from', 'gateway', '--control-plane', mesh.controlPlane, '--json']);
    assert.equal(run.code, 0, show(run));
    const out = JSON.parse(run.stdout);
    const dump = (await getJson<{ snapshot: { version: string } }>(`${admin('istio-ingressgateway')}/config_dump`)).body;
    assert.equal(out.source.kind, 'control-plane');
    assert.equal(out.source.version, dump.snapshot.version);
    assert.equal(out.proxy.id, 'istio-ingressgateway.istio-system');
    assert.equal(out.route.destinations[0].cluster, `outbound|9080||${fqdn('frontend')}`);
  });

  test('simulate --control-plane: an unknown workload lists the connected ones (exit 2)', async () => {
    const run = await runCli(['simulate', 'GET', 'http://reviews:9080/', '--from', 'productpage', '--control-plane', mesh.controlPlane]);
    assert.equal(run.code, 2, show(run));
    assert.match(run.stderr, /unknown workload "productpage"; known workloads: .*frontend \(frontend\.default\)/);
  });
});

describe('skiff proxy-config without a mesh', () => {
  test('an admin port nobody listens on: exit 1 and how to start the mesh', async () => {
    const run = await runCli(['proxy-config', 'routes', 'frontend', '--admin', `http://127.0.0.1:${await freePort()}`]);
    assert.equal(run.code, 1, show(run));
    assert.match(run.stderr, /cannot read the config of frontend .*ECONNREFUSED.*is the mesh running\? start it with `npm start`/);
  });

  test('an unknown workload or config type: exit 2', async () => {
    const unknown = await runCli(['proxy-config', 'routes', 'productpage']);
    assert.equal(unknown.code, 2, show(unknown));
    assert.match(unknown.stderr, /unknown workload "productpage"; known workloads: gateway/);
    const kind = await runCli(['proxy-config', 'secrets', 'frontend']);
    assert.equal(kind.code, 2, show(kind));
    assert.match(kind.stderr, /unknown config type "secrets"; choose one of routes, clusters, endpoints, listeners, secret, all/);
  });
});
