// What a mesh must survive under steady traffic: an app dying behind its live sidecar (its
// endpoint must leave every proxy within 2 s) and the control plane killed with SIGKILL and
// started again (no request may fail; proxies keep their config and the restarted control
// plane pushes the endpoints it knew until their proxies are back).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterName, serviceFqdn } from '@skiff/api';
import { applyConfig, getJson, startTestMesh, waitFor, type TestMesh } from '@skiff/testing';
import { destinationRuleYaml, gatewayYaml, reviewsVirtualService, type Product } from './fixtures.js';

const REVIEWS = clusterName('outbound', 9080, undefined, serviceFqdn('reviews', 'default'));

// reviews by its service, no subset: both versions serve, so a dead one has a healthy twin.
const reviewsAnyVersion = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: { host: reviews }
`;

interface Outcome {
  at: number;
  ms: number;
  status: number;
  version?: string;
}

/** Requests through the gateway, `perSecond` of them, until stopped; every outcome kept. */
function steadyLoad(mesh: TestMesh, perSecond: number) {
  const outcomes: Outcome[] = [];
  let running = true;
  const pending = new Set<Promise<void>>();
  const one = async () => {
    const at = Date.now();
    try {
      const res = await getJson<Product>(`${mesh.gateway}/api/product/1`);
      outcomes.push({ at, ms: Date.now() - at, status: res.status, version: res.body.reviewsVersion });
    } catch (error) {
      outcomes.push({ at, ms: Date.now() - at, status: 0, version: String(error) });
    }
  };
  const loop = (async () => {
    while (running) {
      const p = one();
      pending.add(p);
      void p.finally(() => pending.delete(p));
      await new Promise((r) => setTimeout(r, 1000 / perSecond));
    }
  })();
  return {
    outcomes,
    async stop() {
      running = false;
      await loop;
      await Promise.all(pending); // a second call finds both settled
    },
  };
}

const p50 = (outcomes: Outcome[]) => [...outcomes.map((o) => o.ms)].sort((a, b) => a - b)[Math.floor(outcomes.length / 2)];
const failures = (outcomes: Outcome[]) => outcomes.filter((o) => o.status !== 200);
const describeFailures = (list: Outcome[]) => list.map((o) => `${new Date(o.at).toISOString().slice(17, 23)} ${o.status} ${o.version ?? ''}`).join('; ');

describe('local mesh: resilience under steady load', () => {
  let mesh: TestMesh;
  before(async () => {
    mesh = await startTestMesh({ config: { 'gateway.yaml': gatewayYaml, 'reviews-dr.yaml': destinationRuleYaml, 'reviews-vs.yaml': reviewsAnyVersion } });
  });
  after(async () => {
    await mesh?.stop();
  });

  test("an app killed behind its live sidecar: its endpoint is unhealthy in every proxy within 2 s, and traffic goes to the healthy one", async (t) => {
    const load = steadyLoad(mesh, 40);
    t.after(() => load.stop());
    await new Promise((r) => setTimeout(r, 1_500));
    const killedAt = Date.now();
    await mesh.supervisor.stop('reviews-v2', { signal: 'SIGKILL' });
    const markedIn: Record<string, number> = {};
    await waitFor(
      'every proxy to mark reviews-v2 unhealthy',
      async () => {
        for (const [proxy, admin] of Object.entries(mesh.admin)) {
          if (markedIn[proxy] !== undefined) continue;
          const { body } = await getJson<Array<{ name: string; endpoints: Array<{ workload: string; health: string }> }>>(`${admin}/clusters`);
          const v2 = body.find((c) => c.name === REVIEWS)?.endpoints.find((e) => e.workload === 'reviews-v2.default');
          if (v2?.health === 'UNHEALTHY') markedIn[proxy] = Date.now() - killedAt;
        }
        return Object.keys(markedIn).length === Object.keys(mesh.admin).length;
      },
      5_000,
    );
    await new Promise((r) => setTimeout(r, 3_000));
    await load.stop();
    const slowest = Math.max(...Object.values(markedIn));
    assert.ok(slowest < 2_000, `marked unhealthy after ${JSON.stringify(markedIn)} ms`);
    const failed = failures(load.outcomes);
    const inFlightAtKill = load.outcomes.filter((o) => o.at <= killedAt && o.at + o.ms >= killedAt).length;
    t.diagnostic(`marked unhealthy after ${JSON.stringify(markedIn)} ms; ${failed.length} of ${load.outcomes.length} requests failed, ${inFlightAtKill} in flight at the kill, p50 ${p50(load.outcomes)} ms`);
    assert.ok(failed.length <= inFlightAtKill, `${failed.length} failed requests, ${inFlightAtKill} were in flight at the kill: ${describeFailures(failed)}`);
    const afterwards = load.outcomes.filter((o) => o.at > killedAt + slowest + 200);
    assert.ok(afterwards.length > 50);
    assert.deepEqual(new Set(afterwards.map((o) => `${o.status} ${o.version}`)), new Set(['200 v1']), 'only the healthy version answers');

    // Started again, it is healthy again everywhere and takes traffic.
    await mesh.supervisor.start(mesh.supervisor.get('reviews-v2')?.spec as NonNullable<ReturnType<TestMesh['supervisor']['get']>>['spec']);
    await waitFor('v2 to answer again', async () => (await getJson<Product>(`${mesh.gateway}/api/product/1`)).body.reviewsVersion === 'v2', 10_000);
  });

  test('the control plane killed with SIGKILL and started again: no request fails, and a config change afterwards applies', async (t) => {
    const load = steadyLoad(mesh, 40);
    // Stopped however the test ends: a load left running keeps the file's process alive until the runner's timeout.
    t.after(() => load.stop());
    await new Promise((r) => setTimeout(r, 1_500));
    const spec = mesh.supervisor.get('control-plane')?.spec;
    assert.ok(spec);
    await mesh.supervisor.stop('control-plane', { signal: 'SIGKILL' });
    await new Promise((r) => setTimeout(r, 1_000));
    // The restart's own start-up is not what this test checks (the proxies' behaviour around it
    // is), and from source under tsx it is slow on a busy machine: 3 to 5 s alone here, 6.5 to
    // 7.5 s beside a heavy file. A minute, not the 20 s a person waits for `skiff up`.
    await mesh.supervisor.start({ ...spec, readyTimeoutMs: 60_000 });
    const restartedAt = Date.now(); // ready: from here the proxies' backoff (capped at 2 s) decides
    await waitFor(
      'every proxy to reconnect to the restarted control plane',
      async () => {
        const { body } = await getJson<Array<{ synced: boolean }>>(`${mesh.controlPlane}/debug/syncz`);
        return body.length === 5 && body.every((s) => s.synced);
      },
      15_000,
    );
    const reconnectedIn = Date.now() - restartedAt;
    await new Promise((r) => setTimeout(r, 2_000));
    await load.stop();
    t.diagnostic(`${failures(load.outcomes).length} of ${load.outcomes.length} requests failed (p50 ${p50(load.outcomes)} ms); proxies reconnected ${reconnectedIn} ms after the restarted control plane was ready`);
    assert.ok(load.outcomes.length > 150);
    assert.deepEqual(failures(load.outcomes), [], `failed: ${describeFailures(failures(load.outcomes))}`);
    assert.ok(reconnectedIn < 4_000, `proxies reconnected ${reconnectedIn} ms after the restarted control plane was ready (backoff capped at 2 s)`);

    await applyConfig(mesh, { 'reviews-vs.yaml': reviewsVirtualService(0, 100) });
    await waitFor('the new config (v2 only) in force', async () => (await getJson<Product>(`${mesh.gateway}/api/product/1`)).body.reviewsVersion === 'v2', 10_000);
    const after = await Promise.all(Array.from({ length: 20 }, () => getJson<Product>(`${mesh.gateway}/api/product/1`)));
    assert.deepEqual(new Set(after.map((r) => `${r.status} ${r.body.reviewsVersion}`)), new Set(['200 v2']));
  });
});
