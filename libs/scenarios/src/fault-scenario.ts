// Istio's fault-injection, request-timeout and retry tasks in four steps: a delay and an abort
// for jason only, a timeout that cuts the delay short, and retries that hide a flaky v2.
import { ratingsAllV1, ratingsDestinationRule, ratingsTestAbort, ratingsTestDelay, reviewsDestinationRule, reviewsTestV2, reviewsV2Retries, reviewsV2Timeout, withDestinationRule } from './istio-task-yaml.js';
import type { ScriptedScenario } from './scripted.js';

const JASON = { 'end-user': 'jason' };
/** reviews v2 fails this share of requests in the retry steps; with 3 retries a page fails 0.3^4 of the time. */
const FLAKY_PERCENT = 30;
const AFTER_RETRIES = Math.round(FLAKY_PERCENT ** 4 / 1e4) / 100; // percent: 0.81

export const FAULT_SCENARIO: ScriptedScenario = {
  name: 'fault',
  summary: 'fault injection (delay, abort) for one user, then what a timeout and retries do about faults',
  istioTask: 'Traffic Management: Fault Injection, Request Timeouts (and retries)',
  steps: [
    {
      title: 'delay: ratings answers jason 2 s late',
      explain: 'jason is routed to reviews v2, which asks ratings for stars; ratings\' sidecar holds his requests for 2 s. Everyone else is on v1 and unaffected.',
      files: { 'reviews.yaml': withDestinationRule(reviewsTestV2, reviewsDestinationRule), 'ratings.yaml': withDestinationRule(ratingsTestDelay('2s'), ratingsDestinationRule) },
      probes: [
        { label: 'jason', headers: JASON, count: 4, concurrency: 4, expect: { v2: 100 }, latencyMs: { atLeast: 2000, atMost: 3900 } },
        { label: 'everyone else', count: 20, expect: { v1: 100 }, latencyMs: { atMost: 1500 } },
      ],
    },
    {
      title: 'abort: ratings answers jason with HTTP 500',
      explain: 'The fault is injected by the caller\'s sidecar: ratings never sees the request. reviews v2 still answers, without stars.',
      files: { 'ratings.yaml': withDestinationRule(ratingsTestAbort, ratingsDestinationRule) },
      probes: [
        { label: 'jason', headers: JASON, count: 20, expect: { 'v2, ratings 500': 100 } },
        { label: 'everyone else', count: 20, expect: { v1: 100 } },
      ],
    },
    {
      title: 'timeout: reviews gets 0.5 s, ratings is 2 s late',
      explain: 'Everyone goes to v2 with a 0.5 s timeout on the route to reviews, and jason\'s ratings are still delayed 2 s: his page fails fast (504 from frontend\'s sidecar) instead of hanging.',
      files: { 'reviews.yaml': withDestinationRule(reviewsV2Timeout('0.5s'), reviewsDestinationRule), 'ratings.yaml': withDestinationRule(ratingsTestDelay('2s'), ratingsDestinationRule) },
      probes: [
        { label: 'jason', headers: JASON, count: 4, concurrency: 4, expect: { 'HTTP 502, reviews 504': 100 }, latencyMs: { atLeast: 450, atMost: 1900 } },
        { label: 'everyone else', count: 20, expect: { v2: 100 } },
      ],
    },
    {
      title: `retries: reviews v2 fails ${FLAKY_PERCENT}% of requests, with no retries`,
      explain: 'reviews v2 is told to answer 500 to a share of requests (POST /admin/behaviour). Nothing retries them, so users see that share of failed pages.',
      files: { 'reviews.yaml': withDestinationRule(reviewsV2Retries(0), reviewsDestinationRule), 'ratings.yaml': withDestinationRule(ratingsAllV1, ratingsDestinationRule) },
      behaviour: { 'reviews-v2': { failPercent: FLAKY_PERCENT } },
      probes: [{ label: 'everyone', count: 60, expect: { v2: 100 - FLAKY_PERCENT, 'HTTP 502, reviews 500': FLAKY_PERCENT } }],
    },
    {
      title: 'retries: 3 attempts on 5xx hide the flaky v2',
      explain: `retries: {attempts: 3, retryOn: 5xx} on the route: a page fails only when all 4 tries fail, ${AFTER_RETRIES}% of the time.`,
      files: { 'reviews.yaml': withDestinationRule(reviewsV2Retries(3), reviewsDestinationRule) },
      behaviour: { 'reviews-v2': { failPercent: FLAKY_PERCENT } },
      probes: [{ label: 'everyone', count: 60, expect: { v2: 100 - AFTER_RETRIES, 'HTTP 502, reviews 500': AFTER_RETRIES } }],
    },
  ],
};
