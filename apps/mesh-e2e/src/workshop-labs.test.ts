// Walks every workshop lab (docs/workshop/NN-*.md) as a learner would in local mode, in order, on
// one real mesh (see lab-walker.ts). Only what a learner's machine differs in is translated: the
// mesh's ports (the test's own, not `npm start`'s), its config directory, and the CLI's flags to
// find this mesh. The compose forms are walked by compose.test.ts.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fixedPorts, type MeshPorts } from '@skiff/launcher';
import { appAdmin, repoRoot, startTestMesh, type TestMesh } from '@skiff/testing';
import { labTests, type LabTarget } from './lab-walker.js';

const SKIFF = `node --import tsx ${join(repoRoot, 'bin/skiff.mjs')}`;

/** Every port `npm start` uses, mapped to the test mesh's port for the same thing. */
function portMap(from: MeshPorts, to: MeshPorts): Map<number, number> {
  const map = new Map<number, number>();
  for (const key of ['xds', 'monitoring', 'dashboard', 'gateway', 'gatewayTcp', 'gatewayHttps', 'externalStandin', 'gatewayAdmin', 'gatewayMetrics'] as const) map.set(from[key], to[key]);
  for (const [name, ports] of Object.entries(from.workloads)) {
    const mine = to.workloads[name];
    if (!mine) continue;
    for (const key of ['app', 'appAdmin', 'admin', 'outbound', 'inbound', 'metrics'] as const) map.set(ports[key], mine[key]);
  }
  return map;
}

describe('the workshop labs, walked as a learner would (local mode)', { timeout: 900_000 }, () => {
  let mesh: TestMesh;
  let target: LabTarget;
  before(async () => {
    mesh = await startTestMesh({ workshop: true }); // all that `npm start` runs: the labs use tcp-echo and the external stand-in
    const original = mkdtempSync(join(tmpdir(), 'skiff-lab-config-'));
    cpSync(mesh.configDir, original, { recursive: true });
    const ports = portMap(fixedPorts(0), mesh.plan.ports);
    const admin = (workload: string) => mesh.plan.urls.admin[workload] ?? assert.fail(`no admin URL for ${workload}`);
    target = {
      mode: 'local',
      mesh,
      originalConfig: original,
      translate: (script) =>
        script
          // localhost:<port> in URLs, /dev/tcp/localhost/<port> in bash's own TCP connections.
          .replace(/localhost([:/])(\d+)/g, (_, sep: string, port: string) => `127.0.0.1${sep}${ports.get(Number(port)) ?? assert.fail(`the lab uses localhost${sep}${port}, which npm start does not listen on`)}`)
          .replace(/git checkout config\/([\w.-]+)/g, (_, file: string) => `cp '${join(original, file)}' '${join(mesh.configDir, file)}'`)
          .replace(/npm run scenario -- ([\w-]+)/g, (_, name: string) => `${SKIFF} scenario run ${name} --config '${mesh.configDir}' --gateway ${mesh.gateway}/api/product/1 --control-plane ${mesh.controlPlane} --mesh-token-file '${mesh.state?.meshTokenFile ?? ''}'`)
          .replace(/npm run skiff -- proxy-config (\w+) ([\w-]+)/g, (_, kind: string, workload: string) => `${SKIFF} proxy-config ${kind} ${workload} --admin ${admin(workload)}`)
          .replace(/npm run skiff -- simulate /g, `${SKIFF} simulate --control-plane ${mesh.controlPlane} `)
          .replace(/npm run skiff -- (\S+)/g, (_, command: string) => assert.fail(`the walker does not know how to point "skiff ${command}" at the test mesh`))
          .replace(/(^|[\s'"=])config\//gm, `$1${mesh.configDir}/`)
          // npm start's state directory (CA, tokens, the labs' example certificates) is the test mesh's own.
          .replace(/(^|[\s'"=])\.skiff\//gm, `$1${mesh.state?.dir ?? assert.fail('the test mesh has no state directory')}/`),
      // A ServiceEntry's targetPort may name a port of this machine (the external stand-in's 9900).
      translateFile: (text) => text.replace(/targetPort: (\d+)/g, (whole, port: string) => (ports.has(Number(port)) ? `targetPort: ${ports.get(Number(port))}` : whole)),
      behaviour: (workload) => appAdmin(mesh, workload).behaviour(),
      resetBehaviour: async (workload) => {
        await appAdmin(mesh, workload).setBehaviour({ failPercent: 0, extraLatencyMs: 0 });
      },
    };
  });
  after(async () => {
    await mesh?.stop();
    if (target) rmSync(target.originalConfig, { recursive: true, force: true });
  });

  labTests(test, () => target);
});
