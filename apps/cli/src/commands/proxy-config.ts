// `skiff proxy-config`: what a running proxy has in force, read from its admin port, printed
// like `istioctl proxy-config`.
import { parseArgs } from 'node:util';
import { UnreachableError } from '../http-json.js';
import { describeWorkloads, localWorkloads, parsePortOffset, resolveWorkload } from '../local-mesh.js';
import { fetchConfigDump, fetchEndpointHealth, type ConfigDump } from '../proxy-config/config-dump.js';
import { clusterRows, endpointRows, listenerRows, routeRows, summarizeDomains } from '../proxy-config/tables.js';
import { formatTable } from '../table.js';
import { UsageError } from '../usage-error.js';

export const PROXY_CONFIG_HELP = `usage: skiff proxy-config <routes|clusters|endpoints|listeners|all> <workload> [options]

Shows the config a running proxy has in force, read from its admin port (/config_dump), like
istioctl proxy-config.

  skiff proxy-config routes frontend
  skiff proxy-config endpoints reviews-v1
  skiff proxy-config listeners gateway

  <workload>          gateway, frontend, reviews-v1, reviews-v2, ratings (or an id such as
                      reviews-v1.default); with --admin, any name
  --admin <url>       the proxy's admin URL, e.g. http://127.0.0.1:15100 (default: the port
                      \`skiff up\` gives the workload)
  --port-offset <n>   the mesh was started with \`skiff up --port-offset n\`
  --json              print the rows as JSON
  -h, --help          this text`;

const KINDS = ['routes', 'clusters', 'endpoints', 'listeners', 'all'] as const;
type Kind = (typeof KINDS)[number];

function parseKind(value: string): Kind {
  const v = value.toLowerCase();
  const kind = KINDS.find((k) => k === v || k === `${v}s`); // istioctl takes "route" too
  if (!kind) throw new UsageError(`unknown config type "${value}"; choose one of ${KINDS.join(', ')}`);
  return kind;
}

function adminUrlOf(workload: string, admin: string | undefined, offset: number): string {
  if (admin !== undefined) {
    try {
      const u = new URL(admin);
      if (u.protocol !== 'http:') throw new Error('not http');
    } catch {
      throw new UsageError(`--admin must be an http:// URL such as http://127.0.0.1:15100, got "${admin}"`);
    }
    return admin.replace(/\/+$/, '');
  }
  const local = localWorkloads(offset);
  const info = resolveWorkload(workload, local.map((w) => w.info));
  return (local.find((w) => w.info.id === info.id) as (typeof local)[number]).adminUrl;
}

export async function proxyConfig(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { admin: { type: 'string' }, 'port-offset': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(PROXY_CONFIG_HELP);
    return 0;
  }
  let admin: string;
  let kind: Kind;
  try {
    if (positionals.length !== 2) throw new UsageError(`expected <${KINDS.join('|')}> <workload>, e.g. skiff proxy-config routes frontend (workloads: ${describeWorkloads(localWorkloads().map((w) => w.info))})`);
    kind = parseKind(positionals[0] as string);
    admin = adminUrlOf(positionals[1] as string, values.admin, parsePortOffset(values['port-offset']));
  } catch (error) {
    console.error(`skiff proxy-config: ${error instanceof Error ? error.message : String(error)}`);
    return error instanceof UsageError ? 2 : 1;
  }
  const workload = positionals[1] as string;

  let dump: ConfigDump;
  try {
    dump = await fetchConfigDump(admin);
  } catch (error) {
    const hint = error instanceof UnreachableError ? `: is the mesh running? start it with \`npm start\`${values.admin === undefined ? ' (or pass --admin <url> / --port-offset <n>)' : ''}` : '';
    console.error(`skiff proxy-config: cannot read the config of ${workload} from its admin port ${admin}: ${error instanceof Error ? error.message : String(error)}${hint}`);
    return 1;
  }
  const needsSnapshot = kind !== 'listeners';
  if (needsSnapshot && !dump.snapshot) {
    console.error(`skiff proxy-config: ${dump.node.id} has no config yet: it is waiting for the control plane (see its /server_info and the control plane's /debug/syncz)`);
    return 1;
  }
  const snapshot = dump.snapshot;
  const health = kind === 'endpoints' || kind === 'all' ? await fetchEndpointHealth(admin) : new Map();
  const sections = {
    routes: () => (snapshot ? routeRows(snapshot) : []),
    clusters: () => (snapshot ? clusterRows(snapshot) : []),
    endpoints: () => (snapshot ? endpointRows(snapshot, health) : []),
    listeners: () => listenerRows(dump),
  };

  if (values.json) {
    const out = kind === 'all' ? { node: dump.node, routes: sections.routes(), clusters: sections.clusters(), endpoints: sections.endpoints(), listeners: sections.listeners() } : sections[kind]();
    console.log(JSON.stringify(out, null, 2));
    return 0;
  }
  const tables: Record<Exclude<Kind, 'all'>, () => string> = {
    routes: () =>
      formatTable(
        ['NAME', 'DOMAINS', 'MATCH', 'VIRTUAL SERVICE'],
        sections.routes().map((r) => [r.routeConfig, summarizeDomains(r.domains), r.match, r.virtualService || '-']),
      ),
    clusters: () =>
      formatTable(
        ['SERVICE FQDN', 'PORT', 'SUBSET', 'DIRECTION', 'ENDPOINTS'],
        sections.clusters().map((c) => [c.service, String(c.port), c.subset || '-', c.direction, String(c.endpoints)]),
      ),
    endpoints: () => formatTable(['ENDPOINT', 'STATUS', 'CLUSTER', 'WORKLOAD'], sections.endpoints().map((e) => [e.endpoint, e.status, e.cluster, e.workload])),
    listeners: () => formatTable(['NAME', 'ADDRESS', 'PORT', 'DESCRIPTION'], sections.listeners().map((l) => [l.name, l.address, String(l.port), l.description])),
  };
  if (kind === 'all') {
    const order = ['listeners', 'routes', 'clusters', 'endpoints'] as const;
    console.log([`${dump.node.id} (admin ${admin}, config version ${snapshot?.version ?? 'none'})`, ...order.map((k) => `\n${k.toUpperCase()}\n${tables[k]()}`)].join('\n'));
  } else {
    console.log(tables[kind]());
  }
  return 0;
}
