'use strict';
const assert = require('assert');
const posix = require('path').posix;
const { normalize, join, dirname } = require('./paths');

const cases = ['', '.', './', './.', 'a/..', 'a/b/../..', 'a/../..', '../a', '/..', '/', '//',
  '/a/..', 'a//b/', 'x/./y/../z', '../../x/..'];
for (const c of cases) {
  const want = posix.normalize(c).replace(/(.)\/$/, '$1');
  assert.strictEqual(normalize(c), want, JSON.stringify(c));
}
assert.strictEqual(join('a', 'b', '..', '..'), '.');
assert.strictEqual(join('', ''), '.');
assert.strictEqual(dirname('a'), '.');
assert.strictEqual(dirname('/a'), '/');
assert.strictEqual(dirname('a/b/c'), 'a/b');
console.log('hidden ok');
