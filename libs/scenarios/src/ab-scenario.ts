// A/B routing as in Istio's request-routing task: the user "jason" (by the `end-user` header,
// or signed in, which the frontend turns into that header from its `user` cookie) is sent to
// reviews v2, everyone else to v1.
import type { ScriptedScenario } from './scripted.js';

const DESTINATION_RULE = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  subsets:
    - name: v1
      labels:
        version: v1
    - name: v2
      labels:
        version: v2
`;

export const AB_REVIEWS = `# A/B: jason sees reviews v2, everyone else v1 (written by \`skiff scenario run ab\`).
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
    - reviews
  http:
    - match:
        - headers:
            end-user:
              exact: jason
      route:
        - destination:
            host: reviews
            subset: v2
    - route:
        - destination:
            host: reviews
            subset: v1
---
${DESTINATION_RULE}`;

export const AB_SCENARIO: ScriptedScenario = {
  name: 'ab',
  summary: 'A/B routing: jason (by header, or signed in by cookie) gets reviews v2, everyone else v1',
  steps: [
    {
      title: 'route by user: end-user jason -> v2, everyone else -> v1',
      files: { 'reviews.yaml': AB_REVIEWS },
      probes: [
        { label: 'jason, by the end-user header', headers: { 'end-user': 'jason' }, count: 30, expect: { v2: 100 } },
        { label: 'jason, signed in (cookie user=jason)', headers: { cookie: 'user=jason' }, count: 30, expect: { v2: 100 } },
        { label: 'another user (cookie user=ben)', headers: { cookie: 'user=ben' }, count: 30, expect: { v1: 100 } },
        { label: 'nobody signed in', count: 30, expect: { v1: 100 } },
      ],
    },
  ],
};
