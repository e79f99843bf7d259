// The sample workloads a scenario reaches besides the gateway: found in the control plane's
// registry, then asked (their sidecar's /config_dump) where their outbound listener and app are.
// Calls go out with node:http because a call through a sidecar is an absolute-form request to an
// HTTP proxy, and a plaintext call must set Host, which fetch() does not allow.
import { request } from 'node:http';
import type { WorkloadInfo } from '@skiff/api';
import type { AppBehaviour } from '@skiff/scenarios';
import { getJson } from '../http-json.js';
import { controlPlaneJson } from './mesh-io.js';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

interface Endpoint {
  host: string;
  port: number;
}

export interface MeshWorkload {
  info: WorkloadInfo;
  /** The sidecar's outbound listener: the HTTP proxy its app sends through. */
  outbound: Endpoint;
  /** The app behind the sidecar (for its /admin test hooks). */
  app: Endpoint | undefined;
}

/** `name` as the launcher names workloads (reviews-v2): the proxy id's first part, or service-version. */
export function findWorkload(registry: readonly WorkloadInfo[], name: string): WorkloadInfo | undefined {
  const sidecars = registry.filter((w) => w.kind === 'sidecar');
  return (
    sidecars.find((w) => w.id === name || w.id.split('.')[0] === name) ??
    sidecars.find((w) => `${w.service}-${w.labels['version'] ?? ''}` === name) ??
    sidecars.find((w) => w.service === name)
  );
}

const hostOf = (address: string) => (address.includes(':') ? `[${address}]` : address);

export class MeshWorkloads {
  readonly #controlPlane: string;
  readonly #found = new Map<string, Promise<MeshWorkload>>();

  constructor(controlPlane: string) {
    this.#controlPlane = controlPlane;
  }

  get(name: string): Promise<MeshWorkload> {
    let found = this.#found.get(name);
    if (!found) {
      found = this.#lookUp(name);
      this.#found.set(name, found);
      found.catch(() => this.#found.delete(name));
    }
    return found;
  }

  async #lookUp(name: string): Promise<MeshWorkload> {
    const registry = await controlPlaneJson<WorkloadInfo[]>(this.#controlPlane, '/debug/registryz');
    const info = findWorkload(registry, name);
    if (!info) throw new Error(`no sidecar of "${name}" is connected to ${this.#controlPlane} (connected: ${registry.map((w) => w.id).join(', ') || 'none'}); is the sample mesh running?`);
    if (!info.adminPort) throw new Error(`the sidecar of "${name}" announced no admin port, so its listeners cannot be found`);
    const dump = await getJson<{ listeners?: Record<string, number>; app?: Endpoint | null }>(`http://${hostOf(info.address)}:${info.adminPort}/config_dump`);
    const outboundPort = dump.listeners?.['outbound'];
    if (!outboundPort) throw new Error(`the sidecar of "${name}" has no outbound listener`);
    return { info, outbound: { host: info.address, port: outboundPort }, app: dump.app ?? undefined };
  }

  /** GET an in-mesh URL (http://ratings:9080/ratings/1) through the workload's sidecar, as its app would. */
  async callFrom(name: string, url: string, headers: Record<string, string> = {}): Promise<Answer> {
    const { outbound } = await this.get(name);
    return send({ host: outbound.host, port: outbound.port, path: url, headers: { host: new URL(url).host, ...headers } });
  }

  /** GET a path straight at the workload's inbound port, in plaintext and with no identity. */
  async callPlaintext(name: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
    const { info } = await this.get(name);
    return send({ host: info.address, port: info.inboundPort, path, headers: { host: `${info.service}:${info.servicePort}`, ...headers } });
  }

  /** The app's failure and latency knobs (reviews' /admin/behaviour); `update` changes them first. */
  async behaviour(name: string, update?: AppBehaviour): Promise<Required<AppBehaviour>> {
    const { app } = await this.get(name);
    if (!app) throw new Error(`the sidecar of "${name}" does not say where its app listens, so its behaviour cannot be changed`);
    const body = update === undefined ? undefined : JSON.stringify(update);
    // The sample apps serve their demo controls on 127.0.0.1, at their port + 1 (ADMIN_PORT).
    const answer = await send({ host: '127.0.0.1', port: app.port + 1, path: '/admin/behaviour', method: body ? 'POST' : 'GET', headers: body ? { 'content-type': 'application/json' } : {}, body });
    if (answer.status !== 200) throw new Error(`${name}: ${body ? 'POST' : 'GET'} /admin/behaviour answered ${answer.status}: ${answer.body.slice(0, 200)}`);
    return JSON.parse(answer.body) as Required<AppBehaviour>;
  }
}

function send(options: { host: string; port: number; path: string; method?: string; headers: Record<string, string>; body?: string | undefined }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: options.host, port: options.port, path: options.path, method: options.method ?? 'GET', headers: options.headers, agent: false, signal: AbortSignal.timeout(10_000) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
