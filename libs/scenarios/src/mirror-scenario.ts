// Istio's mirroring task: users are served by v1 while v2 gets a copy of every request, so v2 can
// be watched under real traffic (its success rate and latency beside v1's) without anyone seeing
// its answers, even when it fails.
import { reviewsAllV1, reviewsDestinationRule, reviewsMirrorV2, withDestinationRule } from './istio-task-yaml.js';
import type { ScriptedScenario } from './scripted.js';

const MIRROR_WATCH = { kind: 'mirror', service: 'reviews', primary: 'reviews-v1', shadow: 'reviews-v2' } as const;

export const MIRROR_SCENARIO: ScriptedScenario = {
  name: 'mirror',
  summary: 'reviews v2 shadows v1: it gets a copy of every request; its answers and latency are compared, users only see v1',
  istioTask: 'Traffic Management: Mirroring',
  steps: [
    {
      title: 'all traffic to v1, no mirror',
      files: { 'reviews.yaml': withDestinationRule(reviewsAllV1, reviewsDestinationRule) },
      probes: [{ label: 'users', count: 30, expect: { v1: 100 } }],
      watch: [{ ...MIRROR_WATCH, percent: 0 }],
    },
    {
      title: 'mirror 100% of reviews traffic to v2',
      explain: 'frontend\'s sidecar sends each request to v1 and a copy (Host: reviews-shadow) to v2 without waiting for it; v2\'s answer is thrown away.',
      files: { 'reviews.yaml': withDestinationRule(reviewsMirrorV2, reviewsDestinationRule) },
      probes: [{ label: 'users', count: 30, expect: { v1: 100 } }],
      watch: [{ ...MIRROR_WATCH, percent: 100 }],
    },
    {
      title: 'v2 fails half its requests and is 200 ms slower: users do not notice',
      explain: 'The mirror shows v2\'s success rate and p99 next to v1\'s, the evidence to fix v2 before it takes real traffic.',
      files: {},
      behaviour: { 'reviews-v2': { failPercent: 50, extraLatencyMs: 200 } },
      probes: [{ label: 'users', count: 30, expect: { v1: 100 } }],
      watch: [{ ...MIRROR_WATCH, percent: 100 }],
    },
  ],
};
