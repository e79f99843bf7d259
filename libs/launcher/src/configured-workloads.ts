// The user's own workloads a config directory declares in Istio's API: each WorkloadEntry becomes
// a sidecar `skiff up` starts in front of it, and, with the skiff.dev/command annotation, the
// process itself. A ServiceEntry whose workloadSelector picks the entry names its service and
// port (Istio's model for workloads outside Kubernetes); without one, the entry's `app` label and
// its first port do. Pure but for reading the directory (readConfiguredWorkloads).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { CLUSTER_DOMAIN, isDnsLabel, parseAppProbe, parseConfigFile, WORKLOAD_ANNOTATIONS, type Loaded, type LoadedWorkload, type ServiceEntry, type WorkloadEntry, type WorkloadInfo } from '@skiff/api';
import type { SidecarWorkload } from './sidecar-spec.js';
import { SAMPLE_WORKLOADS } from './mesh-plan.js';
import type { WorkloadAccount } from './mesh-state.js';

export interface ConfiguredWorkload extends SidecarWorkload {
  /** Where the app listens: the entry's address (127.0.0.1 unless it says otherwise). */
  appHost: string;
  /** A shell command line from skiff.dev/command; absent: the sidecar fronts what already listens. */
  command?: string;
  /** The command's working directory (skiff.dev/working-dir, relative to the entry's file). */
  cwd: string;
  /** skiff.dev/env, one NAME=value per line. */
  env: Record<string, string>;
  /** "config/orders.yaml:12 WorkloadEntry default/orders-v1", for messages. */
  origin: string;
}

export interface ConfiguredWorkloads {
  workloads: ConfiguredWorkload[];
  /** Entries that cannot be started, each saying why and what to do; and advice on those that can. */
  problems: string[];
}

const CONFIG_FILE = /\.ya?ml$/i;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

function selects(entry: Loaded<ServiceEntry>, workload: WorkloadEntry & { metadata: { namespace: string } }): boolean {
  const selector = entry.spec.workloadSelector?.labels;
  if (!selector || entry.metadata.namespace !== workload.metadata.namespace) return false;
  const labels = workload.spec.labels ?? {};
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function parseEnv(text: string | undefined, origin: string, problems: string[]): Record<string, string> | undefined {
  const env: Record<string, string> = {};
  for (const raw of (text ?? '').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const name = eq < 0 ? line : line.slice(0, eq);
    if (eq <= 0 || !ENV_NAME.test(name)) {
      problems.push(`${origin}: annotation ${WORKLOAD_ANNOTATIONS.env} has "${line}"; write one NAME=value per line`);
      return undefined;
    }
    env[name] = line.slice(eq + 1);
  }
  return env;
}

/** One WorkloadEntry as a workload to start, or a problem saying why it cannot be. */
export function configuredWorkload(entry: LoadedWorkload, serviceEntries: readonly Loaded<ServiceEntry>[], problems: string[]): ConfiguredWorkload | undefined {
  if (entry.kind !== 'WorkloadEntry') return undefined;
  const we = entry as WorkloadEntry & { metadata: { namespace: string }; source: { file: string; line: number } };
  const namespace = we.metadata.namespace;
  const origin = `${entry.source.file}:${entry.source.line} WorkloadEntry ${namespace}/${we.metadata.name}`;
  const labels = we.spec.labels ?? {};
  const ports = Object.entries(we.spec.ports ?? {});
  const selecting = serviceEntries.filter((se) => selects(se, we));
  if (selecting.length > 1) problems.push(`${origin}: selected by ${selecting.length} ServiceEntries; the first, ${selecting[0]?.metadata.name}, names its service`);
  const se = selecting[0];

  let service: string;
  let servicePort: number;
  let appPort: number;
  let portName: string | undefined;
  let appProtocol: string | undefined;
  if (se) {
    const host = se.spec.hosts[0] ?? '';
    const suffix = `.${namespace}.${CLUSTER_DOMAIN}`;
    const name = host.endsWith(suffix) ? host.slice(0, -suffix.length) : '';
    if (!isDnsLabel(name)) {
      problems.push(`${origin}: not started: its ServiceEntry ${se.metadata.name} names host "${host}", but Skiff serves a workload as <service>${suffix}; give the ServiceEntry that host`);
      return undefined;
    }
    service = name;
    const port = se.spec.ports?.[0];
    if (!port) return undefined; // the schema asks a ServiceEntry for a port
    if ((se.spec.ports?.length ?? 0) > 1) problems.push(`${origin}: Skiff's sidecar serves one port; using ServiceEntry ${se.metadata.name}'s first, ${port.name} (${port.number})`);
    servicePort = port.number;
    appPort = we.spec.ports?.[port.name] ?? port.targetPort ?? port.number;
    portName = port.name;
    appProtocol = port.protocol.toLowerCase();
  } else {
    const app = labels['app'];
    const first = ports[0];
    if (!app) {
      problems.push(`${origin}: not started: say which service it serves, with labels.app or a ServiceEntry whose workloadSelector picks it`);
      return undefined;
    }
    if (!first) {
      problems.push(`${origin}: not started: it lists no ports; add spec.ports, e.g. {http: 7000}`);
      return undefined;
    }
    if (ports.length > 1) problems.push(`${origin}: Skiff's sidecar serves one port; using the first, ${first[0]} (${first[1]})`);
    service = app;
    [portName, servicePort] = first;
    appPort = servicePort;
  }
  if (labels['app'] !== undefined && labels['app'] !== service) {
    problems.push(`${origin}: not started: label app="${labels['app']}" but it serves ${service}; a workload's app label names its service`);
    return undefined;
  }
  const annotations = we.metadata.annotations ?? {};
  const command = annotations[WORKLOAD_ANNOTATIONS.command]?.trim();
  const appHost = we.spec.address ?? '127.0.0.1';
  if (command && !LOOPBACK.test(appHost)) {
    problems.push(`${origin}: not started: it has a ${WORKLOAD_ANNOTATIONS.command} but its address ${appHost} is not this machine; drop the address (skiff up runs the command here) or the command (the sidecar then fronts ${appHost})`);
    return undefined;
  }
  const env = parseEnv(annotations[WORKLOAD_ANNOTATIONS.env], origin, problems);
  if (!env) return undefined;
  const probe = annotations[WORKLOAD_ANNOTATIONS.probe] ?? 'tcp';
  try {
    parseAppProbe(probe); // as the sidecar will read it
  } catch {
    problems.push(`${origin}: not started: annotation ${WORKLOAD_ANNOTATIONS.probe} must be http:/<path>, tcp or none, got "${probe}"`);
    return undefined;
  }
  const { app: _app, version, ...otherLabels } = labels;
  return {
    name: we.metadata.name,
    service,
    namespace,
    serviceAccount: we.spec.serviceAccount ?? service,
    version: version ?? 'v1',
    labels: otherLabels,
    servicePort,
    appPort,
    appHost,
    probe,
    ...(portName ? { portName } : {}),
    ...(appProtocol ? { appProtocol } : {}),
    ...(command ? { command } : {}),
    cwd: resolve(dirname(entry.source.file), annotations[WORKLOAD_ANNOTATIONS.workingDir] ?? '.'),
    env,
    origin,
  };
}

function configFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => !e.isDirectory() && CONFIG_FILE.test(e.name))
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))
    .filter((path) => !relative(dir, path).split(sep).some((part) => part.startsWith('.')))
    .sort();
}

/**
 * The WorkloadEntries in a config directory (as the control plane reads it: *.yaml and *.yml,
 * in subdirectories too). A file with errors is the control plane's to report; its entries are
 * not started, and a problem says so.
 */
export function readConfiguredWorkloads(configDir: string, options: { reserved?: readonly string[] } = {}): ConfiguredWorkloads {
  const problems: string[] = [];
  const entries: LoadedWorkload[] = [];
  const serviceEntries: Loaded<ServiceEntry>[] = [];
  for (const file of configFiles(configDir)) {
    const parsed = parseConfigFile(file, readFileSync(file, 'utf8'));
    const errors = parsed.issues.filter((i) => i.severity === 'error');
    if (errors.length > 0) {
      if (parsed.documents.some((d) => d.label.startsWith('WorkloadEntry'))) problems.push(`${file}: has errors (the control plane lists them); its WorkloadEntries are not started`);
      continue;
    }
    entries.push(...parsed.workloads);
    serviceEntries.push(...parsed.resources.filter((r): r is Loaded<ServiceEntry> => r.kind === 'ServiceEntry'));
  }
  const workloads: ConfiguredWorkload[] = [];
  for (const entry of entries) {
    const w = configuredWorkload(entry, serviceEntries, problems);
    if (!w) continue;
    if (options.reserved?.includes(w.name) || workloads.some((o) => o.name === w.name)) {
      problems.push(`${w.origin}: not started: the workload name ${w.name} is taken${options.reserved?.includes(w.name) ? " by one of the mesh's samples (skiff up --no-samples leaves it free)" : ''}; rename the WorkloadEntry`);
      continue;
    }
    workloads.push(w);
  }
  return { workloads, problems };
}

/** The identities their sidecars need: each may serve its own service only. */
export function configuredAccounts(workloads: readonly ConfiguredWorkload[]): WorkloadAccount[] {
  return workloads.map((w) => ({ name: w.name, namespace: w.namespace, serviceAccount: w.serviceAccount ?? w.service, services: [w.service] }));
}

/**
 * The workload as its sidecar will announce it (for offline tools: `skiff test`, `skiff simulate`),
 * with the inbound port `skiff up` gives its `index`-th entry (one address and port is one endpoint).
 */
export function configuredWorkloadInfo(w: ConfiguredWorkload, index: number): WorkloadInfo {
  return {
    id: `${w.name}.${w.namespace}`,
    kind: 'sidecar',
    service: w.service,
    namespace: w.namespace,
    serviceAccount: w.serviceAccount ?? w.service,
    labels: { ...w.labels, app: w.service, version: w.version ?? 'v1' },
    address: '127.0.0.1',
    inboundPort: 15006 + (SAMPLE_WORKLOADS.length + 1 + index) * 100,
    servicePort: w.servicePort,
    ...(w.portName ? { servicePortName: w.portName } : {}),
    ...(w.appProtocol ? { appProtocol: w.appProtocol } : {}),
  };
}
