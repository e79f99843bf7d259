// Keeps (or waits for) the control plane's Lease. Every replica serves proxies; only the leader
// writes status to the custom resources, so replicas never fight over it. Optimistic concurrency
// does the locking: a write carries the resourceVersion read, and the API server answers 409 to
// the loser of a race.
import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from '@skiff/telemetry';
import { decideLease } from './lease-decision.js';

export interface LeaderElectorOptions {
  kubeConfig: KubeConfig;
  logger: Logger;
  namespace: string;
  name: string;
  identity: string;
  /** How long a lease holds without renewal (client-go's default 15 s). */
  leaseDurationSeconds?: number;
  /** How often to try (client-go's default 2 s). */
  retryPeriodMs?: number;
  onChange?: (leading: boolean) => void;
}

export class LeaderElector {
  readonly #options: Required<Omit<LeaderElectorOptions, 'onChange'>> & Pick<LeaderElectorOptions, 'onChange'>;
  readonly #api: CoordinationV1Api;
  #leading = false;
  #lastRenew = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #running: Promise<void> = Promise.resolve();

  constructor(options: LeaderElectorOptions) {
    this.#options = { leaseDurationSeconds: 15, retryPeriodMs: 2000, ...options };
    this.#api = options.kubeConfig.makeApiClient(CoordinationV1Api);
  }

  get leading(): boolean {
    return this.#leading;
  }

  start(): void {
    const tick = () => {
      this.#running = this.#tryOnce().finally(() => {
        if (!this.#stopped) this.#timer = setTimeout(tick, this.#options.retryPeriodMs);
      });
    };
    tick();
  }

  async #tryOnce(): Promise<void> {
    const { namespace, name, identity, leaseDurationSeconds, logger } = this.#options;
    try {
      const current = await this.#api.readNamespacedLease({ name, namespace }).catch((error: { code?: number }) => {
        if (error.code === 404) return undefined;
        throw error;
      });
      const decision = decideLease(current?.spec as Parameters<typeof decideLease>[0], identity, new Date(), leaseDurationSeconds);
      if (decision.action === 'follow') {
        this.#set(false, `following ${decision.holder}`);
        return;
      }
      const body: V1Lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace, ...(current?.metadata?.resourceVersion ? { resourceVersion: current.metadata.resourceVersion } : {}) }, spec: decision.spec as V1Lease['spec'] };
      if (decision.action === 'create') await this.#api.createNamespacedLease({ namespace, body });
      else await this.#api.replaceNamespacedLease({ name, namespace, body });
      this.#lastRenew = Date.now();
      this.#set(true, decision.action === 'take-over' ? `took the lease over${decision.from ? ` from ${decision.from}` : ''}` : 'holds the lease');
    } catch (error) {
      const code = (error as { code?: number }).code;
      if (code === 409) {
        this.#set(false, 'lost a race for the lease'); // someone else wrote first
        return;
      }
      logger.warn({ code }, `leader election: cannot read or write Lease ${namespace}/${name}: ${(error as Error).message?.split('\n')[0]}${code === 403 ? ' (the control plane needs get/create/update on leases in its namespace)' : ''}`);
      // Leading without a renewal for a whole lease duration: another replica may have taken over.
      if (this.#leading && Date.now() - this.#lastRenew > leaseDurationSeconds * 1000) this.#set(false, 'could not renew the lease in time');
    }
  }

  #set(leading: boolean, why: string): void {
    if (leading === this.#leading) return;
    this.#leading = leading;
    this.#options.logger.info({ identity: this.#options.identity, leading }, `leader election: ${this.#options.identity} ${leading ? 'leads' : 'does not lead'} (${why})`);
    this.#options.onChange?.(leading);
  }

  /** Stops trying; a leader releases the lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    if (!this.#leading) return;
    const { namespace, name } = this.#options;
    try {
      const current = await this.#api.readNamespacedLease({ name, namespace });
      if (current.spec?.holderIdentity === this.#options.identity) {
        await this.#api.replaceNamespacedLease({ name, namespace, body: { ...current, spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1 } } });
      }
    } catch {
      // It expires by itself.
    }
    this.#set(false, 'stopped');
  }
}
