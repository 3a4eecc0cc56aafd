'use strict';
const assert = require('assert');
const { RateLimiter } = require('./limiter');

let clock = 0;
const limiter = new RateLimiter({ limit: 3, windowMs: 1000, now: () => clock });
const results = [1, 2, 3, 4].map(() => limiter.tryAcquire('a'));
assert.deepStrictEqual(results, [true, true, true, false]);
clock = 1000;
assert.strictEqual(limiter.tryAcquire('a'), true);
console.log('ok');
