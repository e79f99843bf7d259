// The Kubernetes config source against the API server stand-in (libs/testing), which follows the
// documented list/watch protocol: every scenario here is one a real cluster produces.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '@skiff/telemetry';
import { waitFor } from '@skiff/testing';
import type { ConfigSet } from '../config/config-set.js';
import { KubeConfigSource } from './kube-config-source.js';
import { Backoff } from './reflector-state.js';
import { useKubeApiStandIn } from './standin-kubeconfig.js';

const logger = createLogger('test', {}, { level: 'silent' });

const reviewsVs = (weights: [number, number]) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'reviews', namespace: 'default' },
  spec: {
    hosts: ['reviews'],
    http: [
      {
        route: [
          { destination: { host: 'reviews', subset: 'v1' }, weight: weights[0] },
          { destination: { host: 'reviews', subset: 'v2' }, weight: weights[1] },
        ],
      },
    ],
  },
});
const reviewsDr = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name: 'reviews', namespace: 'default' },
  spec: { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] },
};

const weightsOf = (set: ConfigSet) => {
  const vs = set.resources.find((r) => r.kind === 'VirtualService' && r.metadata.name === 'reviews') as { spec: { http: Array<{ route: Array<{ weight?: number }> }> } } | undefined;
  return vs?.spec.http[0]?.route.map((r) => r.weight);
};

interface Harness {
  source: KubeConfigSource;
  changes: Array<{ set: ConfigSet; changed: string[] }>;
  latest: () => ConfigSet;
}

function harness(leader = true): Harness {
  const changes: Harness['changes'] = [];
  const source = new KubeConfigSource({
    kubeConfig: standIn.kubeConfig(),
    logger,
    isLeader: () => leader,
    onChange: (set, changed) => changes.push({ set, changed }),
    debounceMs: 10,
    backoff: () => new Backoff(20, 200),
    watchTimeoutSeconds: () => 30,
  });
  return { source, changes, latest: () => changes.at(-1)?.set ?? source.current() };
}

const standIn = useKubeApiStandIn();

const listsOf = (plural: string) => standIn.api.requests.filter((r) => r.startsWith(`GET /apis/networking.istio.io/v1/${plural}`) && !r.includes('watch=true')).length;
const cleanup = (...names: Array<[string, string]>) => {
  for (const [kind, name] of names) if (standIn.api.get(kind, 'default', name)) standIn.api.delete(kind, 'default', name);
};

test('lists what exists, then follows adds, updates and deletes through the watch', async () => {
  standIn.api.apply(reviewsVs([90, 10]));
  const h = harness();
  const initial = await h.source.start();
  try {
    assert.deepEqual(weightsOf(initial), [90, 10]);
    assert.equal(initial.issues.length, 0);
    standIn.api.apply(reviewsDr);
    await waitFor('the DestinationRule to arrive by watch', () => h.latest().resources.some((r) => r.kind === 'DestinationRule'));
    assert.deepEqual(h.changes.at(-1)?.changed, ['k8s://default/destinationrules/reviews']);
    standIn.api.apply(reviewsVs([50, 50]));
    await waitFor('the 50/50 update', () => weightsOf(h.latest())?.[1] === 50);
    standIn.api.delete('DestinationRule', 'default', 'reviews');
    await waitFor('the delete', () => !h.latest().resources.some((r) => r.kind === 'DestinationRule'));
    const watchUrl = standIn.api.requests.find((r) => r.includes('/virtualservices?') && r.includes('watch=true'));
    assert.match(watchUrl ?? '', /allowWatchBookmarks=true/, 'asks for bookmarks');
    assert.match(watchUrl ?? '', /resourceVersion=\d+/, 'watches from the version of its list');
  } finally {
    await h.source.stop();
    cleanup(['VirtualService', 'reviews']);
  }
});

test('a bad update keeps the last good version in force and says why in the status; a fix clears it', async () => {
  const requestsBefore = standIn.api.requests.length;
  standIn.api.apply(reviewsVs([90, 10]));
  const h = harness();
  await h.source.start();
  try {
    await waitFor('the first status', () => (standIn.api.get('VirtualService', 'default', 'reviews')?.['status'] as { conditions?: unknown[] } | undefined)?.conditions?.length === 1);
    const accepted = () => (standIn.api.get('VirtualService', 'default', 'reviews')?.['status'] as { conditions: Array<Record<string, unknown>> }).conditions[0];
    assert.equal(accepted()?.['status'], 'True');
    assert.equal(accepted()?.['observedGeneration'], 1);

    const bad = reviewsVs([90, 10]);
    (bad.spec.http[0]?.route[1] as { weight: unknown }).weight = 'ten';
    standIn.api.apply(bad);
    await waitFor('the Invalid condition', () => accepted()?.['status'] === 'False');
    assert.equal(accepted()?.['reason'], 'Invalid');
    assert.equal(accepted()?.['observedGeneration'], 2);
    assert.match(String(accepted()?.['message']), /spec\.http\[0\]\.route\[1\]\.weight/, 'names the field');
    assert.match(String(accepted()?.['message']), /last valid version stays in force/);
    assert.deepEqual(weightsOf(h.latest()), [90, 10], 'the last good weights stay');
    assert.equal(h.latest().files.find((f) => f.file === 'k8s://default/virtualservices/reviews')?.rejected, true);
    assert.ok(h.latest().issues.some((i) => i.severity === 'error' && i.file === 'k8s://default/virtualservices/reviews'));

    standIn.api.apply(reviewsVs([20, 80]));
    await waitFor('the fix', () => accepted()?.['status'] === 'True' && weightsOf(h.latest())?.[1] === 80);
    assert.equal(accepted()?.['observedGeneration'], 3);
    await h.source.settled();
    const patches = standIn.api.requests.slice(requestsBefore).filter((r) => r.startsWith('PATCH') && r.includes('/virtualservices/reviews/status')).length;
    assert.equal(patches, 3, 'one status write per verdict, none for the status updates it caused');
  } finally {
    await h.source.stop();
    cleanup(['VirtualService', 'reviews']);
  }
});

test('a follower writes no status', async () => {
  standIn.api.apply(reviewsVs([90, 10]));
  const before = standIn.api.requests.filter((r) => r.startsWith('PATCH')).length;
  const h = harness(false);
  await h.source.start();
  try {
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(standIn.api.requests.filter((r) => r.startsWith('PATCH')).length, before);
  } finally {
    await h.source.stop();
    cleanup(['VirtualService', 'reviews']);
  }
});

for (const expiredAsHttpStatus of [false, true]) {
  test(`after a dropped connection and compacted history (410 Gone ${expiredAsHttpStatus ? 'as HTTP status' : 'as an ERROR event'}) it lists again and catches up, deletes included`, async () => {
    standIn.api.expiredAsHttpStatus = expiredAsHttpStatus;
    standIn.api.bookmarkIntervalMs = 60_000; // no bookmarks: the watch's version is left behind
    standIn.api.apply(reviewsVs([90, 10]));
    standIn.api.apply(reviewsDr);
    const h = harness();
    await h.source.start();
    try {
      const listsBefore = listsOf('virtualservices');
      standIn.api.dropConnections();
      // While it is away: changes happen and the server forgets the history.
      standIn.api.apply(reviewsVs([0, 100]));
      standIn.api.delete('DestinationRule', 'default', 'reviews');
      standIn.api.compact();
      await waitFor('catching up after 410', () => weightsOf(h.latest())?.[1] === 100 && !h.latest().resources.some((r) => r.kind === 'DestinationRule'));
      assert.ok(listsOf('virtualservices') > listsBefore, 'relisted after 410');
    } finally {
      await h.source.stop();
      standIn.api.expiredAsHttpStatus = false;
      standIn.api.bookmarkIntervalMs = 200;
      cleanup(['VirtualService', 'reviews'], ['DestinationRule', 'reviews']);
    }
  });
}

test('bookmarks keep its version current, so a reconnect after compaction needs no relist', async () => {
  standIn.api.bookmarkIntervalMs = 50;
  standIn.api.apply(reviewsVs([90, 10]));
  const h = harness();
  await h.source.start();
  try {
    // Other kinds change: the VirtualService watch sees nothing but bookmarks carrying the version on.
    standIn.api.apply(reviewsDr);
    standIn.api.apply({ ...reviewsDr, spec: { ...reviewsDr.spec, subsets: reviewsDr.spec.subsets.slice(0, 1) } });
    await new Promise((r) => setTimeout(r, 300)); // a few bookmarks
    standIn.api.compact();
    const listsBefore = listsOf('virtualservices');
    const watchesBefore = standIn.api.requests.filter((r) => r.includes('/virtualservices?') && r.includes('watch=true')).length;
    standIn.api.dropConnections();
    standIn.api.apply(reviewsVs([30, 70]));
    await waitFor('the update after reconnecting', () => weightsOf(h.latest())?.[1] === 70);
    assert.ok(standIn.api.requests.filter((r) => r.includes('/virtualservices?') && r.includes('watch=true')).length > watchesBefore, 'watched again');
    assert.equal(listsOf('virtualservices'), listsBefore, 'resumed from the bookmark, no relist');
  } finally {
    await h.source.stop();
    standIn.api.bookmarkIntervalMs = 200;
    cleanup(['VirtualService', 'reviews'], ['DestinationRule', 'reviews']);
  }
});

test('waits out API server errors with backoff and starts once the lists succeed', async () => {
  standIn.api.apply(reviewsVs([90, 10]));
  standIn.api.failNext('/virtualservices', 500, 2);
  standIn.api.failNext('/endpointslices', 503, 1);
  const h = harness();
  const initial = await h.source.start();
  try {
    assert.deepEqual(weightsOf(initial), [90, 10]);
    assert.ok(listsOf('virtualservices') >= 3);
  } finally {
    await h.source.stop();
    cleanup(['VirtualService', 'reviews']);
  }
});

test('EndpointSlices: only an address a Service lists as ready serves that Service, and only that one', async () => {
  const slice = (ready: boolean) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'reviews-abc', namespace: 'default', labels: { 'kubernetes.io/service-name': 'reviews' } },
    addressType: 'IPv4',
    endpoints: [
      { addresses: ['10.0.0.7'], conditions: { ready } },
      { addresses: ['10.0.0.8'], conditions: { ready: true } },
    ],
    ports: [{ name: 'http', port: 9080, protocol: 'TCP' }],
  });
  standIn.api.apply(slice(false));
  let endpointChanges = 0;
  const source = new KubeConfigSource({ kubeConfig: standIn.kubeConfig(), logger, isLeader: () => false, onChange: () => undefined, onEndpoints: () => (endpointChanges += 1), backoff: () => new Backoff(20, 200) });
  await source.start();
  try {
    assert.equal(source.serving('default', 'reviews', '10.0.0.7'), false, 'not ready');
    assert.equal(source.serving('default', 'reviews', '10.0.0.8'), true);
    assert.equal(source.serving('default', 'reviews', '10.9.9.9'), false, 'an address no slice lists is nobody\'s endpoint, whatever its proxy announces');
    assert.equal(source.serving('default', 'ratings', '10.0.0.8'), false, 'a ready pod of reviews is not an endpoint of ratings');
    assert.equal(source.serving('prod', 'reviews', '10.0.0.8'), false, 'nor of reviews in another namespace');
    assert.deepEqual(source.readyAddresses(), [{ namespace: 'default', address: '10.0.0.8' }]);
    const seen = endpointChanges;
    standIn.api.apply(slice(true));
    await waitFor('the pod to become ready', () => source.serving('default', 'reviews', '10.0.0.7'));
    assert.ok(endpointChanges > seen);
  } finally {
    await source.stop();
    standIn.api.delete('EndpointSlice', 'default', 'reviews-abc');
  }
});
