// Istio's HTTP authorization task: an ALLOW policy on ratings admits reviews' identity only, so
// frontend (another meshed caller) gets 403; then a DENY policy shows that DENY wins over ALLOW.
import { ratingsAllowReviews, ratingsDenyReviews, reviewsDestinationRule, reviewsV2Timeout, withDestinationRule } from './istio-task-yaml.js';
import type { ScriptedScenario } from './scripted.js';

const FRONTEND_CALLS_RATINGS = { kind: 'from', workload: 'frontend', url: 'http://ratings:9080/ratings/1' } as const;
// Everyone on v2, the version that calls ratings (the 0.5 s timeout is far above its usual latency).
const REVIEWS_ON_V2 = withDestinationRule(reviewsV2Timeout('10s'), reviewsDestinationRule);

export const AUTHZ_SCENARIO: ScriptedScenario = {
  name: 'authz',
  summary: 'authorization: ratings admits reviews\' identity and denies frontend with 403; a DENY policy wins over ALLOW',
  istioTask: 'Security: Authorization for HTTP traffic',
  steps: [
    {
      title: 'no policy: anyone in the mesh may call ratings',
      files: { 'reviews.yaml': REVIEWS_ON_V2, 'ratings-authz.yaml': '# no AuthorizationPolicy yet (written by `skiff scenario run authz`)\n' },
      probes: [
        { label: 'users (reviews v2 calls ratings)', count: 10, expect: { v2: 100 } },
        { label: 'frontend calls ratings', target: FRONTEND_CALLS_RATINGS, count: 10, expect: { 'HTTP 200': 100 } },
      ],
    },
    {
      title: 'ALLOW GET from cluster.local/ns/default/sa/reviews only',
      explain: 'The policy selects ratings (app: ratings). A caller is known by the SPIFFE identity in its mTLS certificate: reviews is allowed, frontend is not.',
      files: { 'ratings-authz.yaml': ratingsAllowReviews },
      probes: [
        { label: 'users (reviews v2 calls ratings)', count: 10, expect: { v2: 100 } },
        { label: 'frontend calls ratings', target: FRONTEND_CALLS_RATINGS, count: 10, expect: { 'HTTP 403': 100 } },
      ],
    },
    {
      title: 'add DENY for reviews: DENY is checked first and wins',
      explain: 'Now nobody may call ratings; reviews v2 still answers, without stars (ratings 403).',
      files: { 'ratings-authz.yaml': `${ratingsAllowReviews}---\n${ratingsDenyReviews}` },
      probes: [
        { label: 'users (reviews v2 calls ratings)', count: 10, expect: { 'v2, ratings 403': 100 } },
        { label: 'frontend calls ratings', target: FRONTEND_CALLS_RATINGS, count: 10, expect: { 'HTTP 403': 100 } },
      ],
    },
  ],
};
