'use strict';
const assert = require('assert');
const { get, set } = require('./config');

const cfg = { db: { host: 'db1', port: 5432 } };
assert.strictEqual(get(cfg, 'db.port'), 5432);
assert.strictEqual(get(cfg, 'db.user', 'app'), 'app');
assert.strictEqual(get(cfg, 'db.replica.host', 'localhost'), 'localhost');
set(cfg, 'cache.ttl', 60);
assert.strictEqual(cfg.cache.ttl, 60);
console.log('ok');
