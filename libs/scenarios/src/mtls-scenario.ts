// Istio's mutual-TLS migration task: in PERMISSIVE mode a sidecar takes mTLS from meshed callers
// and plaintext from anyone else; STRICT refuses plaintext. The sidecars' metrics show who called
// with which identity, and whether over mTLS.
import { peerAuthentication, reviewsAllV1, reviewsDestinationRule, withDestinationRule } from './istio-task-yaml.js';
import type { ScriptedScenario } from './scripted.js';

const PLAINTEXT_TO_REVIEWS = { kind: 'plaintext', workload: 'reviews-v1', path: '/reviews/1' } as const;

export const MTLS_SCENARIO: ScriptedScenario = {
  name: 'mtls',
  summary: 'mTLS migration: PERMISSIVE takes plaintext and mTLS, STRICT refuses a plaintext client; identities shown',
  istioTask: 'Security: Mutual TLS Migration',
  steps: [
    {
      title: 'PERMISSIVE (the default): meshed callers use mTLS, a plaintext client is still served',
      explain: 'The plaintext client dials reviews-v1\'s sidecar directly, as a workload outside the mesh would; it has no identity.',
      files: { 'reviews.yaml': withDestinationRule(reviewsAllV1, reviewsDestinationRule), 'peer-authentication.yaml': peerAuthentication('PERMISSIVE') },
      probes: [
        { label: 'users, through the mesh', count: 10, expect: { v1: 100 } },
        { label: 'a plaintext client, straight to reviews-v1', target: PLAINTEXT_TO_REVIEWS, count: 10, expect: { v1: 100 } },
      ],
      watch: [{ kind: 'identities', workload: 'reviews-v1' }],
    },
    {
      title: 'STRICT: the plaintext client is refused, the mesh goes on',
      explain: 'PeerAuthentication mode STRICT (mesh-wide, in istio-system): the sidecar closes any connection that does not present a mesh certificate.',
      files: { 'peer-authentication.yaml': peerAuthentication('STRICT') },
      probes: [
        { label: 'users, through the mesh', count: 10, expect: { v1: 100 } },
        { label: 'a plaintext client, straight to reviews-v1', target: PLAINTEXT_TO_REVIEWS, count: 10, expect: { 'no HTTP answer': 100 } },
      ],
      watch: [{ kind: 'identities', workload: 'reviews-v1' }],
    },
  ],
};
