import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../usage-error.js';
import { parseSimulatedRequest } from './request-spec.js';

describe('parseSimulatedRequest', () => {
  test('keeps the authority as the proxy sees it (lower case, port kept) and the query in the path', () => {
    const r = parseSimulatedRequest('get', 'http://Reviews:9080/reviews/1?x=1#frag', ['End-User: jason', 'x-a: 1', 'x-a: 2']);
    assert.deepEqual(r, {
      method: 'GET',
      url: 'http://Reviews:9080/reviews/1?x=1#frag',
      scheme: 'http',
      authority: 'reviews:9080',
      port: 9080,
      path: '/reviews/1?x=1',
      headers: { 'end-user': 'jason', 'x-a': ['1', '2'] },
    });
  });

  test('no port means 80; no path means /; a header value may contain colons', () => {
    const r = parseSimulatedRequest('GET', 'http://reviews?q=1', ['x-time: 12:30']);
    assert.equal(r.port, 80);
    assert.equal(r.authority, 'reviews');
    assert.equal(r.path, '/?q=1');
    assert.equal(r.headers['x-time'], '12:30');
  });

  for (const [what, method, url, headers] of [
    ['a relative URL', 'GET', '/reviews', []],
    ['an ftp URL', 'GET', 'ftp://reviews/', []],
    ['a port out of range', 'GET', 'http://reviews:70000/', []],
    ['a method with a space', 'GE T', 'http://reviews/', []],
    ['a header without a name', 'GET', 'http://reviews/', [': x']],
    ['a header name with a space', 'GET', 'http://reviews/', ['end user: x']],
  ] as Array<[string, string, string, string[]]>) {
    test(`rejects ${what} as a usage error`, () => assert.throws(() => parseSimulatedRequest(method, url, headers), UsageError));
  }
});
