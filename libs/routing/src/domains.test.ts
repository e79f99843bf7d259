import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainIndex, stripPort } from './domains.js';

/** An index whose values are the owner names, one owner per entry of `owners`. */
function index(owners: Record<string, string[]>): DomainIndex<string> {
  return new DomainIndex(Object.entries(owners).flatMap(([owner, domains]) => domains.map((domain) => ({ domain, value: owner, owner }))));
}

function owner(idx: DomainIndex<string>, authority: string): string | undefined {
  return idx.lookup(authority)?.value;
}

describe('DomainIndex precedence (Envoy order)', () => {
  const idx = index({
    any: ['*'],
    prefix: ['api.*'],
    suffix: ['*.example.com'],
    exact: ['api.example.com'],
  });

  test('exact beats every wildcard', () => {
    const hit = idx.lookup('api.example.com');
    assert.deepEqual(hit, { value: 'exact', domain: 'api.example.com', kind: 'exact', portIgnored: false, description: 'exact (domain "api.example.com")' });
  });

  test('a suffix wildcard beats a prefix wildcard', () => {
    assert.equal(owner(idx, 'api.other.example.com'), 'suffix');
    assert.equal(idx.lookup('api.other.example.com')?.kind, 'suffix');
  });

  test('a prefix wildcard beats "*"', () => {
    assert.equal(owner(idx, 'api.internal'), 'prefix');
    assert.equal(idx.lookup('api.internal')?.kind, 'prefix');
  });

  test('"*" takes what nothing else does', () => {
    assert.deepEqual(idx.lookup('unknown.host'), { value: 'any', domain: '*', kind: 'any', portIgnored: false, description: 'any (catch-all domain "*")' });
  });

  test('without "*", an unknown host finds nothing', () => {
    assert.equal(index({ a: ['a'] }).lookup('b'), undefined);
    assert.equal(index({}).lookup('b'), undefined);
  });
});

describe('DomainIndex wildcards', () => {
  test('the longest suffix wins, whatever the config order', () => {
    const idx = index({ short: ['*.com'], mid: ['*.example.com'], long: ['*.api.example.com'] });
    assert.equal(owner(idx, 'v1.api.example.com'), 'long');
    assert.equal(owner(idx, 'www.example.com'), 'mid');
    assert.equal(owner(idx, 'other.com'), 'short');
  });

  test('the longest prefix wins, whatever the config order', () => {
    const idx = index({ short: ['api.*'], long: ['api.v1.*'] });
    assert.equal(owner(idx, 'api.v1.internal'), 'long');
    assert.equal(owner(idx, 'api.v2.internal'), 'short');
  });

  test('a wildcard stands for at least one character', () => {
    const idx = index({ suffix: ['*.foo.com'], prefix: ['bar.*'] });
    assert.equal(owner(idx, '.foo.com'), undefined);
    assert.equal(owner(idx, 'foo.com'), undefined);
    assert.equal(owner(idx, 'bar.'), undefined);
    assert.equal(owner(idx, 'x.foo.com'), 'suffix');
    assert.equal(owner(idx, 'bar.x'), 'prefix');
  });

  test('suffix wildcards need not start with a dot (Envoy allows "*-bar.foo.com")', () => {
    const idx = index({ s: ['*-bar.foo.com'] });
    assert.equal(owner(idx, 'baz-bar.foo.com'), 's');
    assert.equal(owner(idx, 'baz.bar.foo.com'), undefined);
  });

  test('"host:*" is a prefix wildcard that takes any port', () => {
    const idx = index({ gw: ['bookinfo.com:*'] });
    assert.equal(owner(idx, 'bookinfo.com:8080'), 'gw');
    assert.equal(owner(idx, 'bookinfo.com'), undefined);
  });
});

describe('DomainIndex case and ports', () => {
  test('matching ignores case on both sides', () => {
    const idx = index({ exact: ['Reviews.Default.svc'], suffix: ['*.Example.COM'], prefix: ['API.*'] });
    assert.equal(owner(idx, 'reviews.default.SVC'), 'exact');
    assert.equal(owner(idx, 'WWW.example.com'), 'suffix');
    assert.equal(owner(idx, 'api.Internal'), 'prefix');
    assert.equal(idx.lookup('REVIEWS.default.svc')?.domain, 'Reviews.Default.svc', 'the hit reports the domain as configured');
  });

  test('the full authority is tried before the host without its port', () => {
    const idx = index({ withPort: ['reviews:9080'], withoutPort: ['reviews'] });
    assert.deepEqual(idx.lookup('reviews:9080'), {
      value: 'withPort',
      domain: 'reviews:9080',
      kind: 'exact',
      portIgnored: false,
      description: 'withPort (domain "reviews:9080")',
    });
    assert.deepEqual(idx.lookup('reviews:9090'), {
      value: 'withoutPort',
      domain: 'reviews',
      kind: 'exact',
      portIgnored: true,
      description: 'withoutPort (domain "reviews", port ignored)',
    });
    assert.equal(owner(idx, 'reviews'), 'withoutPort');
  });

  test('a wildcard on the full authority beats an exact match on the bare host', () => {
    const idx = index({ bareHost: ['reviews'], anyHostOnPort: ['*:9080'] });
    assert.equal(owner(idx, 'reviews:9080'), 'anyHostOnPort');
    assert.equal(owner(idx, 'reviews:1234'), 'bareHost');
  });

  test('wildcards also apply to the host without its port', () => {
    const idx = index({ suffix: ['*.example.com'], prefix: ['api.*'] });
    assert.equal(idx.lookup('www.example.com:8443')?.description, 'suffix (wildcard domain "*.example.com", port ignored)');
    assert.equal(idx.lookup('api.x')?.description, 'prefix (wildcard domain "api.*")');
    assert.equal(owner(idx, 'www.example.com:8443'), 'suffix');
    // "api.*" matches the full authority "api:80"? No: "api:80" lacks the dot; the bare host "api" is too short.
    assert.equal(owner(idx, 'api:80'), undefined);
  });

  test('"*" is used only after both the full authority and the bare host fail', () => {
    const idx = index({ any: ['*'], host: ['reviews'] });
    assert.equal(owner(idx, 'reviews:9080'), 'host');
    assert.equal(owner(idx, 'ratings:9080'), 'any');
  });

  test('an IPv6 literal keeps its brackets when the port is stripped', () => {
    const idx = index({ v6: ['[::1]'] });
    assert.equal(owner(idx, '[::1]:8080'), 'v6');
  });
});

describe('DomainIndex conflicts', () => {
  test('the first virtual host keeps a duplicated domain, with a warning', () => {
    const idx = index({ first: ['a.com', '*'], second: ['A.com', '*', 'b.com'] });
    assert.equal(owner(idx, 'a.com'), 'first');
    assert.equal(owner(idx, 'zzz'), 'first');
    assert.equal(owner(idx, 'b.com'), 'second');
    assert.equal(idx.warnings.length, 2);
    assert.match(idx.warnings[0] ?? '', /domain "A\.com" of second is already claimed by first/);
  });

  test('a "*" in the middle is warned about and matched literally', () => {
    const idx = index({ odd: ['*.foo.*'] });
    assert.equal(idx.warnings.length, 1);
    assert.match(idx.warnings[0] ?? '', /"\*" in the middle/);
    assert.equal(owner(idx, 'a.foo.com'), undefined);
    assert.equal(owner(idx, 'a.foo.*'), 'odd');
  });
});

describe('stripPort', () => {
  test('strips a numeric port and nothing else', () => {
    assert.equal(stripPort('reviews:9080'), 'reviews');
    assert.equal(stripPort('reviews'), undefined);
    assert.equal(stripPort('reviews:'), undefined);
    assert.equal(stripPort('reviews:http'), undefined);
    assert.equal(stripPort('[::1]:8080'), '[::1]');
    assert.equal(stripPort('[::1]'), undefined);
    assert.equal(stripPort('::1'), undefined);
  });
});
