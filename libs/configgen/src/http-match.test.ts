import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RouteMatchSchema } from '@skiff/api';
import { translateMatch, translateMatches } from './http-match.js';

test('headers become a list with lower-cased names; {} means present; withoutHeaders means absent', () => {
  const m = translateMatch({
    uri: { prefix: '/api' },
    headers: { 'End-User': { exact: 'jason' }, 'X-Canary': {} },
    withoutHeaders: { 'X-Debug': {}, Cookie: { regex: '.*beta.*' } },
    queryParams: { version: { exact: '2' } },
    method: { exact: 'GET' },
    ignoreUriCase: true,
    sourceLabels: { app: 'frontend' },
    port: 9080,
  });
  assert.deepEqual(m, {
    uri: { prefix: '/api' },
    method: { exact: 'GET' },
    headers: [
      { name: 'end-user', match: { exact: 'jason' }, present: true },
      { name: 'x-canary', present: true },
      { name: 'x-debug', present: false },
      { name: 'cookie', match: { regex: '.*beta.*' }, present: false },
    ],
    queryParams: [{ name: 'version', match: { exact: '2' } }],
    port: 9080,
    sourceLabels: { app: 'frontend' },
    ignoreUriCase: true,
  });
  RouteMatchSchema.parse(m); // strict: no stray fields such as `gateways`
});

test('matches scoped to other gateways are dropped; if none is left the entry does not apply', () => {
  const mesh = (gws: readonly string[]): boolean => gws.includes('mesh');
  assert.deepEqual(translateMatches(undefined, mesh), []);
  const kept = translateMatches([{ uri: { exact: '/a' }, gateways: ['bookinfo-gateway'] }, { uri: { exact: '/b' }, gateways: ['mesh'] }, { uri: { exact: '/c' } }], mesh);
  assert.deepEqual(kept?.map((m) => m.uri), [{ exact: '/b' }, { exact: '/c' }]);
  assert.equal(translateMatches([{ uri: { exact: '/a' }, gateways: ['bookinfo-gateway'] }], mesh), null);
});
