// `skiff up`: the whole local mesh on loopback, one command, Ctrl-C to stop.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { meshStateDir, configuredAccounts, DEFAULT_RESTART_POLICY, fixedPorts, GATEWAY_ACCOUNT, meshInfoOf, readConfiguredWorkloads, SAMPLE_WORKLOADS, writeMeshInfo, type ConfiguredWorkloads, installSignalHandlers, meshAccounts, meshPlan, prepareMeshState, Supervisor } from '@skiff/launcher';

export const UP_HELP = `usage: skiff up [--config <dir>] [--port-offset <n>] [--no-samples]

Starts the local mesh on loopback, no Docker: the control plane, the ingress gateway, and the
sample apps (frontend, reviews v1 and v2, ratings; the workshop's tcp-echo v1 and v2 and
my-nginx) each with its sidecar, and a stand-in for an outside host on 9900 (no sidecar). The
gateway takes Gateway ports 80 on 8080, 443 on 8443 and 31400 on 31400. A process that crashes
is started again, with a growing pause between tries (0.5 s up to 30 s). Ctrl-C stops it all.

  --config <dir>       Istio YAML to load and watch (default: ./config)
  --port-offset <n>    add n to every port, to run two meshes on one machine (e.g. 1000; default: 0)
  --no-samples         start only the control plane and the gateway; your own services join
                       with "skiff run" (see docs/your-services.md)

Your own services: each WorkloadEntry in the config directory gets a sidecar, and the process
its skiff.dev/command annotation names is started too (see docs/your-services.md). They are read
when skiff up starts; add one later with "skiff run".
  -h, --help           this text`;

export async function up(argv: string[], root: string): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string' }, 'port-offset': { type: 'string' }, 'no-samples': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    console.log(UP_HELP);
    return 0;
  }
  const configDir = resolve(values.config ?? 'config');
  if (!existsSync(configDir)) {
    console.error(`skiff up: config directory ${configDir} does not exist; pass --config <dir> (the repo ships one in ./config)`);
    return 2;
  }
  const offset = Number(values['port-offset'] ?? 0);
  if (!Number.isInteger(offset) || offset < 0 || offset > 40000) {
    console.error(`skiff up: --port-offset must be a whole number 0-40000, got "${values['port-offset']}"`);
    return 2;
  }
  // CA root and bootstrap tokens live in .skiff/ (kept across runs; `rm -rf .skiff` starts a new trust domain root).
  const noSamples = values['no-samples'] === true;
  // The user's own workloads, declared as WorkloadEntries in the config directory.
  let configured: ConfiguredWorkloads;
  try {
    configured = readConfiguredWorkloads(configDir, { reserved: noSamples ? [] : SAMPLE_WORKLOADS.map((w) => w.name) });
  } catch (error) {
    console.error(`skiff up: cannot read ${configDir}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  for (const problem of configured.problems) console.warn(`skiff up: ${problem}`);
  const own = configured.workloads;
  let ports;
  try {
    ports = fixedPorts(offset, own.map((w) => w.name));
  } catch (error) {
    console.error(`skiff up: ${(error as Error).message}`);
    return 2;
  }
  const state = prepareMeshState(meshStateDir(offset), [...(noSamples ? [GATEWAY_ACCOUNT] : meshAccounts()), ...configuredAccounts(own)]);
  const plan = meshPlan({ root, configDir, ports, state, configured: own, ...(noSamples ? { samples: [], externalStandin: false } : {}) });
  // A crashed process is started again (0.5 s, 1 s, 2 s, ... up to 30 s between tries); the
  // rest of the mesh keeps running meanwhile, proxies on their last config.
  const supervisor = new Supervisor({ prefixOutput: true, restartOnExit: DEFAULT_RESTART_POLICY });
  installSignalHandlers(supervisor);
  const total = plan.stages.flat().length;
  console.log(`skiff: starting ${total} processes with config from ${configDir}`);
  const started = Date.now();
  try {
    await supervisor.startAll(plan.stages);
  } catch (error) {
    console.error(`\nskiff up: ${error instanceof Error ? error.message : String(error)}`);
    console.error('Stopping what was started. If a port is in use, stop the other process or use --port-offset.');
    await supervisor.stopAll();
    return 1;
  }
  const { urls } = plan;
  // What `skiff run` and `skiff ls` read to find this mesh.
  writeMeshInfo(meshInfoOf(plan, state, configDir));
  const ownLines = own.map((w) => `  ${w.name.padEnd(17)}  http://${w.service}:${w.servicePort}  ${w.command ? `(${w.command})` : `(fronting ${w.appHost}:${w.appPort})`}`);
  const firstLines = noSamples
    ? `  join the mesh      skiff run --name <workload> --service <service> --port <port> -- <command>
  workloads          skiff ls`
    : `  open the app       ${urls.gateway}/            (via the ingress gateway)
  product JSON       ${urls.gateway}/api/product/1`;
  console.log(`
✔ mesh ready in ${((Date.now() - started) / 1000).toFixed(1)} s

${firstLines}${ownLines.length > 0 ? `\n\n  your workloads (WorkloadEntries)\n${ownLines.join('\n')}\n` : ''}
  dashboard          ${urls.dashboard}/            (live graph, config, proxies, traces)
  control plane      ${urls.controlPlane}/debug/configz   /debug/syncz   /metrics
  metrics            ${urls.metrics['istio-ingressgateway']} (and each proxy; prometheus --config.file=prometheus.yml)
  proxy admin        ${Object.entries(urls.admin).map(([name, url]) => `${name} ${url}/config_dump`).join('\n                     ')}
  config             ${configDir}  (edit and save: changes apply live)

Ctrl-C stops everything.`);
  await new Promise(() => undefined); // run until a signal; installSignalHandlers exits
  return 0;
}
