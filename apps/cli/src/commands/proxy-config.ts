// `skiff proxy-config`: what a running proxy has in force, read from its admin port, printed
// like `istioctl proxy-config`.
import { parseArgs } from 'node:util';
import { getJson, UnreachableError } from '../http-json.js';
import { describeWorkloads, localWorkloads, parsePortOffset, resolveWorkload } from '../local-mesh.js';
import { fetchConfigDump, fetchEndpointHealth, type ConfigDump } from '../proxy-config/config-dump.js';
import { clusterRows, endpointRows, listenerRows, routeRows, summarizeDomains } from '../proxy-config/tables.js';
import { formatTable } from '../table.js';
import { UsageError } from '../usage-error.js';

export const PROXY_CONFIG_HELP = `usage: skiff proxy-config <routes|clusters|endpoints|listeners|secret|all> <workload> [options]

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

const KINDS = ['routes', 'clusters', 'endpoints', 'listeners', 'secret', 'all'] as const;
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
  if (kind === 'secret') return printSecret(admin, Boolean(values.json));
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
  const tables: Record<Exclude<Kind, 'all' | 'secret'>, () => string> = {
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

interface CertsDump {
  identity: { spiffeId: string; state: string; serialNumber?: string; notBefore?: string; notAfter?: string; rotations: number; nextRotation?: string; lastError?: string } | null;
  chain: string[];
  inbound: { mtlsConnections: number; plaintextConnections: number; refused: number; denied: number; lastRefusal?: string } | null;
  peerAuthentication: { mode: string } | null;
}

/** Like `istioctl proxy-config secret`: the workload certificate and root, never a key. */
async function printSecret(admin: string, json: boolean): Promise<number> {
  const certs = await getJson<CertsDump>(`${admin}/certs`);
  if (json) {
    console.log(JSON.stringify(certs, null, 2));
    return 0;
  }
  if (!certs.identity) {
    console.log('this proxy has no workload identity (started without a bootstrap token): its traffic is plaintext');
    return 0;
  }
  const id = certs.identity;
  const valid = id.notAfter ? new Date(id.notAfter).getTime() > Date.now() : false;
  console.log(
    formatTable(
      ['RESOURCE NAME', 'TYPE', 'STATUS', 'VALID CERT', 'SERIAL NUMBER', 'NOT AFTER', 'NOT BEFORE'],
      [
        ['default', 'Cert Chain', id.state === 'ready' ? 'ACTIVE' : id.state.toUpperCase(), String(valid), id.serialNumber ?? '-', id.notAfter ?? '-', id.notBefore ?? '-'],
        ['ROOTCA', 'CA', certs.chain.length > 1 ? 'ACTIVE' : '-', String(certs.chain.length > 1), '-', '-', '-'],
      ],
    ),
  );
  console.log(`\nidentity        ${id.spiffeId}`);
  console.log(`rotations       ${id.rotations}${id.nextRotation ? ` (next at ${id.nextRotation})` : ''}${id.lastError ? `; last error: ${id.lastError}` : ''}`);
  if (certs.peerAuthentication) console.log(`inbound mTLS    PeerAuthentication ${certs.peerAuthentication.mode}`);
  if (certs.inbound) {
    const i = certs.inbound;
    console.log(`inbound traffic ${i.mtlsConnections} mTLS and ${i.plaintextConnections} plaintext connections; ${i.refused} refused${i.lastRefusal ? ` (last: ${i.lastRefusal})` : ''}; ${i.denied} requests denied by AuthorizationPolicy`);
  }
  return 0;
}
