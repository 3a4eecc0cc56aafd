'use strict';
const assert = require('assert');
const { get, has } = require('./config');

const cfg = { a: { b: null, zero: 0, no: false, empty: '', list: [10, 20] }, s: 'str' };
assert.strictEqual(get(cfg, 'a.b.c', 'fb'), 'fb');
assert.strictEqual(get(cfg, 'x.y.z', 1), 1);
assert.strictEqual(get(cfg, 'a.zero', 5), 0);
assert.strictEqual(get(cfg, 'a.no', true), false);
assert.strictEqual(get(cfg, 'a.empty', 'x'), '');
assert.strictEqual(get(cfg, 'a.list.1'), 20);
assert.strictEqual(get(cfg, ['a', 'list', '0']), 10);
assert.strictEqual(get(cfg, 's.length'), 3);
assert.strictEqual(get(undefined, 'a', 'd'), 'd');
assert.strictEqual(get(cfg, 'a.missing.deeper.still'), undefined);
assert.strictEqual(has(cfg, 'a.zero'), true);
assert.strictEqual(has(cfg, 'q.r'), false);
console.log('hidden ok');
