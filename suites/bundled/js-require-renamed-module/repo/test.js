'use strict';
const assert = require('assert');
const { indexEntry } = require('./index');

const e = indexEntry({ title: 'Hello, World!', body: 'short body' });
assert.strictEqual(e.slug, 'hello-world');
assert.strictEqual(e.minutes, 1);
console.log('ok');
