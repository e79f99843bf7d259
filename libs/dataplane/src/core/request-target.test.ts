import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestTarget } from './request-target.js';

test('absolute-form request line gives authority and path', () => {
  assert.deepEqual(requestTarget('http://reviews:9080/reviews/1?x=2', 'ignored'), { authority: 'reviews:9080', host: 'reviews', port: 9080, path: '/reviews/1?x=2' });
});

test('absolute-form without a path means "/"', () => {
  assert.deepEqual(requestTarget('http://Ratings', undefined), { authority: 'ratings', host: 'ratings', port: 80, path: '/' });
});

test('origin-form uses the Host header', () => {
  assert.deepEqual(requestTarget('/api', 'frontend:9080'), { authority: 'frontend:9080', host: 'frontend', port: 9080, path: '/api' });
});

test('missing Host and bad ports are reported, not thrown', () => {
  assert.equal(requestTarget('/x', undefined), 'missing Host header');
  assert.match(String(requestTarget('/x', 'a:99999')), /bad port/);
  assert.match(String(requestTarget('/x', 'a:zz')), /bad port/);
});

test('IPv6 literal without port keeps its colons', () => {
  assert.deepEqual(requestTarget('/x', '[::1]'), { authority: '[::1]', host: '[::1]', port: 80, path: '/x' });
  assert.deepEqual(requestTarget('/x', '[::1]:8080'), { authority: '[::1]:8080', host: '[::1]', port: 8080, path: '/x' });
});
