import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePathTemplate, isPathTemplate, pathTemplateProblem } from './path-template.js';

describe('path templates', () => {
  test('{*} is one segment, {**} one or more', () => {
    const one = compilePathTemplate('/api/{*}/items');
    assert.equal(one.test('/api/v1/items'), true);
    assert.equal(one.test('/api/v1/v2/items'), false);
    assert.equal(one.test('/api//items'), false);
    const many = compilePathTemplate('/files/{**}');
    assert.equal(many.test('/files/a'), true);
    assert.equal(many.test('/files/a/b/c.txt'), true);
    assert.equal(many.test('/files/'), false);
    const mid = compilePathTemplate('/{**}/x.txt');
    assert.equal(mid.test('/a/b/x.txt'), true);
    assert.equal(mid.test('/a/b/xatxt'), false, 'literal dots are not regex wildcards');
  });
  test('recognition and problems', () => {
    assert.equal(isPathTemplate('/a/{*}'), true);
    assert.equal(isPathTemplate('/a/*'), false);
    assert.equal(pathTemplateProblem('/a/{*}/{**}'), undefined);
    assert.equal(pathTemplateProblem('/plain/path*'), undefined);
    assert.match(pathTemplateProblem('/a/{**}/{*}') ?? '', /no operator may follow/);
    assert.match(pathTemplateProblem('/a/{id}') ?? '', /whole segment/);
    assert.match(pathTemplateProblem('/a/{*}/b c') ?? '', /not allowed in a path/);
  });
});
