import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '@skiff/telemetry';
import { useKubeApiStandIn } from '../kube/standin-kubeconfig.js';
import { identityFromReview, TokenReviewer } from './token-review.js';

test('identityFromReview: only an authenticated service account with our audience', () => {
  assert.deepEqual(identityFromReview({ authenticated: true, user: { username: 'system:serviceaccount:default:reviews' }, audiences: ['skiff'] }, 'skiff'), { namespace: 'default', serviceAccount: 'reviews' });
  assert.match(JSON.stringify(identityFromReview({ authenticated: false, error: 'expired' }, 'skiff')), /did not authenticate the token: expired/);
  assert.match(JSON.stringify(identityFromReview({ authenticated: true, user: { username: 'system:serviceaccount:default:reviews' }, audiences: ['api'] }, 'skiff')), /not for audience \\"skiff\\"/);
  assert.match(JSON.stringify(identityFromReview({ authenticated: true, user: { username: 'alice@example.com' }, audiences: ['skiff'] }, 'skiff')), /not a service account/);
  assert.match(JSON.stringify(identityFromReview(undefined, 'skiff')), /did not authenticate/);
});

const logger = createLogger('test', {}, { level: 'silent' });
const standIn = useKubeApiStandIn((api) => {
  api.serviceAccountTokens.set('token-of-reviews', { username: 'system:serviceaccount:default:reviews', audiences: ['skiff'] });
  api.serviceAccountTokens.set('token-for-the-api', { username: 'system:serviceaccount:default:ratings', audiences: ['https://kubernetes.default.svc'] });
});

test('TokenReviewer asks the API server, with our audience, and caches a yes', async () => {
  const reviewer = new TokenReviewer(standIn.kubeConfig(), 'cluster.local', logger);
  const reviews = () => standIn.api.requests.filter((r) => r.startsWith('POST /apis/authentication.k8s.io/v1/tokenreviews')).length;
  assert.deepEqual(await reviewer.entitlements('token-of-reviews'), ['spiffe://cluster.local/ns/default/sa/reviews']);
  assert.deepEqual(await reviewer.entitlements('token-of-reviews'), ['spiffe://cluster.local/ns/default/sa/reviews']);
  assert.equal(reviews(), 1, 'the second answer came from the cache');
  assert.deepEqual(await reviewer.entitlements('token-for-the-api'), [], 'a token for another audience gets nothing');
  assert.deepEqual(await reviewer.entitlements('made-up'), []);
  standIn.api.failNext('/tokenreviews', 403);
  assert.deepEqual(await reviewer.entitlements('another-made-up'), [], 'an API error refuses, it does not throw');
});
