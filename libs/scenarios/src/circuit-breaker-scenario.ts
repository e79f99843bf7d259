// Istio's circuit-breaking task: connection-pool limits turn a burst into fast 503s instead of a
// queue, and outlier detection takes a failing host out of the pool. The probes call reviews
// through frontend's sidecar, where the DestinationRule is enforced (on the caller's side).
import { reviewsAllV1, reviewsAnyVersion, reviewsCircuitBreaker, reviewsOutlierDetection, withDestinationRule } from './istio-task-yaml.js';
import type { ScriptedScenario } from './scripted.js';

const FROM_FRONTEND = { kind: 'from', workload: 'frontend', url: 'http://reviews:9080/reviews/1' } as const;

export const CIRCUIT_BREAKER_SCENARIO: ScriptedScenario = {
  name: 'circuit-breaker',
  summary: 'connection-pool limits overflow a burst with 503s; outlier detection ejects a failing v2',
  istioTask: 'Traffic Management: Circuit Breaking',
  steps: [
    {
      title: 'connection pool: 1 connection, 1 pending request; reviews v1 takes 300 ms',
      explain: 'One caller at a time stays within the limits. A burst of 20 at once gets 1 served and 1 queued; frontend\'s sidecar answers the rest at once with 503 (reset reason: overflow) and they never reach reviews.',
      files: { 'reviews.yaml': withDestinationRule(reviewsAllV1, reviewsCircuitBreaker) },
      behaviour: { 'reviews-v1': { extraLatencyMs: 300 } },
      probes: [
        { label: 'one caller at a time', target: FROM_FRONTEND, count: 5, expect: { v1: 100 } },
        { label: 'a burst of 20 callers at once', target: FROM_FRONTEND, count: 20, concurrency: 20, expect: { v1: { atLeast: 1 }, 'HTTP 503': { atLeast: 10 } } },
      ],
    },
    {
      title: 'outlier detection: reviews v2 fails every request; consecutive5xxErrors 1 ejects it',
      explain: 'Traffic goes to any version of reviews. v2 answers 500 to everything: its first failure ejects it for baseEjectionTime (3 s), and v1 takes all the traffic meanwhile.',
      files: { 'reviews.yaml': withDestinationRule(reviewsAnyVersion, reviewsOutlierDetection) },
      behaviour: { 'reviews-v1': { extraLatencyMs: 0 }, 'reviews-v2': { failPercent: 100 } },
      // Without ejection half of the requests would fail; with it, v2 gets a request again only
      // after each ejection ends (3 s, then longer), so 30 quick requests see one or two failures.
      probes: [{ label: '30 requests, one after another', target: FROM_FRONTEND, count: 30, expect: { v1: { atLeast: 26 }, 'HTTP 500 from v2': { atMost: 4 } } }],
    },
  ],
};
