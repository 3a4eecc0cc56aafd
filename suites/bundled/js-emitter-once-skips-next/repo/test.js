'use strict';
const assert = require('assert');
const { Emitter } = require('./emitter');

const e = new Emitter();
const seen = [];
e.once('ready', () => seen.push('once'));
e.on('ready', () => seen.push('always'));
e.emit('ready');
e.emit('ready');
assert.deepStrictEqual(seen, ['once', 'always', 'always']);
console.log('ok');
