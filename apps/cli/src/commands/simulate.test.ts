// `skiff simulate` offline, run as a child process the way a user runs it: against the repo's
// own config, and against a temporary config with Istio's classic header match.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedPorts, freePort } from '@skiff/launcher';
import { headerMatchConfig } from '../test-fixtures.js';
import { repoRoot, runCli, show } from '../test-support.js';

const repoConfig = join(repoRoot, 'config');
const ports = fixedPorts();

/** A --port-offset that puts the control plane on a port nothing listens on. */
async function offsetWithNoControlPlane(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const offset = (await freePort()) - ports.monitoring;
    if (offset >= 0 && offset <= 40000) return offset;
  }
  throw new Error('found no free port within the --port-offset range');
}

describe('skiff simulate (offline)', { concurrency: 4 }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-simulate-'));
    writeFileSync(join(dir, 'reviews.yaml'), headerMatchConfig);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("repo config: frontend -> reviews takes the 90/10 split, with each subset's endpoint and the VirtualService's file:line", async () => {
    const run = await runCli(['simulate', 'GET', 'http://reviews:9080/reviews/1', '--from', 'frontend', '--config', repoConfig]);
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /Source: +offline: config .*config with the sample workloads/);
    assert.match(run.stdout, /From: +frontend\.default \(sidecar/);
    assert.match(run.stdout, /Route: +default\/reviews http\[0\]/);
    assert.match(run.stdout, /Defined in: +VirtualService default\/reviews, http\[0\] \(config\/reviews\.yaml:3\)/);
    const v1 = ports.workloads['reviews-v1']?.inbound;
    const v2 = ports.workloads['reviews-v2']?.inbound;
    assert.match(run.stdout, new RegExp(`outbound\\|9080\\|v1\\|reviews\\.default\\.svc\\.cluster\\.local +90 +90% +127\\.0\\.0\\.1:${v1} reviews-v1\\.default`));
    assert.match(run.stdout, new RegExp(`outbound\\|9080\\|v2\\|reviews\\.default\\.svc\\.cluster\\.local +10 +10% +127\\.0\\.0\\.1:${v2} reviews-v2\\.default`));
    assert.match(run.stdout, /✔ \[0\] default\/reviews http\[0\]: catch-all/);
  });

  test('repo config, --json: weights, shares and endpoints for machines', async () => {
    const run = await runCli(['simulate', 'GET', 'http://reviews:9080/reviews/1', '--from', 'frontend.default', '--config', repoConfig, '--json']);
    assert.equal(run.code, 0, show(run));
    const out = JSON.parse(run.stdout);
    assert.equal(out.matched, true);
    assert.equal(out.source.kind, 'offline');
    assert.equal(out.routeConfig, '9080');
    assert.equal(out.route.origin.virtualService, 'default/reviews');
    assert.deepEqual(
      out.route.destinations.map((d: { cluster: string; weight: number; percent: number; endpoints: Array<{ workload: string }> }) => [d.cluster, d.weight, d.percent, d.endpoints.map((e) => e.workload)]),
      [
        ['outbound|9080|v1|reviews.default.svc.cluster.local', 90, 90, ['reviews-v1.default']],
        ['outbound|9080|v2|reviews.default.svc.cluster.local', 10, 10, ['reviews-v2.default']],
      ],
    );
  });

  test('repo config: the gateway routes any host on port 80 to frontend through route config http.80', async () => {
    const run = await runCli(['simulate', 'GET', 'http://shop.example.com/api/product/1', '--from', 'gateway', '--config', repoConfig]);
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /From: +istio-ingressgateway\.istio-system \(gateway/);
    assert.match(run.stdout, /Route config: +"http\.80"/);
    assert.match(run.stdout, /Route: +default\/frontend http\[0\]/);
    assert.match(run.stdout, /\(config\/gateway\.yaml:18\)/);
    assert.match(run.stdout, /outbound\|9080\|\|frontend\.default\.svc\.cluster\.local +100 +100%/);
  });

  test('header match: end-user jason goes to v2 only, with the route timeout and fault shown', async () => {
    const run = await runCli(['simulate', 'GET', 'http://reviews:9080/reviews/1', '-H', 'end-user: jason', '--from', 'frontend', '--config', dir]);
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /Route: +default\/reviews http\[0\] \(testers\)/);
    assert.match(run.stdout, /Why: .*header end-user exact "jason"/);
    assert.match(run.stdout, /Timeout: +2s/);
    assert.match(run.stdout, /Fault delay: +1500ms for 25% of requests/);
    assert.match(run.stdout, /outbound\|9080\|v2\|reviews\.default\.svc\.cluster\.local +100 +100%/);
    assert.doesNotMatch(run.stdout, /\|v1\|reviews/);
    assert.match(run.stdout, /✔ \[0\] default\/reviews http\[0\] \(testers\)/);
    assert.match(run.stdout, /· \[1\] default\/reviews http\[1\]: also matches \(catch-all\)/);
  });

  test('header match: anyone else falls through to the split, and [0] says which header it wanted', async () => {
    const run = await runCli(['simulate', 'GET', 'http://reviews:9080/reviews/1', '-H', 'end-user: bob', '--from', 'frontend', '--config', dir, '--json']);
    assert.equal(run.code, 0, show(run));
    const out = JSON.parse(run.stdout);
    assert.equal(out.route.name, 'default/reviews http[1]');
    assert.deepEqual(out.route.destinations.map((d: { percent: number }) => d.percent), [75, 25]);
    assert.equal(out.verdicts[0].outcome, 'no-match');
    assert.equal(out.verdicts[0].reason, 'needs header end-user exact "jason", but header end-user is "bob"');
    assert.equal(out.verdicts[1].outcome, 'selected');
  });

  test('no route in the virtual host: exit 1 with the reason and the 404 the sidecar gives', async () => {
    const run = await runCli(['simulate', 'GET', 'http://ratings:9080/other', '--from', 'reviews-v1', '--config', dir]);
    assert.equal(run.code, 1, show(run));
    assert.match(run.stdout, /✘ No route: .*none of its 2 routes match/);
    assert.match(run.stdout, /404 \(NR/);
    assert.match(run.stdout, /✘ \[0\] default\/ratings http\[0\] \(from-v2\): needs source labels version=v2, but source label version is "v1"/);
    assert.match(run.stdout, /✘ \[1\] default\/ratings http\[1\]: needs uri prefix "\/ratings", but path is "\/other"/);
  });

  test("the caller's labels count: a sourceLabels match applies from reviews-v2 and not from reviews-v1", async () => {
    const args = ['simulate', 'GET', 'http://ratings:9080/ratings/1', '--config', dir, '--json'];
    const [fromV2, fromV1] = await Promise.all([runCli([...args, '--from', 'reviews-v2']), runCli([...args, '--from', 'reviews-v1'])]);
    assert.equal(fromV2.code, 0, show(fromV2));
    assert.equal(fromV1.code, 0, show(fromV1));
    const v2 = JSON.parse(fromV2.stdout);
    const v1 = JSON.parse(fromV1.stdout);
    assert.equal(v2.route.name, 'default/ratings http[0] (from-v2)');
    assert.equal(v2.route.timeoutMs, 500);
    assert.equal(v1.route.name, 'default/ratings http[1]');
    assert.equal(v1.route.timeoutMs, undefined);
  });

  test('a host the mesh does not know: exit 1, passed through by the sidecar', async () => {
    const run = await runCli(['simulate', 'GET', 'http://example.com:9080/', '--from', 'frontend', '--config', dir, '--json']);
    assert.equal(run.code, 1, show(run));
    const out = JSON.parse(run.stdout);
    assert.equal(out.matched, false);
    assert.equal(out.outcome, 'no-virtual-host');
    assert.match(out.reason, /no virtual host in route config "9080" has a domain matching "example\.com:9080"/);
    assert.match(out.effect, /PassthroughCluster/);
  });

  test('a port no service has: no route config, exit 1', async () => {
    const run = await runCli(['simulate', 'GET', 'http://reviews/reviews/1', '--from', 'frontend', '--config', dir]);
    assert.equal(run.code, 1, show(run));
    assert.match(run.stdout, /has no route config "80"/);
  });

  test('without --config or --control-plane and no control plane running, ./config is read and the output says so', async () => {
    const offset = await offsetWithNoControlPlane();
    const run = await runCli(['simulate', 'GET', 'http://reviews:9080/', '--from', 'reviews-v2', '--port-offset', String(offset)], { cwd: repoRoot });
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, new RegExp(`offline: config .*config with the sample workloads \\(no control plane at http://127\\.0\\.0\\.1:${ports.monitoring + offset}\\)`));
    // the offset moves the offline endpoints too, as `skiff up --port-offset` would
    assert.match(run.stdout, new RegExp(`127\\.0\\.0\\.1:${(ports.workloads['reviews-v1']?.inbound ?? 0) + offset} reviews-v1\\.default`));
  });

  describe('bad input exits 2 with a message', { concurrency: 3 }, () => {
    const cases: Array<[string, string[], RegExp]> = [
      ['a URL that is not absolute', ['GET', 'reviews:9080/x'], /is not an absolute http:\/\/ URL/],
      ['a bad port', ['GET', 'http://reviews:99999/'], /not a valid URL|bad port/],
      ['a header without a colon', ['GET', 'http://reviews:9080/', '-H', 'end-user jason'], /bad header "end-user jason": write it as -H 'name: value'/],
      ['an unknown workload', ['GET', 'http://reviews:9080/', '--from', 'productpage'], /unknown workload "productpage"; known workloads: gateway \(istio-ingressgateway\.istio-system\), frontend \(frontend\.default\), reviews-v1/],
      ['an ambiguous workload', ['GET', 'http://reviews:9080/', '--from', 'reviews'], /"reviews" matches reviews-v1\.default, reviews-v2\.default/],
      ['a missing URL', ['GET'], /expected <METHOD> <url>/],
      ['a missing config directory', ['GET', 'http://reviews:9080/', '--config', '/nonexistent/skiff'], /config directory \/nonexistent\/skiff does not exist/],
    ];
    for (const [what, args, message] of cases) {
      test(what, async () => {
        const run = await runCli(['simulate', ...args, ...(args.includes('--config') ? [] : ['--config', repoConfig])]);
        assert.equal(run.code, 2, show(run));
        assert.match(run.stderr, message);
        assert.equal(run.stdout, '');
      });
    }
  });

  test('a --control-plane that is not running: exit 1 with what to do', async () => {
    const offset = await offsetWithNoControlPlane();
    const run = await runCli(['simulate', 'GET', 'http://reviews:9080/', '--control-plane', `http://127.0.0.1:${ports.monitoring + offset}`]);
    assert.equal(run.code, 1, show(run));
    assert.match(run.stderr, /ECONNREFUSED.*is the mesh running\? start it with `npm start`/);
  });
});
