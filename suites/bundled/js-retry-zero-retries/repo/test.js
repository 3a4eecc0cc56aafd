'use strict';
const assert = require('assert');
const { withRetry } = require('./retry');

async function main() {
  const sleeps = [];
  const sleep = async (ms) => { sleeps.push(ms); };
  let calls = 0;
  const flaky = async () => { calls += 1; if (calls < 3) throw new Error('boom'); return 'done'; };
  assert.strictEqual(await withRetry(flaky, { sleep }), 'done');
  assert.deepStrictEqual(sleeps, [100, 200]);

  calls = 0;
  const failing = async () => { calls += 1; throw new Error('down'); };
  await assert.rejects(withRetry(failing, { retries: 0, sleep }), /down/);
  assert.strictEqual(calls, 1);
  console.log('ok');
}

main().catch((err) => { console.error(err); process.exit(1); });
