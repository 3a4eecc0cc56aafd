'use strict';
const assert = require('assert');
const { compare, latest } = require('./semver');

assert.strictEqual(compare('1.2.3', '1.2.3'), 0);
assert.strictEqual(compare('1.2.3', '1.2.4'), -1);
assert.strictEqual(compare('1.10.0', '1.9.0'), 1);
assert.strictEqual(latest(['1.9.0', '1.10.0', '1.2.0']), '1.10.0');
console.log('ok');
