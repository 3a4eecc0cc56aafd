'use strict';
const assert = require('assert');
const { withRetry } = require('./retry');

async function main() {
  const failing = (counter) => async () => { counter.n += 1; throw new Error('x'); };
  for (const retries of [0, 1, 2, 5]) {
    const c = { n: 0 };
    const sleeps = [];
    await assert.rejects(withRetry(failing(c), { retries, sleep: async (ms) => sleeps.push(ms) }));
    assert.strictEqual(c.n, retries + 1, `retries=${retries}`);
    assert.strictEqual(sleeps.length, retries);
  }
  const sleeps = [];
  const c = { n: 0 };
  await assert.rejects(withRetry(failing(c), { delayMs: 0, sleep: async (ms) => sleeps.push(ms) }));
  assert.deepStrictEqual(sleeps, [0, 0, 0]);

  const s2 = [];
  await assert.rejects(withRetry(failing({ n: 0 }), { retries: 3, delayMs: 10, factor: 3, sleep: async (ms) => s2.push(ms) }));
  assert.deepStrictEqual(s2, [10, 30, 90]);

  const d = { n: 0 };
  await assert.rejects(withRetry(failing(d), { shouldRetry: () => false, sleep: async () => {} }));
  assert.strictEqual(d.n, 1);
  assert.strictEqual(await withRetry(async (a) => a + 41, {}), 41);
  console.log('hidden ok');
}

main().catch((err) => { console.error(err); process.exit(1); });
