// `skiff run`'s flags, checked before anything starts: each name ends up in a file name (its
// token), a proxy id and a metric label, so each must be a DNS label, as Kubernetes asks.
import { parseArgs } from 'node:util';
import { isDnsLabel, parseAppProbe } from '@skiff/api';
import { UsageError } from '../usage-error.js';

export interface JoinFlags {
  name: string;
  service: string;
  port: number;
  appPort: number;
  version: string;
  portName?: string;
  serviceAccount?: string;
  namespace?: string;
  labels: Record<string, string>;
  probe: string;
  env: Record<string, string>;
  cwd?: string;
  readyTimeoutMs: number;
  stateDir?: string;
  portOffset?: string;
  /** What to start; empty: front a port that already listens. */
  command: string[];
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function dnsLabel(flag: string, value: string | undefined, required: true): string;
function dnsLabel(flag: string, value: string | undefined, required: false): string | undefined;
function dnsLabel(flag: string, value: string | undefined, required: boolean): string | undefined {
  if (value === undefined) {
    if (required) throw new UsageError(`--${flag} is required`);
    return undefined;
  }
  if (!isDnsLabel(value)) throw new UsageError(`--${flag} "${value}" must be a DNS label: lowercase letters, digits and "-", at most 63, starting and ending with a letter or digit`);
  return value;
}

function portNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new UsageError(`--${flag} must be a port number 1-65535, got "${value}"`);
  return n;
}

function pairs(flag: string, values: string[] | undefined, key: RegExp, value: RegExp): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of values ?? []) {
    const eq = pair.indexOf('=');
    const k = eq < 0 ? pair : pair.slice(0, eq);
    const v = eq < 0 ? '' : pair.slice(eq + 1);
    if (eq <= 0 || !key.test(k) || !value.test(v)) throw new UsageError(`--${flag} must be key=value with a valid ${flag === 'env' ? 'variable name' : 'Kubernetes label'}, got "${pair}"`);
    out[k] = v;
  }
  return out;
}

/** As the sidecar reads its --app-probe (@skiff/api's parseAppProbe), so a probe it would refuse is refused here first. */
function isAppProbe(spec: string): boolean {
  try {
    parseAppProbe(spec);
    return true;
  } catch {
    return false;
  }
}

export function parseJoinFlags(argv: string[]): JoinFlags | 'help' {
  const dashes = argv.indexOf('--');
  const own = dashes < 0 ? argv : argv.slice(0, dashes);
  const command = dashes < 0 ? [] : argv.slice(dashes + 1);
  const { values, positionals } = parseArgs({
    args: own,
    options: {
      name: { type: 'string' },
      service: { type: 'string' },
      port: { type: 'string' },
      'app-port': { type: 'string' },
      version: { type: 'string' },
      'port-name': { type: 'string' },
      sa: { type: 'string' },
      namespace: { type: 'string' },
      label: { type: 'string', multiple: true },
      probe: { type: 'string' },
      env: { type: 'string', multiple: true },
      cwd: { type: 'string' },
      'ready-timeout': { type: 'string' },
      'state-dir': { type: 'string' },
      'port-offset': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return 'help';
  if (positionals.length > 0) throw new UsageError(`unexpected "${positionals[0]}": put your command after --, e.g. skiff run ... -- node server.js`);
  if (dashes >= 0 && command.length === 0) throw new UsageError('nothing after --: give the command that starts your service, or leave out -- to front a port that already listens');
  const name = dnsLabel('name', values.name, true);
  const service = dnsLabel('service', values.service, true);
  const port = portNumber('port', values.port);
  if (port === undefined) throw new UsageError('--port is required: the port callers name, as in http://<service>:<port>');
  const labels = pairs('label', values.label, LABEL_KEY, LABEL_VALUE);
  for (const reserved of ['app', 'version']) {
    if (reserved in labels) throw new UsageError(`--label ${reserved}=… is set by --${reserved === 'app' ? 'service' : 'version'}; use that flag`);
  }
  const version = values.version ?? 'v1';
  if (!LABEL_VALUE.test(version) || version === '') throw new UsageError(`--version "${version}" must be a Kubernetes label value (letters, digits, "-", "_", ".")`);
  const probe = values.probe ?? 'tcp';
  if (!isAppProbe(probe)) throw new UsageError(`--probe must be http:/<path>, tcp or none, got "${probe}"`);
  const portName = values['port-name'];
  if (portName !== undefined && !isDnsLabel(portName)) throw new UsageError(`--port-name "${portName}" must be a port name as Kubernetes spells it (e.g. http, grpc-orders, tcp)`);
  const readyTimeout = Number(values['ready-timeout'] ?? 60);
  if (!Number.isFinite(readyTimeout) || readyTimeout < 1 || readyTimeout > 3600) throw new UsageError(`--ready-timeout must be seconds between 1 and 3600, got "${values['ready-timeout']}"`);
  const serviceAccount = dnsLabel('sa', values.sa, false);
  const namespace = dnsLabel('namespace', values.namespace, false);
  return {
    name,
    service,
    port,
    appPort: portNumber('app-port', values['app-port']) ?? port,
    version,
    labels,
    probe,
    env: pairs('env', values.env, ENV_NAME, /^[\s\S]*$/),
    readyTimeoutMs: readyTimeout * 1000,
    command,
    ...(portName !== undefined ? { portName } : {}),
    ...(serviceAccount !== undefined ? { serviceAccount } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    ...(values.cwd !== undefined ? { cwd: values.cwd } : {}),
    ...(values['state-dir'] !== undefined ? { stateDir: values['state-dir'] } : {}),
    ...(values['port-offset'] !== undefined ? { portOffset: values['port-offset'] } : {}),
  };
}
