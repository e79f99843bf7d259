import assert from 'node:assert/strict';
import { test } from 'node:test';
import { callOutcome, failedCallOutcome, pageOutcome } from './outcomes.js';

test('a page is named by the reviews version, with a ratings failure when reviews answered without stars', () => {
  assert.equal(pageOutcome(200, JSON.stringify({ reviews: { version: 'v1', reviews: [] }, reviewsVersion: 'v1' })), 'v1');
  assert.equal(pageOutcome(200, JSON.stringify({ reviews: { version: 'v2', ratingsError: { status: 500, message: 'x' } } })), 'v2, ratings 500');
  assert.equal(pageOutcome(200, JSON.stringify({ reviewsVersion: 'v2' })), 'v2', 'the header-derived version when the body has none');
  assert.equal(pageOutcome(200, JSON.stringify({ reviews: {} })), 'no version');
  assert.equal(pageOutcome(200, '<html>'), 'not JSON');
});

test('a failed page names the upstream that failed it when frontend says', () => {
  assert.equal(pageOutcome(502, JSON.stringify({ error: 'reviews unavailable', upstream: { service: 'reviews', status: 504 } })), 'HTTP 502, reviews 504');
  assert.equal(pageOutcome(503, 'no healthy upstream'), 'HTTP 503');
  assert.equal(pageOutcome(404, JSON.stringify({ error: 'not found' })), 'HTTP 404');
});

test('a call is named by the version that answered, or its status', () => {
  assert.equal(callOutcome(200, 'v1'), 'v1');
  assert.equal(callOutcome(500, 'v2'), 'HTTP 500 from v2');
  assert.equal(callOutcome(503, undefined), 'HTTP 503');
  assert.equal(callOutcome(200, undefined), 'HTTP 200');
  assert.equal(failedCallOutcome(new DOMException('t', 'TimeoutError')), 'timeout');
  assert.equal(failedCallOutcome(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })), 'no HTTP answer');
});
