'use strict';

class RateLimiter {
  constructor({ limit, windowMs, now = Date.now } = {}) {
    if (!(limit > 0)) throw new RangeError('limit must be positive');
    if (!(windowMs > 0)) throw new RangeError('windowMs must be positive');
    this.limit = limit;
    this.windowMs = windowMs;
    this.now = now;
    this.windows = new Map();
  }

  _window(key) {
    const t = this.now();
    let w = this.windows.get(key);
    if (!w || t - w.start >= this.windowMs) {
      w = { start: t, count: 0 };
      this.windows.set(key, w);
    }
    return w;
  }

  tryAcquire(key = 'global') {
    const w = this._window(key);
    if (w.count > this.limit) {
      return false;
    }
    w.count += 1;
    return true;
  }

  remaining(key = 'global') {
    return this.limit - this._window(key).count;
  }

  resetAt(key = 'global') {
    return this._window(key).start + this.windowMs;
  }
}

module.exports = { RateLimiter };
