'use strict';
const assert = require('assert');
const { buildIndex } = require('./index');

const posts = [
  { title: 'Crème brûlée', body: 'word '.repeat(450) },
  { title: 'Crème Brûlée!', body: 'x' },
  { title: 'Other', slug: 'custom', body: 'a b c' },
];
const idx = buildIndex(posts);
assert.deepStrictEqual(idx.map((e) => e.slug), ['creme-brulee', 'creme-brulee-2', 'custom']);
assert.strictEqual(idx[0].minutes, 3);
assert.ok(idx[0].excerpt.endsWith('…'));
console.log('hidden ok');
