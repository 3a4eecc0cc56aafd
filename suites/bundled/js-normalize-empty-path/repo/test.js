'use strict';
const assert = require('assert');
const { normalize, join } = require('./paths');

assert.strictEqual(normalize('a/b/../c'), 'a/c');
assert.strictEqual(normalize('/x//y/./z'), '/x/y/z');
assert.strictEqual(normalize('a/..'), '.');
assert.strictEqual(join('src', '..'), '.');
console.log('ok');
