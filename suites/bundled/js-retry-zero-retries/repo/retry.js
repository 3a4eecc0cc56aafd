'use strict';

const realSleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function withRetry(fn, options = {}) {
  const retries = options.retries || 3;
  const delayMs = options.delayMs || 100;
  const factor = options.factor || 2;
  const sleep = options.sleep || realSleep;
  const shouldRetry = options.shouldRetry || (() => true);

  let attempt = 0;
  for (;;) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= retries || !shouldRetry(err)) {
        throw err;
      }
      await sleep(delayMs * Math.pow(factor, attempt));
      attempt += 1;
    }
  }
}

module.exports = { withRetry };
