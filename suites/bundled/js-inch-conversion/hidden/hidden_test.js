'use strict';
const assert = require('assert');
const c = require('./convert');

assert.strictEqual(c.inchesToCm(10), 25.4);
assert.strictEqual(c.inchesToCm(0), 0);
assert.strictEqual(c.cmToInches(25.4), 10);
assert.strictEqual(c.cmToInches(100), 39.37);
assert.strictEqual(c.feetToCm(6), 182.88);
assert.strictEqual(c.feetToCm(5, 10), 177.8);
assert.deepStrictEqual(c.cmToFeet(177.8), { feet: 5, inches: 10 });
assert.deepStrictEqual(c.cmToFeet(30.48), { feet: 1, inches: 0 });
for (let i = 0; i < 50; i++) assert.strictEqual(c.cmToInches(c.inchesToCm(i)), i);
console.log('hidden ok');
