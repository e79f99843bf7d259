// The local mesh's plan: which processes, on which ports, with which flags; and the port tables
// the docs print for learners, read back against fixedPorts() so they cannot drift from it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { BOOKINFO_WORKLOADS, EXTERNAL_STANDIN_PORT, fixedPorts, GATEWAY_TCP_SERVER_PORT, meshPlan, SAMPLE_WORKLOADS } from './mesh-plan.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const ports = fixedPorts(0);
const plaintext = { ...ports, xdsPlaintext: 15010 };

function flag(args: readonly string[], name: string): string[] {
  return args.flatMap((a, i) => (a === name ? [args[i + 1] as string] : []));
}

describe('meshPlan', () => {
  const plan = meshPlan({ root, configDir: '/config', ports: plaintext });
  const all = plan.stages.flat();

  test('starts every sample workload and its sidecar, tcp-echo v1 and v2 among them', () => {
    for (const w of SAMPLE_WORKLOADS) {
      assert.ok(all.some((p) => p.name === w.name), `${w.name}'s app`);
      assert.ok(all.some((p) => p.name === `${w.name}-proxy`), `${w.name}'s sidecar`);
    }
    assert.deepEqual(SAMPLE_WORKLOADS.filter((w) => w.service === 'tcp-echo').map((w) => [w.version, w.env?.['PREFIX']]), [['v1', 'one'], ['v2', 'two']]);
  });

  test("tcp-echo's sidecars announce port 9000 named tcp and probe their app with a connect", () => {
    const sidecar = all.find((p) => p.name === 'tcp-echo-v2-proxy') ?? assert.fail('no tcp-echo-v2-proxy');
    assert.deepEqual(flag(sidecar.args, '--service-port'), ['9000']);
    assert.deepEqual(flag(sidecar.args, '--service-port-name'), ['tcp']);
    assert.deepEqual(flag(sidecar.args, '--app-probe'), ['tcp']);
    const app = all.find((p) => p.name === 'tcp-echo-v2') ?? assert.fail('no tcp-echo-v2');
    assert.equal(app.env?.['PREFIX'], 'two');
    assert.ok('logLine' in (app.ready ?? {}), 'tcp-echo serves no /healthz: ready when it says it listens');
  });

  test("the gateway binds Istio's TCP server port 31400 and HTTPS port 443 (on 8443) beside port 80", () => {
    const gateway = all.find((p) => p.name === 'gateway') ?? assert.fail('no gateway');
    assert.deepEqual(flag(gateway.args, '--listen'), [`${ports.gateway}:80`, `${ports.gatewayTcp}:${GATEWAY_TCP_SERVER_PORT}`, `8443:443`]);
    assert.deepEqual([fixedPorts(1000).gatewayTcp, fixedPorts(1000).gatewayHttps], [32400, 9443], '--port-offset moves them too');
  });

  test("my-nginx serves HTTPS on service port 443 named https, its example.com certificates in the state directory", () => {
    const sidecar = all.find((p) => p.name === 'my-nginx-proxy') ?? assert.fail('no my-nginx-proxy');
    assert.deepEqual([flag(sidecar.args, '--service-port'), flag(sidecar.args, '--service-port-name')], [['443'], ['https']]);
    const state = { dir: '/state', caDir: '/state/ca', tokensFile: '/state/tokens.json', meshTokenFile: '/state/mesh-token', tokenFiles: {} };
    const withState = meshPlan({ root, configDir: '/config', ports: plaintext, state }).stages.flat();
    assert.equal(withState.find((p) => p.name === 'my-nginx')?.env?.['CERT_DIR'], '/state/example-certs');
  });

  test('the external stand-in runs outside the mesh: no sidecar, no discovery flags, on 9900 (+ offset)', () => {
    const standin = all.find((p) => p.name === 'external-standin') ?? assert.fail('no external-standin');
    assert.equal(standin.env?.['PORT'], String(EXTERNAL_STANDIN_PORT));
    assert.ok(!standin.args.includes('--control-plane'));
    assert.ok(!all.some((p) => p.name === 'external-standin-proxy'));
    assert.equal(fixedPorts(1000).externalStandin, 10900);
    assert.ok(!meshPlan({ root, configDir: '/config', ports: plaintext, externalStandin: false }).stages.flat().some((p) => p.name === 'external-standin'));
  });

  test('samples narrows the plan to the workloads a test asks for', () => {
    const bookinfo = meshPlan({ root, configDir: '/config', ports: plaintext, samples: BOOKINFO_WORKLOADS }).stages.flat().map((p) => p.name);
    assert.ok(!bookinfo.some((name) => name.startsWith('tcp-echo')));
    assert.ok(bookinfo.includes('ratings-proxy'));
    assert.throws(() => meshPlan({ root, configDir: '/config', ports: plaintext, samples: BOOKINFO_WORKLOADS, appEnv: { 'tcp-echo-v1': {} } }), /appEnv names unknown workload\(s\) tcp-echo-v1/);
  });
});

/** Rows of a markdown table whose first cell is a workload, as {name: cells}. */
function tableRows(markdown: string, header: RegExp): Map<string, string[]> {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => header.test(l));
  assert.ok(start >= 0, `no table with header ${header}`);
  const rows = new Map<string, string[]>();
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    rows.set(cells[0] as string, cells.slice(1));
  }
  return rows;
}

describe("the docs' port tables match fixedPorts()", () => {
  const expected = (name: string) => {
    const p = ports.workloads[name] ?? assert.fail(`no ports for ${name}`);
    // Only reviews and ratings have demo controls (/admin/behaviour).
    const hasControls = ['reviews', 'ratings'].includes(SAMPLE_WORKLOADS.find((w) => w.name === name)?.app ?? '');
    return { app: String(p.app), controls: hasControls ? String(p.appAdmin) : '—', admin: String(p.admin), outbound: String(p.outbound), inbound: String(p.inbound), metrics: String(p.metrics) };
  };

  test('docs/workshop/README.md: app, demo controls, admin, outbound, inbound, metrics', () => {
    const rows = tableRows(readFileSync(join(root, 'docs/workshop/README.md'), 'utf8'), /^\| workload \| app \| demo controls/);
    assert.deepEqual([...rows.keys()], ['gateway', ...SAMPLE_WORKLOADS.map((w) => w.name), 'external-standin (outside the mesh)']);
    assert.deepEqual(rows.get('external-standin (outside the mesh)'), [String(ports.externalStandin), '—', '—', '—', '—', '—']);
    for (const w of SAMPLE_WORKLOADS) {
      const e = expected(w.name);
      assert.deepEqual(rows.get(w.name), [e.app, e.controls, e.admin, e.outbound, e.inbound, e.metrics], w.name);
    }
    assert.deepEqual(rows.get('gateway'), ['—', '—', String(ports.gatewayAdmin), '—', `${ports.gateway} (HTTP), ${ports.gatewayHttps} (HTTPS), ${ports.gatewayTcp} (TCP)`, String(ports.gatewayMetrics)]);
  });

  test('docs/architecture.md: app, demo controls, admin, outbound, inbound', () => {
    const rows = tableRows(readFileSync(join(root, 'docs/architecture.md'), 'utf8'), /^\| workload \| app \| app's demo controls/);
    assert.deepEqual([...rows.keys()], ['gateway', ...SAMPLE_WORKLOADS.map((w) => w.name)]);
    for (const w of SAMPLE_WORKLOADS) {
      const e = expected(w.name);
      assert.deepEqual(rows.get(w.name), [e.app, e.controls, e.admin, e.outbound, e.inbound], w.name);
    }
  });
});

test("a config directory's WorkloadEntries take the slots after the samples': admin 15800, 15900, …; more than fit is refused", () => {
  const ports = fixedPorts(0, ['orders-v1', 'orders-v2']);
  assert.deepEqual([ports.workloads['orders-v1']?.admin, ports.workloads['orders-v1']?.inbound, ports.workloads['orders-v2']?.admin], [15800, 15806, 15900]);
  assert.ok((ports.workloads['orders-v2']?.metrics ?? 0) < ports.dashboard, 'below the dashboard port');
  assert.throws(() => fixedPorts(0, Array.from({ length: 41 }, (_, i) => `w${i}`)), /skiff up starts at most 40 WorkloadEntries/);
});
