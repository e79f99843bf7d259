import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { VirtualServiceSpec } from '../resources.js';
import { assertOneError, assertValid, check, doc, summary } from '../test-helpers.js';

const vs = (spec: unknown, metadata?: unknown) => doc('VirtualService', spec, metadata);
const http = (entry: unknown) => vs({ hosts: ['reviews'], http: [entry] });
const to = (host: string, subset?: string, weight?: number) => ({ destination: { host, ...(subset ? { subset } : {}) }, ...(weight === undefined ? {} : { weight }) });

describe('VirtualService: valid documents', () => {
  test('Bookinfo reviews: jason goes to v2, everyone else to v1', () => {
    const spec = {
      hosts: ['reviews'],
      http: [{ match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [to('reviews', 'v2')] }, { route: [to('reviews', 'v1')] }],
    };
    const r = check(vs(spec));
    assertValid(r);
    assert.deepEqual(r.resource?.spec, spec);
    assert.deepEqual(r.resource?.metadata, { name: 'reviews', namespace: 'default' });
  });

  test('every field Skiff implements is accepted and kept as written', () => {
    const spec: VirtualServiceSpec = {
      hosts: ['reviews.prod.svc.cluster.local', '*.example.com'],
      gateways: ['mesh', 'istio-system/bookinfo-gateway'],
      exportTo: ['.', 'prod'],
      http: [
        {
          name: 'canary',
          match: [
            {
              name: 'api',
              uri: { prefix: '/api' },
              scheme: { exact: 'https' },
              method: { regex: 'GET|HEAD' },
              authority: { exact: 'reviews' },
              headers: { 'end-user': { exact: 'jason' }, 'x-canary': {} },
              withoutHeaders: { 'x-debug': {} },
              queryParams: { v: { regex: '[0-9]+' } },
              port: 9080,
              sourceLabels: { app: 'productpage', 'app.kubernetes.io/version': 'v1' },
              gateways: ['mesh'],
              sourceNamespace: 'default',
              ignoreUriCase: true,
            },
          ],
          route: [
            { destination: { host: 'reviews', subset: 'v1', port: { number: 9080 } }, weight: 75, headers: { request: { set: { 'x-v': '1' } } } },
            { destination: { host: 'reviews', subset: 'v2' }, weight: 25 },
          ],
          rewrite: { uri: '/', authority: 'reviews' },
          timeout: '1.5s',
          retries: { attempts: 3, perTryTimeout: '500ms', retryOn: '5xx,connect-failure,503', retryRemoteLocalities: true },
          fault: { delay: { fixedDelay: '7s', percentage: { value: 10.5 } }, abort: { httpStatus: 503, percentage: { value: 1 } } },
          mirror: { host: 'reviews', subset: 'v3' },
          mirrorPercentage: { value: 100 },
          headers: { request: { add: { 'x-a': 'b' }, remove: ['x-secret'] }, response: { set: { 'x-served-by': 'skiff' } } },
        },
        { name: 'moved', redirect: { uri: '/new', authority: 'other', port: 8080, scheme: 'https', redirectCode: 308 } },
      ],
    };
    const r = check(vs(spec));
    assertValid(r);
    assert.deepEqual(r.resource?.spec, spec);
  });

  for (const apiVersion of ['networking.istio.io/v1', 'networking.istio.io/v1beta1', 'networking.istio.io/v1alpha3']) {
    test(`apiVersion ${apiVersion}`, () => assertValid(check(doc('VirtualService', { hosts: ['reviews'] }, { name: 'r' }, apiVersion))));
  }

  test('one destination may omit its weight', () => assertValid(check(http({ route: [to('reviews', 'v1')] }))));
  test('weights summing to 100 are fine, zero weights included', () => assertValid(check(http({ route: [to('a', undefined, 0), to('b', undefined, 100)] }))));
  test('"*" is fine for a VirtualService bound only to gateways', () =>
    assertValid(check(vs({ hosts: ['*'], gateways: ['bookinfo-gateway'], http: [{ route: [to('productpage')] }] }))));
  test('a header match {} means "present"', () => assertValid(check(http({ match: [{ headers: { 'x-canary': {} } }], route: [to('r')] }))));
});

describe('VirtualService: errors', () => {
  test('apiVersion must be networking.istio.io', () => {
    assertOneError(check(doc('VirtualService', { hosts: ['r'] }, { name: 'r' }, 'networking.istio.io/v2')), 'apiVersion', 'did you mean "networking.istio.io/v1"?');
  });
  test('metadata.name is required', () => assertOneError(check(vs({ hosts: ['r'] }, {})), 'metadata.name', 'required field is missing'));
  test('metadata.name must be a DNS-1123 label', () => {
    assertOneError(check(vs({ hosts: ['r'] }, { name: 'Reviews_V1' })), 'metadata.name', 'not a valid DNS-1123 label');
    assertOneError(check(vs({ hosts: ['r'] }, { name: 'a'.repeat(64) })), 'metadata.name', 'DNS-1123');
  });
  test('namespace, when given, must be a DNS-1123 label', () => assertOneError(check(vs({ hosts: ['r'] }, { name: 'r', namespace: 'Prod' })), 'metadata.namespace', 'DNS-1123'));
  test('labels must be Kubernetes labels', () => {
    assertOneError(check(vs({ hosts: ['r'] }, { name: 'r', labels: { 'bad key!': 'x' } })), 'metadata.labels["bad key!"]', 'label key');
    assertOneError(check(vs({ hosts: ['r'] }, { name: 'r', labels: { app: 'a b' } })), 'metadata.labels.app', 'label value');
  });
  test('spec is required', () => assertOneError(check({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'r' } }), 'spec', 'required field is missing'));
  test('hosts is required and non-empty', () => {
    assertOneError(check(vs({ http: [] })), 'spec.hosts', 'required field is missing');
    assertOneError(check(vs({ hosts: [] })), 'spec.hosts', 'must not be empty');
  });
  test('hosts must be DNS names', () => {
    assertOneError(check(vs({ hosts: ['reviews', 'bad_host'] })), 'spec.hosts[1]', 'not a valid DNS name');
    assertOneError(check(vs({ hosts: ['foo.*.com'] })), 'spec.hosts[0]', 'wildcard');
  });
  test('"*" is refused for sidecars (the mesh gateway)', () => assertOneError(check(vs({ hosts: ['*'] })), 'spec.hosts[0]', 'only allowed for VirtualServices bound to gateways'));
  test('an http entry needs route or redirect', () => assertOneError(check(http({ timeout: '1s' })), 'spec.http[0]', 'needs a route (destinations) or a redirect'));
  test('not both route and redirect', () => assertOneError(check(http({ route: [to('r')], redirect: { uri: '/x' } })), 'spec.http[0].redirect', 'either route or redirect, not both'));
  test('route must not be an empty list', () => assertOneError(check(http({ route: [] })), 'spec.http[0].route', 'must not be empty'));
  test('destination.host is required', () => assertOneError(check(http({ route: [{ destination: { subset: 'v1' } }] })), 'spec.http[0].route[0].destination.host', 'required field is missing'));
  test('destination host may not be a wildcard', () => assertOneError(check(http({ route: [to('*.example.com')] })), 'spec.http[0].route[0].destination.host', 'wildcard'));

  describe('weights', () => {
    test('must sum to 100 with several destinations; reported on the last weight', () =>
      assertOneError(check(http({ route: [to('r', 'v1', 60), to('r', 'v2', 50)] })), 'spec.http[0].route[1].weight', 'weights sum to 110, must sum to 100'));
    test('too little is wrong too', () => assertOneError(check(http({ route: [to('a', undefined, 10), to('b', undefined, 20), to('c', undefined, 30)] })), 'spec.http[0].route[2].weight', 'weights sum to 60'));
    test('every destination needs a weight when there are several', () =>
      assertOneError(check(http({ route: [to('r', 'v1', 100), to('r', 'v2')] })), 'spec.http[0].route[1]', 'weight is missing'));
    test('a misspelled weight is reported once, as a typo', () =>
      assertOneError(check(http({ route: [to('r', 'v1', 90), { destination: { host: 'r' }, wieght: 10 }] })), 'spec.http[0].route[1].wieght', 'did you mean "weight"?'));
    test('integers only', () => {
      assertOneError(check(http({ route: [to('r', 'v1', 50.5)] })), 'spec.http[0].route[0].weight', 'expected an integer, got 50.5');
      const r = check(http({ route: [to('r', 'v1', 50.5), to('r', 'v2', 49.5)] }));
      assert.deepEqual(summary(r.issues), ['error spec.http[0].route[0].weight: expected an integer, got 50.5', 'error spec.http[0].route[1].weight: expected an integer, got 49.5']);
    });
    test('within 0..100', () => {
      assertOneError(check(http({ route: [to('r', 'v1', 101)] })), 'spec.http[0].route[0].weight', 'must be at most 100, got 101');
      assertOneError(check(http({ route: [to('r', 'v1', -1)] })), 'spec.http[0].route[0].weight', 'must be at least 0, got -1');
    });
    test('an invalid weight is not also counted in the sum', () => {
      const r = check(http({ route: [to('r', 'v1', 150), to('r', 'v2', 50)] }));
      assert.deepEqual(summary(r.issues), ['error spec.http[0].route[0].weight: must be at most 100, got 150']);
    });
  });

  describe('string matches', () => {
    const match = (m: unknown) => http({ match: [m], route: [to('r')] });
    test('exactly one of exact, prefix, regex', () => {
      assertOneError(check(match({ uri: { exact: '/a', prefix: '/b' } })), 'spec.http[0].match[0].uri.prefix', 'not both exact and prefix');
      assertOneError(check(match({ uri: {} })), 'spec.http[0].match[0].uri', 'set one of exact, prefix or regex');
    });
    test('regexes must compile', () => assertOneError(check(match({ uri: { regex: '/api/(v1' } })), 'spec.http[0].match[0].uri.regex', 'invalid regex'));
    test('regexes must be RE2', () => assertOneError(check(match({ headers: { cookie: { regex: '(?!user=jason).*' } } })), 'spec.http[0].match[0].headers.cookie.regex', 'not RE2 syntax'));
    test('values are strings', () => assertOneError(check(match({ uri: { exact: 5 } })), 'spec.http[0].match[0].uri.exact', 'expected a string, got 5'));
    test('a misspelled match kind gets a suggestion', () => assertOneError(check(match({ uri: { prefx: '/a' } })), 'spec.http[0].match[0].uri.prefx', 'did you mean "prefix"?'));
    test('port must be a port number', () => assertOneError(check(match({ port: 70000 })), 'spec.http[0].match[0].port', 'at most 65535'));
  });

  describe('durations and percentages', () => {
    test('timeout must be a duration string', () => {
      assertOneError(check(http({ route: [to('r')], timeout: 10 })), 'spec.http[0].timeout', 'expected a duration such as "1.5s"');
      assertOneError(check(http({ route: [to('r')], timeout: '10 seconds' })), 'spec.http[0].timeout', 'invalid duration "10 seconds"');
    });
    for (const t of ['1.5s', '100ms', '2m', '1h']) test(`timeout ${t} is fine`, () => assertValid(check(http({ route: [to('r')], timeout: t }))));
    test('perTryTimeout and fixedDelay are durations', () => {
      assertOneError(check(http({ route: [to('r')], retries: { attempts: 2, perTryTimeout: '2' } })), 'spec.http[0].retries.perTryTimeout', 'invalid duration');
      assertOneError(check(http({ route: [to('r')], fault: { delay: { fixedDelay: 'soon' } } })), 'spec.http[0].fault.delay.fixedDelay', 'invalid duration');
    });
    test('percentages are 0..100', () => {
      assertOneError(check(http({ route: [to('r')], mirror: { host: 'r' }, mirrorPercentage: { value: 101 } })), 'spec.http[0].mirrorPercentage.value', 'at most 100');
      assertOneError(check(http({ route: [to('r')], fault: { abort: { httpStatus: 503, percentage: { value: -5 } } } })), 'spec.http[0].fault.abort.percentage.value', 'at least 0');
    });
  });

  describe('retries, faults, redirects', () => {
    test('retryOn policies are checked, with a suggestion', () =>
      assertOneError(check(http({ route: [to('r')], retries: { attempts: 3, retryOn: '5xx,gateway-eror' } })), 'spec.http[0].retries.retryOn', 'did you mean "gateway-error"?'));
    test('retries need attempts', () => assertOneError(check(http({ route: [to('r')], retries: { perTryTimeout: '1s' } })), 'spec.http[0].retries.attempts', 'required'));
    test('fault needs a delay or an abort', () => assertOneError(check(http({ route: [to('r')], fault: {} })), 'spec.http[0].fault', 'needs a delay, an abort or both'));
    test('abort status is an HTTP status', () => assertOneError(check(http({ route: [to('r')], fault: { abort: { httpStatus: 700 } } })), 'spec.http[0].fault.abort.httpStatus', 'at most 599'));
    test('a gRPC abort names its status as Istio spells it', () => {
      assertValid(check(http({ route: [to('r')], fault: { abort: { grpcStatus: 'UNAVAILABLE', percentage: { value: 50 } } } })));
      assertOneError(check(http({ route: [to('r')], fault: { abort: { grpcStatus: 'unavailable' } } })), 'spec.http[0].fault.abort.grpcStatus', 'not a gRPC status name');
    });
    test('an abort says exactly one of httpStatus or grpcStatus', () => {
      assertOneError(check(http({ route: [to('r')], fault: { abort: { httpStatus: 503, grpcStatus: 'UNAVAILABLE' } } })), 'spec.http[0].fault.abort', 'exactly one of httpStatus or grpcStatus');
      assertOneError(check(http({ route: [to('r')], fault: { abort: { percentage: { value: 5 } } } })), 'spec.http[0].fault.abort', 'exactly one of httpStatus or grpcStatus');
    });
    test('redirect must change something', () => assertOneError(check(http({ redirect: {} })), 'spec.http[0].redirect', 'at least one of uri, authority, port or scheme'));
    test('redirectCode is a 3xx', () => assertOneError(check(http({ redirect: { uri: '/x', redirectCode: 200 } })), 'spec.http[0].redirect.redirectCode', 'at least 300'));
    test('rewrite cannot go with redirect', () => assertOneError(check(http({ redirect: { uri: '/x' }, rewrite: { uri: '/y' } })), 'spec.http[0].rewrite', 'cannot be combined with redirect'));
  });

  test('every problem of a document is reported at once', () => {
    const r = check(
      vs({
        hosts: [],
        http: [{ rout: [], timeout: 5 }, { route: [to('r', 'v1', 70), to('r', 'v2', 70)], match: [{ uri: { regex: '(' } }] }],
      }),
    );
    assert.deepEqual(summary(r.issues), [
      'error spec.hosts: must not be empty',
      'error spec.http[0].timeout: expected a duration such as "1.5s", "100ms", "2m" or "1h" (a string with a unit)',
      'error spec.http[0].rout: unknown field; did you mean "route"?',
      'error spec.http[1].match[0].uri.regex: regex "(": invalid regex: missing closing ): `(` (RE2 syntax: https://github.com/google/re2/wiki/Syntax)',
      'error spec.http[1].route[1].weight: weights sum to 140, must sum to 100',
    ]);
  });
});

describe('VirtualService: unknown and unsupported fields', () => {
  test('a misspelled field is an error with a suggestion, and only that', () => {
    const r = check(http({ rout: [to('r')] }));
    assert.deepEqual(summary(r.issues), ['error spec.http[0].rout: unknown field; did you mean "route"?']);
    assert.equal(r.resource, undefined);
  });
  test('a misspelled required field is not also reported missing', () => {
    assert.deepEqual(summary(check(vs({ hots: ['r'] })).issues), ['error spec.hots: unknown field; did you mean "hosts"?']);
    assert.deepEqual(summary(check(http({ route: [{ destination: { hots: 'r' } }] })).issues), ['error spec.http[0].route[0].destination.hots: unknown field; did you mean "host"?']);
  });
  test('an unrelated unknown field does not hide a missing route', () => {
    assert.deepEqual(summary(check(http({ rewrite: { uri: '/' } })).issues), ['error spec.http[0]: each http entry needs a route (destinations) or a redirect']);
    const r = check(http({ banana: 1 }));
    assert.deepEqual(summary(r.issues).map((s) => s.split(':')[0]), ['error spec.http[0].banana', 'error spec.http[0]']);
  });
  test('an unrelated field lists what is allowed', () =>
    assertOneError(check(vs({ hosts: ['r'], banana: 1 })), 'spec.banana', 'unknown field; expected one of: hosts, gateways, http, tls, tcp, exportTo'));
  test('snake_case spelling is recognised', () => assertOneError(check(http({ route: [to('r')], mirror_percentage: { value: 5 } })), 'spec.http[0].mirror_percentage', 'did you mean "mirrorPercentage"?'));

  test('Istio fields Skiff lacks are warnings, and dropped from the resource', () => {
    const r = check(
      vs({
        hosts: ['reviews'],
        http: [{ route: [to('reviews')], corsPolicy: { allowOrigins: [{ exact: 'x' }] }, match: [{ uri: { prefix: '/' }, statPrefix: 'x' }] }],
      }),
    );
    assert.deepEqual(summary(r.issues), [
      'warning spec.http[0].match[0].statPrefix: not supported by Skiff, ignored',
      'warning spec.http[0].corsPolicy: not supported by Skiff, ignored',
    ]);
    assert.deepEqual(r.resource?.spec, { hosts: ['reviews'], http: [{ route: [to('reviews')], match: [{ uri: { prefix: '/' } }] }] });
  });
  test('a warning does not hide an error next to it', () => {
    const r = check(http({ route: [to('r', 'v1', 60), to('r', 'v2', 60)], corsPolicy: {} }));
    assert.deepEqual(summary(r.issues), ['warning spec.http[0].corsPolicy: not supported by Skiff, ignored', 'error spec.http[0].route[1].weight: weights sum to 120, must sum to 100']);
    assert.equal(r.resource, undefined);
  });
  test('an entry with only delegate explains why it has no route', () => {
    const r = check(http({ delegate: { name: 'reviews-routes' } }));
    assert.deepEqual(summary(r.issues), [
      'warning spec.http[0].delegate: not supported by Skiff, ignored',
      'error spec.http[0]: each http entry needs a route (destinations) or a redirect (delegate is not supported by Skiff)',
    ]);
  });
  test("Istio's TCP traffic-shifting VirtualService is accepted as written", () => {
    const spec = {
      hosts: ['*'],
      gateways: ['tcp-echo-gateway'],
      tcp: [{ match: [{ port: 31400 }], route: [{ destination: { host: 'tcp-echo', port: { number: 9000 }, subset: 'v1' }, weight: 80 }, { destination: { host: 'tcp-echo', port: { number: 9000 }, subset: 'v2' }, weight: 20 }] }],
    };
    const r = check(vs(spec));
    assert.deepEqual(summary(r.issues), []);
    assert.deepEqual(r.resource?.spec, spec);
  });
  test("Istio's ingress SNI passthrough VirtualService is accepted as written; a tls match needs sniHosts", () => {
    const spec = { hosts: ['nginx.example.com'], gateways: ['mygateway'], tls: [{ match: [{ port: 443, sniHosts: ['nginx.example.com'] }], route: [{ destination: { host: 'my-nginx', port: { number: 443 } } }] }] };
    const r = check(vs(spec));
    assert.deepEqual(summary(r.issues), []);
    assert.deepEqual(r.resource?.spec, spec);
    assertOneError(check(vs({ hosts: ['a'], tls: [{ match: [{ port: 443 }], route: [to('a')] }] })), 'spec.tls[0].match[0].sniHosts', '');
    assertOneError(check(vs({ hosts: ['a'], tls: [{ route: [to('a')] }] })), 'spec.tls[0].match', '');
  });
  test('tcp routes: weights must sum to 100, subnets must be CIDR ranges, a route is required', () => {
    assertOneError(check(vs({ hosts: ['db'], tcp: [{ route: [to('db', 'v1', 80), to('db', 'v2', 30)] }] })), 'spec.tcp[0].route[1].weight', 'weights sum to 110, must sum to 100');
    assertOneError(check(vs({ hosts: ['db'], tcp: [{ match: [{ destinationSubnets: ['10.0.0.0/33'] }], route: [to('db')] }] })), 'spec.tcp[0].match[0].destinationSubnets[0]', 'bad CIDR range "10.0.0.0/33"');
    assertOneError(check(vs({ hosts: ['db'], tcp: [{ match: [{ port: 9000 }] }] })), 'spec.tcp[0].route', '');
    assertOneError(check(vs({ hosts: ['db'], tcp: [{ route: [to('db')], retries: {} }] })), 'spec.tcp[0].retries', 'unknown field');
  });
});
