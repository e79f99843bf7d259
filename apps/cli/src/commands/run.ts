// `skiff run`: one process of the user's own, with a sidecar in front of it, joined to the running
// local mesh, and taken out again when it ends (like `linkerd inject` or `consul connect proxy`,
// for a laptop). Without a command, the sidecar fronts a port that already listens.
import { resolve } from 'node:path';
import { meshStateDir, addJoinedToken, connectProblem, freePorts, meshLink, outboundProxyEnv, readMeshInfo, removeJoinedToken, sidecarSpec, Supervisor, type MeshInfo, type ProcessSpec } from '@skiff/launcher';
import { getJson, UnreachableError } from '../http-json.js';
import { parsePortOffset } from '../local-mesh.js';
import { parseJoinFlags, type JoinFlags } from './run-flags.js';

export const RUN_HELP = `usage: skiff run --name <workload> --service <service> --port <port> [options] [-- <command> [args...]]

Starts a process of your own with a sidecar in front of it and joins the local mesh that
"skiff up" (or "skiff up --no-samples") runs. Callers in the mesh reach it as
http://<service>:<port>; what it calls goes out through its sidecar (HTTP_PROXY, HTTPS_PROXY and
grpc_proxy are set for it). Ctrl-C, or the process ending, takes it out of the mesh again.
Without a command, the sidecar fronts whatever already listens on 127.0.0.1:<app-port>.

  skiff run --name orders-v1 --service orders --port 7000 -- node server.js
  skiff run --name orders-v2 --service orders --version v2 --port 7000 --app-port 7001 -- python3 app.py

  --name <name>          workload name, unique in the mesh (letters, digits, -)
  --service <service>    the service it serves
  --port <port>          the port callers name (http://<service>:<port>)
  --app-port <port>      where your process listens on 127.0.0.1; it gets it as PORT (default:
                         --port; two versions on one machine need two app ports)
  --version <v>          its version label, for DestinationRule subsets (default: v1)
  --port-name <name>     the port's name, whose prefix is its protocol as in Istio: http, http2,
                         grpc-<x>, tcp, tls, https (default: unnamed, sniffed per connection)
  --sa <name>            its service account, the identity policies name (default: the service)
  --namespace <ns>       (default: the mesh's, "default")
  --label k=v            another workload label (repeatable)
  --probe <probe>        how the sidecar checks your process: http:/<path>, tcp or none
                         (default: tcp)
  --env K=V              more environment for your process (repeatable)
  --cwd <dir>            your process's working directory (default: this one)
  --ready-timeout <s>    how long your process may take to listen (default: 60)
  --state-dir <dir>      the mesh's state directory (default: ./.skiff, or ./.skiff-<n> with
                         --port-offset <n>)
  --port-offset <n>      the mesh was started with "skiff up --port-offset <n>"
  -h, --help             this text

Exit status: your process's, 1 when it could not join (the reason is printed), 2 on usage errors.`;

const listening = async (port: number): Promise<boolean> => (await connectProblem('127.0.0.1', port)) === undefined;

/** A connected proxy with this id already serves: two with one name would fight over it. */
async function nameTaken(mesh: MeshInfo, id: string): Promise<boolean> {
  const connected = await getJson<Array<{ proxy: string }>>(`${mesh.monitoring}/debug/syncz`);
  return connected.some((c) => c.proxy === id);
}

export async function run(argv: string[], root: string): Promise<number> {
  let flags: JoinFlags | 'help';
  try {
    flags = parseJoinFlags(argv);
  } catch (error) {
    console.error(`skiff run: ${error instanceof Error ? error.message : String(error)}\n(see skiff run --help)`);
    return 2;
  }
  if (flags === 'help') {
    console.log(RUN_HELP);
    return 0;
  }
  let stateDir: string;
  try {
    const offset = parsePortOffset(flags.portOffset);
    stateDir = flags.stateDir === undefined ? meshStateDir(offset) : resolve(flags.stateDir);
  } catch (error) {
    console.error(`skiff run: ${(error as Error).message}`);
    return 2;
  }
  const mesh = readMeshInfo(stateDir);
  if (mesh instanceof Error) {
    console.error(`skiff run: ${mesh.message}`);
    return 1;
  }
  const namespace = flags.namespace ?? mesh.namespace;
  const id = `${flags.name}.${namespace}`;
  try {
    if (await nameTaken(mesh, id)) {
      console.error(`skiff run: a workload named ${id} is already in the mesh (see skiff ls); choose another --name`);
      return 1;
    }
  } catch (error) {
    const why = error instanceof UnreachableError ? `its control plane does not answer at ${mesh.monitoring} (${error.code})` : (error as Error).message;
    console.error(`skiff run: cannot join the mesh: ${why}; is "skiff up" still running?`);
    return 1;
  }
  if (flags.command.length === 0 && !(await listening(flags.appPort))) {
    console.error(`skiff run: nothing listens on 127.0.0.1:${flags.appPort}; start your service first, or give its command after --`);
    return 1;
  }
  if (flags.command.length > 0 && (await listening(flags.appPort))) {
    console.error(`skiff run: 127.0.0.1:${flags.appPort} is already in use, so your process could not listen there; stop what uses it, or pass --app-port`);
    return 1;
  }

  const [outbound, inbound, admin, metrics] = (await freePorts(4)) as [number, number, number, number];
  const serviceAccount = flags.serviceAccount ?? flags.service;
  let tokenFile: string;
  try {
    tokenFile = addJoinedToken(mesh.stateDir, { name: flags.name, namespace, serviceAccount, services: [flags.service] });
  } catch (error) {
    console.error(`skiff run: ${(error as Error).message}`);
    return 1;
  }
  const link = meshLink({ controlPlane: mesh.controlPlane, rootCert: mesh.rootCert, traceEndpoint: `${mesh.monitoring}/v1/traces`, traceTokenFile: mesh.meshTokenFile });
  const sidecar = sidecarSpec({
    root,
    workload: { name: flags.name, service: flags.service, namespace, serviceAccount, version: flags.version, labels: flags.labels, servicePort: flags.port, appPort: flags.appPort, probe: flags.probe, ...(flags.portName ? { portName: flags.portName } : {}) },
    ports: { outbound, inbound, admin, metrics },
    link,
    tokenFile,
  });
  const app: ProcessSpec | undefined =
    flags.command.length === 0
      ? undefined
      : {
          name: flags.name,
          command: flags.command[0] as string,
          args: flags.command.slice(1),
          env: { ...outboundProxyEnv(outbound), PORT: String(flags.appPort), SERVICE_NAME: flags.service, SERVICE_VERSION: flags.version, ...flags.env },
          cwd: resolve(flags.cwd ?? '.'),
          ready: { tcp: { host: '127.0.0.1', port: flags.appPort } },
          readyTimeoutMs: flags.readyTimeoutMs,
        };

  const supervisor = new Supervisor({ prefixOutput: true });
  let leaving: Promise<void> | undefined;
  const leave = (): Promise<void> =>
    (leaving ??= (async () => {
      await supervisor.stopAll();
      removeJoinedToken(mesh.stateDir, flags.name);
    })());
  const exitCode = new Promise<number>((done) => {
    supervisor.on('unexpected-exit', (proc, status) => {
      // The user's process ending ends the run with its status; the sidecar ending is a failure.
      const code = proc.name === flags.name ? (status.code ?? 1) : 1;
      if (proc.name !== flags.name) supervisor.print(`✖ the sidecar stopped; taking ${flags.name} out of the mesh`);
      void leave().then(() => done(code));
    });
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => {
        supervisor.print(`leaving the mesh… (${signal})`);
        void leave().then(() => done(0));
      });
    }
  });
  console.log(`skiff run: joining the mesh at ${mesh.controlPlane} as ${id} (service ${flags.service}, version ${flags.version})`);
  try {
    await supervisor.startAll(app ? [[app], [sidecar]] : [[sidecar]]);
  } catch (error) {
    console.error(`\nskiff run: ${error instanceof Error ? error.message : String(error)}`);
    await leave();
    return 1;
  }
  console.log(`
✔ ${id} is in the mesh

  callers use        http://${flags.service}:${flags.port}   (through their sidecars)
  it calls out via   http://127.0.0.1:${outbound}   (HTTP_PROXY, HTTPS_PROXY, grpc_proxy in its environment)
  its sidecar        inbound 127.0.0.1:${inbound}   admin http://127.0.0.1:${admin}/config_dump   metrics :${metrics}
  the mesh           skiff ls   ·   dashboard ${mesh.dashboard ?? mesh.monitoring}

Ctrl-C takes it out of the mesh.`);
  return exitCode;
}
