'use strict';
const assert = require('assert');
const c = require('./convert');

assert.strictEqual(c.inchesToCm(1), 2.54);
assert.strictEqual(c.cmToInches(2.54), 1);
assert.strictEqual(c.poundsToGrams(1), 453.6);
console.log('ok');
