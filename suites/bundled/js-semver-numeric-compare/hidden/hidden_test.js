'use strict';
const assert = require('assert');
const { compare, sort, latest, parse } = require('./semver');

assert.deepStrictEqual(
  sort(['10.0.0', '2.0.0', '1.0.10', '1.0.9', '1.0.0-rc.1', '1.0.0', 'v1.11.0']),
  ['1.0.0-rc.1', '1.0.0', '1.0.9', '1.0.10', 'v1.11.0', '2.0.0', '10.0.0']);
assert.strictEqual(compare('0.0.100', '0.0.99'), 1);
assert.strictEqual(compare('2.0.0', '10.0.0'), -1);
assert.strictEqual(compare('1.0.0-alpha.10', '1.0.0-alpha.9'), 1);
assert.strictEqual(compare('1.0.0-alpha', '1.0.0-alpha.1'), -1);
assert.strictEqual(latest(['3.9.9', '3.10.0-beta', '3.10.0']), '3.10.0');
assert.strictEqual(latest([]), null);
assert.throws(() => parse('1.2'));
console.log('hidden ok');
