'use strict';
const assert = require('assert');
const { RateLimiter } = require('./limiter');

let clock = 5000;
const now = () => clock;
for (const limit of [1, 2, 5, 10]) {
  const l = new RateLimiter({ limit, windowMs: 100, now });
  let allowed = 0;
  for (let i = 0; i < limit * 3; i++) if (l.tryAcquire('k')) allowed++;
  assert.strictEqual(allowed, limit, `limit ${limit}`);
  assert.strictEqual(l.remaining('k'), 0);
}

const l = new RateLimiter({ limit: 2, windowMs: 100, now });
assert.strictEqual(l.remaining('x'), 2);
assert.ok(l.tryAcquire('x'));
assert.strictEqual(l.remaining('x'), 1);
assert.ok(l.tryAcquire('y'));
assert.ok(l.tryAcquire('x'));
assert.ok(!l.tryAcquire('x'));
clock += 99;
assert.ok(!l.tryAcquire('x'));
clock += 1;
assert.ok(l.tryAcquire('x'));
assert.strictEqual(l.resetAt('x'), clock + 100);
console.log('hidden ok');
