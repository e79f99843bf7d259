// A pushed snapshot turned into ready-to-run objects once (Envoy's model): route tables with
// compiled matchers, clusters with their load balancers. Requests hold on to the snapshot they
// started with, so a push never changes a request half-way.
import type { ProxySnapshot } from '@skiff/api';
import { compileRouteConfig, type CompiledRouteConfig } from '@skiff/routing';
import { ClusterRuntime } from './cluster-runtime.js';
import { compileAuthorization, type AuthorizationEngine } from '@skiff/security';

import { JwtAuthenticator, type JwksSource, type JwtRule } from '../security/jwt/index.js';
import { TcpRouteTable } from '../tcp/tcp-route-table.js';

const SHARED_JWKS = new Map<string, JwksSource>();

export type AuthorizationContext = Parameters<AuthorizationEngine['evaluate']>[0];

export class CompiledSnapshot {
  readonly routeConfigs = new Map<string, CompiledRouteConfig>();
  readonly clusters = new Map<string, ClusterRuntime>();
  readonly origins = new Set<string>();
  readonly #authorization: AuthorizationEngine | undefined;
  #tcpAuthorization: AuthorizationEngine | undefined;
  readonly #policies: Parameters<typeof compileAuthorization>[0] | undefined;
  /** TCP-family service ports (sidecars) and TCP server ports (gateways). */
  readonly tcp: TcpRouteTable;
  /** RequestAuthentication for this workload; JWKS fetched once per proxy, shared across snapshots. */
  readonly jwt: JwtAuthenticator | undefined;

  /** `previous`: the snapshot being replaced, whose per-cluster state carries over. */
  constructor(readonly raw: ProxySnapshot, previous?: CompiledSnapshot) {
    for (const rc of raw.routeConfigs) this.routeConfigs.set(rc.name, compileRouteConfig(rc));
    for (const cluster of raw.clusters) {
      const runtime = new ClusterRuntime(cluster, previous?.clusters.get(cluster.name));
      this.clusters.set(cluster.name, runtime);
      for (const e of runtime.endpoints) this.origins.add(e.origin);
    }
    const policies = (raw as { security?: { authorization?: unknown[] } }).security?.authorization;
    const jwtRules = raw.security?.requestAuthentication ?? [];
    this.jwt = jwtRules.length > 0 ? new JwtAuthenticator(jwtRules as JwtRule[], { remoteJwks: SHARED_JWKS }) : undefined;
    this.#policies = policies && policies.length > 0 ? (policies as Parameters<typeof compileAuthorization>[0]) : undefined;
    this.#authorization = this.#policies ? compileAuthorization(this.#policies) : undefined;
    this.tcp = new TcpRouteTable(raw.tcpServices ?? []);
  }

  /** AuthorizationPolicy verdict for an inbound TCP connection (HTTP-only fields read as Istio reads them for TCP). */
  authorizeTcp(ctx: AuthorizationContext): { allowed: boolean; reason: string } | undefined {
    if (!this.#policies) return undefined;
    this.#tcpAuthorization ??= compileAuthorization(this.#policies, { forTcp: true });
    return this.#tcpAuthorization.evaluate(ctx);
  }

  /** PeerAuthentication mode for a port (portLevelMtls first), Istio's default PERMISSIVE. */
  peerAuthMode(ports: readonly number[]): 'STRICT' | 'PERMISSIVE' | 'DISABLE' {
    const pa = (this.raw as { security?: { peerAuthentication?: { mode?: string; portLevel?: Record<string, string> } } }).security?.peerAuthentication;
    for (const port of ports) {
      const level = pa?.portLevel?.[String(port)];
      if (level === 'STRICT' || level === 'PERMISSIVE' || level === 'DISABLE') return level;
    }
    const mode = pa?.mode;
    return mode === 'STRICT' || mode === 'DISABLE' ? mode : 'PERMISSIVE';
  }

  /** Some AuthorizationPolicy applies to this workload. */
  get hasAuthorization(): boolean {
    return this.#authorization !== undefined;
  }

  /** AuthorizationPolicy verdict for an inbound request; undefined when no policy applies. */
  authorize(ctx: AuthorizationContext): { allowed: boolean; reason: string } | undefined {
    return this.#authorization?.evaluate(ctx);
  }

  get version(): string {
    return this.raw.version;
  }
}
