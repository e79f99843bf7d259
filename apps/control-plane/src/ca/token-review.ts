// Kubernetes mode's CA credential: the sidecar's projected service-account token (audience
// "skiff", see libs/kube inject.ts), checked by the API server with a TokenReview, as istiod
// checks istio-token. The identity the CA then signs is the token's own service account.
import { createHash } from 'node:crypto';
import { AuthenticationV1Api, type KubeConfig, type V1TokenReviewStatus } from '@kubernetes/client-node';
import { TOKEN_AUDIENCE } from '@skiff/kube';
import { spiffeId } from '@skiff/pki';
import type { Logger } from '@skiff/telemetry';

/** Pure: what a TokenReview's status entitles the token's holder to, or why nothing. */
export function identityFromReview(status: V1TokenReviewStatus | undefined, audience: string): { namespace: string; serviceAccount: string } | { problem: string } {
  if (!status?.authenticated) return { problem: `the API server did not authenticate the token${status?.error ? `: ${status.error}` : ''}` };
  if (status.audiences && !status.audiences.includes(audience)) return { problem: `the token is not for audience "${audience}" (it is for ${status.audiences.join(', ') || 'none'})` };
  const match = /^system:serviceaccount:([a-z0-9-.]+):([a-z0-9-.]+)$/.exec(status.user?.username ?? '');
  if (!match) return { problem: `"${status.user?.username ?? ''}" is not a service account; only pods' service-account tokens get workload certificates` };
  return { namespace: match[1] as string, serviceAccount: match[2] as string };
}

export class TokenReviewer {
  readonly #api: AuthenticationV1Api;
  /** Answers by token digest, for a minute: a sidecar renewing its certificate needn't cost a review. */
  readonly #cache = new Map<string, { ids: string[]; until: number }>();

  constructor(
    kubeConfig: KubeConfig,
    private readonly trustDomain: string,
    private readonly logger: Logger,
    private readonly audience = TOKEN_AUDIENCE,
    private readonly cacheMs = 60_000,
  ) {
    this.#api = kubeConfig.makeApiClient(AuthenticationV1Api);
  }

  async entitlements(token: string): Promise<string[]> {
    const key = createHash('sha256').update(token).digest('hex');
    const hit = this.#cache.get(key);
    if (hit && hit.until > Date.now()) return hit.ids;
    let review;
    try {
      review = await this.#api.createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences: [this.audience] } } });
    } catch (error) {
      const code = (error as { code?: number }).code;
      this.logger.warn({ code }, `CA: TokenReview failed: ${(error as Error).message?.split('\n')[0]}${code === 403 ? ' (the control plane needs "create" on tokenreviews.authentication.k8s.io)' : ''}`);
      return [];
    }
    const identity = identityFromReview(review.status, this.audience);
    if ('problem' in identity) {
      this.logger.warn({ problem: identity.problem }, `CA: token refused: ${identity.problem}`);
      return [];
    }
    const ids = [spiffeId(this.trustDomain, identity.namespace, identity.serviceAccount)];
    this.#cache.set(key, { ids, until: Date.now() + this.cacheMs });
    if (this.#cache.size > 10_000) this.#cache.delete(this.#cache.keys().next().value as string);
    return ids;
  }
}
