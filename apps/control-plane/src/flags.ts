import { parseArgs } from 'node:util';

export const HELP = `usage: skiff-control-plane [options]

The Skiff control plane: reads Istio YAML from a directory, validates it, watches it, and pushes
each proxy its config over the discovery stream.

  --config <dir>            directory of Istio YAML files (default: ./config)
  --xds-port <port>         discovery (gRPC) port (default: 15010)
  --monitoring-port <port>  readiness and debug views (default: 15014)
  --bind <host>             address to bind (default: 127.0.0.1)
  --warmup-ms <ms>          after a start, wait this long for proxies to reconnect before
                            pushing to proxies that already hold config (default: 3000)
  --grace-ms <ms>           keep a disconnected proxy's endpoints this long (default: 10000)
  -h, --help                this text

Each flag can also be set as SKIFF_<FLAG> in the environment, e.g. SKIFF_CONFIG=/etc/skiff.`;

export interface ControlPlaneFlags {
  configDir: string;
  xdsPort: number;
  monitoringPort: number;
  bind: string;
  warmupMs: number;
  graceMs: number;
}

const env = (flag: string) => process.env[`SKIFF_${flag.toUpperCase().replace(/-/g, '_')}`];

function int(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got "${value}"`);
  return n;
}

export function parseControlPlaneFlags(argv: string[]): ControlPlaneFlags | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      'xds-port': { type: 'string' },
      'monitoring-port': { type: 'string' },
      bind: { type: 'string' },
      'warmup-ms': { type: 'string' },
      'grace-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const v = (name: keyof typeof values) => (values[name] as string | undefined) ?? env(name);
  return {
    configDir: v('config') ?? 'config',
    xdsPort: int('xds-port', v('xds-port'), 15010),
    monitoringPort: int('monitoring-port', v('monitoring-port'), 15014),
    bind: v('bind') ?? '127.0.0.1',
    warmupMs: int('warmup-ms', v('warmup-ms'), 3000),
    graceMs: int('grace-ms', v('grace-ms'), 10_000),
  };
}
